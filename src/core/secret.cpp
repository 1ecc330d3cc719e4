#include "core/secret.h"

#include <sodium.h>

#include <cstring>
#include <new>
#include <utility>

#include "core/error.h"

namespace grypt {

void init_crypto() {
  if (sodium_init() < 0) throw SystemError("cannot initialise libsodium");
}

SecretBytes::SecretBytes(std::size_t size) : size_(size), capacity_(size) {
  if (size == 0) return;
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
  if (data_ != nullptr) sodium_free(data_);  // sodium_free wipes first
  data_ = nullptr;
  size_ = capacity_ = 0;
}

bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(void* p, std::size_t n) { sodium_memzero(p, n); }

void random_bytes(std::span<std::uint8_t> out) {
  randombytes_buf(out.data(), out.size());
}

}  // namespace grypt
