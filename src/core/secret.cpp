#include "core/secret.h"

#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/error.h"

namespace grypt {
namespace {

// Small secrets come from pools: each pool is one libsodium guarded
// allocation (locked in memory, guard pages around it, kept out of core
// dumps) cut into slots of one size; a freed slot is wiped and reused. A
// key or a name block then costs no system call, where a guarded allocation
// of its own costs ten (mmap, mprotect, madvise, mlock and back), which
// added up to a tenth of a short tool's life. The first pool of every size
// comes from one guarded allocation, made at the first small secret: a short
// tool locks memory once. Larger secrets get a guarded allocation of their
// own.
class Pools {
 public:
  static constexpr std::size_t classes[] = {64, 256, 1024};
  static constexpr std::size_t pool_bytes = 16384;

  std::uint8_t* take(std::size_t size) {
    int c = class_of(size);
    if (c < 0) return nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::uint8_t*>& free = free_[c];
    if (free.empty()) {
      std::uint8_t* pool;
      if (first_ == nullptr) {
        first_ = static_cast<std::uint8_t*>(sodium_malloc(std::size(classes) * pool_bytes));
        if (first_ == nullptr) throw std::bad_alloc();
        sodium_memzero(first_, std::size(classes) * pool_bytes);  // sodium_malloc fills with 0xdb
      }
      if (!first_taken_[c]) {
        first_taken_[c] = true;
        pool = first_ + static_cast<std::size_t>(c) * pool_bytes;
      } else {
        pool = static_cast<std::uint8_t*>(sodium_malloc(pool_bytes));
        if (pool == nullptr) throw std::bad_alloc();
        sodium_memzero(pool, pool_bytes);
        pools_.push_back(pool);
      }
      for (std::size_t at = pool_bytes; at >= classes[c]; at -= classes[c])
        free.push_back(pool + at - classes[c]);
    }
    std::uint8_t* p = free.back();
    free.pop_back();
    return p;
  }

  // Returns false for memory that is not a pool slot.
  bool give_back(std::uint8_t* p, std::size_t capacity) {
    int c = class_of(capacity);
    if (c < 0) return false;
    sodium_memzero(p, classes[c]);
    std::lock_guard<std::mutex> lock(mutex_);
    free_[c].push_back(p);
    return true;
  }

  static std::size_t slot_size(std::size_t size) {
    int c = class_of(size);
    return c < 0 ? size : classes[c];
  }

 private:
  static int class_of(std::size_t size) {
    for (int c = 0; c < 3; ++c)
      if (size <= classes[c]) return c;
    return -1;
  }

  std::mutex mutex_;
  std::vector<std::uint8_t*> free_[3];
  std::uint8_t* first_ = nullptr;  // the first pool of each class, together
  bool first_taken_[3] = {false, false, false};
  std::vector<std::uint8_t*> pools_;  // kept for the life of the process
};

Pools& pools() {
  static Pools* p = new Pools;  // never destroyed: secrets may outlive statics
  return *p;
}

}  // namespace

void init_crypto() {
  if (sodium_init() < 0) throw SystemError("cannot initialise libsodium");
}

SecretBytes::SecretBytes(std::size_t size) : size_(size), capacity_(Pools::slot_size(size)) {
  if (size == 0) {
    capacity_ = 0;
    return;
  }
  data_ = pools().take(size);
  if (data_ != nullptr) return;  // pool slots are zero: new, or wiped when given back
  data_ = static_cast<std::uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
  std::memset(data_, 0, size);
}

SecretBytes SecretBytes::copy_of(std::span<const std::uint8_t> bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void SecretBytes::truncate(std::size_t size) {
  if (size >= size_) return;
  sodium_memzero(data_ + size, size_ - size);
  size_ = size;
}

void SecretBytes::release() {
  // A pool slot is wiped and kept; sodium_free wipes before it unmaps.
  if (data_ != nullptr && !pools().give_back(data_, capacity_)) sodium_free(data_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(void* p, std::size_t n) { sodium_memzero(p, n); }

bool is_zero(std::span<const std::uint8_t> bytes) {
  return bytes.empty() || sodium_is_zero(bytes.data(), bytes.size()) == 1;
}

void random_bytes(std::span<std::uint8_t> out) {
  randombytes_buf(out.data(), out.size());
}

SecretBytes random_text(std::size_t length, std::string_view alphabet) {
  if (alphabet.empty() || alphabet.size() > UINT32_MAX)
    throw std::logic_error("random_text: bad alphabet");
  SecretBytes out(length);
  auto upper = static_cast<std::uint32_t>(alphabet.size());
  for (std::uint8_t& c : out.span())
    c = static_cast<std::uint8_t>(alphabet[randombytes_uniform(upper)]);
  return out;
}

}  // namespace grypt
