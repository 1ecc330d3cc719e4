#include "core/argon2id.h"

#include <argon2.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <string>

namespace grypt {
namespace {

constexpr std::size_t huge_page = 2u << 20;

struct Mapping {
  std::uint8_t* ptr = nullptr;
  std::size_t size = 0;
};

thread_local bool t_reuse = false;
void (*g_blocks_hook)(const std::uint8_t*, std::size_t) = nullptr;
thread_local Mapping t_cached;

std::size_t page_round(std::size_t n) {
  std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

// Maps `bytes` aligned to a huge page, trimming the slack on both sides so
// that the mapping is exactly [result, result + page_round(bytes)).
std::uint8_t* map_blocks(std::size_t bytes) {
  std::size_t size = page_round(bytes);
  bool huge = size >= huge_page;
  std::size_t slack = huge ? huge_page : 0;
  void* raw = mmap(nullptr, size + slack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto base = reinterpret_cast<std::uintptr_t>(raw);
  auto start = huge ? (base + huge_page - 1) & ~(huge_page - 1) : base;
  if (start > base) munmap(raw, start - base);
  std::uintptr_t end = start + size;
  if (base + size + slack > end) munmap(reinterpret_cast<void*>(end), base + size + slack - end);
  if (huge) madvise(reinterpret_cast<void*>(start), size, MADV_HUGEPAGE);
  // Argon2 memory holds password-derived blocks: keep it out of core dumps
  // even if the process limit is raised.
  madvise(reinterpret_cast<void*>(start), size, MADV_DONTDUMP);
  return reinterpret_cast<std::uint8_t*>(start);
}

void unmap_blocks(std::uint8_t* memory, std::size_t bytes) {
  munmap(memory, page_round(bytes));
}

int allocate_blocks(std::uint8_t** memory, std::size_t bytes) {
  if (t_reuse) {
    if (t_cached.ptr != nullptr && t_cached.size >= bytes) {
      *memory = t_cached.ptr;
      return ARGON2_OK;
    }
    if (t_cached.ptr != nullptr) unmap_blocks(t_cached.ptr, t_cached.size);
    t_cached = {};
  }
  *memory = map_blocks(bytes);
  if (*memory == nullptr) return ARGON2_MEMORY_ALLOCATION_ERROR;
  if (t_reuse) t_cached = {*memory, bytes};
  if (g_blocks_hook) g_blocks_hook(*memory, bytes);
  return ARGON2_OK;
}

void free_blocks(std::uint8_t* memory, std::size_t bytes) {
  if (t_reuse && memory == t_cached.ptr) return;  // kept for the next hash
  unmap_blocks(memory, bytes);
}

std::uint64_t read_meminfo_kib(const char* key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::uint64_t value;
  std::string unit;
  while (in >> name >> value) {
    std::getline(in, unit);
    if (name == key) return value;
  }
  return UINT64_MAX;
}

std::uint64_t cgroup_room_kib() {
  std::ifstream max_in("/sys/fs/cgroup/memory.max");
  std::string max;
  if (!(max_in >> max) || max == "max") return UINT64_MAX;
  std::ifstream cur_in("/sys/fs/cgroup/memory.current");
  std::uint64_t current = 0;
  cur_in >> current;
  std::uint64_t limit = std::stoull(max);
  return limit > current ? (limit - current) / 1024 : 0;
}

std::string mib(std::uint64_t kib) { return std::to_string(kib / 1024) + " MiB"; }

}  // namespace

unsigned online_cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

std::uint64_t memory_available_kib() {
  std::uint64_t room = std::min(read_meminfo_kib("MemAvailable:"), cgroup_room_kib());
  struct rlimit as;
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
    room = std::min<std::uint64_t>(room, as.rlim_cur / 1024);
  return room;
}

void check_memory_available(std::uint64_t kib, unsigned count) {
  std::uint64_t need = kib * count;
  std::uint64_t room = memory_available_kib();
  if (need > room)
    throw MemoryError("Argon2 needs " + mib(need) + " of memory but only " + mib(room) +
                      " is available");
}

std::string argon2_params_defect(const Argon2Params& p) {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  if (p.t_cost < 1) return "t=0: the number of passes must be at least 1";
  if (p.t_cost > argon2_max_passes)
    return "t=" + n(p.t_cost) + " is above the limit of " + n(argon2_max_passes) + " passes";
  if (p.lanes < 1) return "p=0: the number of lanes must be at least 1";
  if (p.lanes > argon2_max_lanes)
    return "p=" + n(p.lanes) + " is above the limit of " + n(argon2_max_lanes) + " lanes";
  if (std::uint64_t{p.m_kib} < 8ull * p.lanes)
    return "m=" + n(p.m_kib) + ": memory must be at least 8 KiB per lane (" +
           n(8ull * p.lanes) + " KiB for " + n(p.lanes) + " lanes)";
  if (p.m_kib > argon2_max_m_kib)
    return "m=" + n(p.m_kib) + " KiB is above the limit of 4 GiB (" + n(argon2_max_m_kib) +
           " KiB)";
  if (std::uint64_t{p.t_cost} * p.m_kib > argon2_max_work_kib)
    return "t=" + n(p.t_cost) + " with m=" + n(p.m_kib) +
           " KiB is above the work limit of t x m = 8 GiB (" + n(argon2_max_work_kib) + " KiB)";
  return "";
}

void check_argon2_params(const Argon2Params& p) {
  std::string defect = argon2_params_defect(p);
  if (!defect.empty()) throw UsageError(defect);
}

std::string argon2_floor_shortfall(const Argon2Params& p, const Argon2Floor& floor) {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  if (p.m_kib < floor.m_kib)
    return "m=" + n(p.m_kib) + " KiB is below the memory floor of " + n(floor.m_kib) + " KiB";
  std::uint64_t work = std::uint64_t{p.t_cost} * p.m_kib;
  std::uint64_t floor_work = std::uint64_t{floor.t_cost} * floor.m_kib;
  if (work < floor_work)
    return "t=" + n(p.t_cost) + " with m=" + n(p.m_kib) +
           " KiB is below the work floor of t x m = " + n(floor_work) + " KiB";
  return "";
}

void argon2id(std::span<std::uint8_t> out, const Argon2Input& in, const Argon2Params& params,
              unsigned threads) {
  check_argon2_params(params);
  bool cached = t_reuse && t_cached.size >= std::size_t{params.m_kib} * 1024;
  if (!cached) check_memory_available(params.m_kib);
  if (threads == 0) threads = std::min(params.lanes, online_cpus());

  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = static_cast<std::uint32_t>(out.size());
  // libargon2 takes non-const pointers but, with flags 0, never writes them.
  ctx.pwd = const_cast<std::uint8_t*>(in.password.data());
  ctx.pwdlen = static_cast<std::uint32_t>(in.password.size());
  ctx.salt = const_cast<std::uint8_t*>(in.salt.data());
  ctx.saltlen = static_cast<std::uint32_t>(in.salt.size());
  ctx.secret = const_cast<std::uint8_t*>(in.secret.data());
  ctx.secretlen = static_cast<std::uint32_t>(in.secret.size());
  ctx.ad = const_cast<std::uint8_t*>(in.associated.data());
  ctx.adlen = static_cast<std::uint32_t>(in.associated.size());
  ctx.t_cost = params.t_cost;
  ctx.m_cost = params.m_kib;
  ctx.lanes = params.lanes;
  ctx.threads = threads;
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = allocate_blocks;
  ctx.free_cbk = free_blocks;
  ctx.flags = ARGON2_DEFAULT_FLAGS;

  int rc = argon2_ctx(&ctx, Argon2_id);
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
    throw MemoryError("cannot allocate " + mib(params.m_kib) + " for Argon2", ENOMEM);
  if (rc != ARGON2_OK)
    throw UsageError(std::string("argon2: ") + argon2_error_message(rc));
}

void set_argon2_blocks_hook(void (*hook)(const std::uint8_t*, std::size_t)) {
  g_blocks_hook = hook;
}

Argon2MemoryReuse::Argon2MemoryReuse() { t_reuse = true; }

Argon2MemoryReuse::~Argon2MemoryReuse() {
  if (t_cached.ptr != nullptr) unmap_blocks(t_cached.ptr, t_cached.size);
  t_cached = {};
  t_reuse = false;
}

}  // namespace grypt
