// Secrets in memory: libsodium guarded allocations (locked, guard pages,
// wiped on release), constant-time comparison and the OS CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace grypt {

// Initialises libsodium once; every entry point that uses the core calls it
// (run_tool does, tests do). Throws SystemError if the library cannot start.
void init_crypto();

// A move-only buffer of secret bytes in guarded memory. Its size can shrink
// (for example after reading a passphrase into a larger buffer); the whole
// allocation is wiped on release.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);  // zero-filled
  static SecretBytes copy_of(std::span<const std::uint8_t> bytes);
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::span<std::uint8_t> span() { return {data_, size_}; }
  std::span<const std::uint8_t> span() const { return {data_, size_}; }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  // Shrinks the visible size; the bytes past it are wiped.
  void truncate(std::size_t size);

 private:
  void release();
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Constant time in the contents; sizes are not secret.
bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

void wipe(void* p, std::size_t n);
// Constant time: whether every byte is zero.
bool is_zero(std::span<const std::uint8_t> bytes);
void random_bytes(std::span<std::uint8_t> out);
// `length` characters, each drawn independently and uniformly from
// `alphabet` (libsodium's randombytes_uniform: no modulo bias), in guarded
// memory. The alphabet must hold 1 to 2^32 - 1 characters.
SecretBytes random_text(std::size_t length, std::string_view alphabet);

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace grypt
