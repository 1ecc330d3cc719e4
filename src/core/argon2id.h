// Argon2id (RFC 9106) through libargon2's argon2_ctx, the packaged
// implementation with lanes > 1 and the secret input K.
//
// Memory: the B x 1 KiB blocks are mapped with transparent huge pages
// advised, so faulting in 2 GiB costs about a thousand faults instead of half
// a million, and the faults happen in the lane threads, in parallel. Lanes run
// on min(lanes, online CPUs) threads; more threads than cores only adds
// scheduling. Neither changes the result.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/error.h"

namespace grypt {

struct Argon2Params {
  std::uint32_t t_cost = 1;       // passes
  std::uint32_t m_kib = 2097152;  // memory in KiB
  std::uint32_t lanes = 4;        // parallelism p
  bool operator==(const Argon2Params&) const = default;
};

struct Argon2Input {
  std::span<const std::uint8_t> password;
  std::span<const std::uint8_t> salt;
  std::span<const std::uint8_t> secret;      // RFC 9106 K, the pepper
  std::span<const std::uint8_t> associated;  // RFC 9106 X
};

// Not enough memory for the requested parameters; the tool adds a hint.
class MemoryError : public SystemError {
 public:
  using SystemError::SystemError;
};

// The one set of limits on what Argon2id may be asked to do, whether the
// parameters come from a stored hash, an identity file or the command line
// (man/grypt.5, IDENTITY FILE; man/pw-hash.1, LIMITS). Beyond them a planted
// hash or file could hold a process for hours or ask for terabytes.
inline constexpr std::uint32_t argon2_max_passes = 16;
inline constexpr std::uint32_t argon2_max_lanes = 64;
inline constexpr std::uint64_t argon2_max_m_kib = 4ull << 20;     // 4 GiB
inline constexpr std::uint64_t argon2_max_work_kib = 8ull << 20;  // t x m, 8 GiB

// What is wrong with `params` ("t=17 is above the limit of 16 passes"), or
// empty when they are within RFC 9106's ranges and the limits above.
std::string argon2_params_defect(const Argon2Params& params);
// Throws UsageError with that defect.
void check_argon2_params(const Argon2Params& params);

// A floor on what a hash costs whoever guesses passwords against it
// (man/pw-hash.1, COST FLOOR). Parameters are under it when they use less
// memory than m_kib, or less work (t x m) than t_cost x m_kib: more memory
// may stand in for passes, but passes never for memory, which is what makes
// each guess costly on GPUs and ASICs. Lanes do not count: they spread the
// same memory and work over more cores.
struct Argon2Floor {
  std::uint32_t t_cost = 1;
  std::uint32_t m_kib = 8;
};

// What puts `params` under `floor` ("m=63 KiB is below the memory floor of
// 64 KiB"), or empty when they are at or above it.
std::string argon2_floor_shortfall(const Argon2Params& params, const Argon2Floor& floor);

// Throws MemoryError when `kib` (times `count` concurrent hashes) is more
// than the memory this process can have without swapping: MemAvailable, the
// cgroup limit and RLIMIT_AS.
void check_memory_available(std::uint64_t kib, unsigned count = 1);
std::uint64_t memory_available_kib();
unsigned online_cpus();

// threads == 0: min(lanes, online CPUs).
void argon2id(std::span<std::uint8_t> out, const Argon2Input& in,
              const Argon2Params& params, unsigned threads = 0);

// Test seam: called with the block memory of every hash while it is mapped
// (nullptr: none).
void set_argon2_blocks_hook(void (*hook)(const std::uint8_t* blocks, std::size_t bytes));

// While one exists, argon2id on this thread keeps its block memory mapped
// for the next call (batch hashing): no new faults per password. libargon2
// wipes the blocks after every hash.
class Argon2MemoryReuse {
 public:
  Argon2MemoryReuse();
  ~Argon2MemoryReuse();
  Argon2MemoryReuse(const Argon2MemoryReuse&) = delete;
  Argon2MemoryReuse& operator=(const Argon2MemoryReuse&) = delete;
};

}  // namespace grypt
