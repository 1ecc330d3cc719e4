// Symmetric primitives, confined to crypto.cpp: HKDF-SHA-256, HMAC-SHA-256,
// AES-256-GCM, SHA-512 and SHA-256. Format code uses these and secret.h /
// keys.h, never a library directly.
//
// Two libraries stand behind them, for speed at both ends of the scale:
// OpenSSL's AES-GCM and SHA-512 are about twice as fast on bulk data here
// (VAES, AVX-512), but the first use of either starts OpenSSL's provider
// machinery, about a millisecond of a short-lived tool's life. So the work
// of a small message or secret is done by libsodium (AES-GCM where the CPU
// has AES-NI, HMAC, SHA-2), and a process moves to OpenSSL once it has
// processed 1 MiB. HKDF is composed from HMAC-SHA-256 as RFC 5869 defines
// it. Both paths give identical bytes; the known-answer tests run both.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/secret.h"

namespace grypt {

inline constexpr std::size_t key_bytes = 32;
inline constexpr std::size_t gcm_nonce_bytes = 12;
inline constexpr std::size_t gcm_tag_bytes = 16;

// HKDF-SHA-256 (RFC 5869) with a 32-byte output. An empty salt means
// HashLen zero bytes, as the RFC says.
SecretBytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info);

// AES-256-GCM with one key and many nonces; no associated data unless given.
class AesGcm {
 public:
  explicit AesGcm(std::span<const std::uint8_t> key);
  ~AesGcm();
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;

  // out has in.size() bytes; tag gets 16. in and out may be the same buffer.
  void seal(std::span<const std::uint8_t, gcm_nonce_bytes> nonce,
            std::span<const std::uint8_t> in, std::uint8_t* out, std::uint8_t* tag,
            std::span<const std::uint8_t> aad = {});
  // False if the tag does not verify; out then holds no plaintext (wiped).
  [[nodiscard]] bool open(std::span<const std::uint8_t, gcm_nonce_bytes> nonce,
                          std::span<const std::uint8_t> in, const std::uint8_t* tag,
                          std::uint8_t* out, std::span<const std::uint8_t> aad = {});

 private:
  struct Ossl;
  bool use_sodium(std::size_t bytes);
  Ossl& ossl();

  SecretBytes key_;
  SecretBytes sodium_state_;  // libsodium's expanded key, when AES-NI is there
  std::unique_ptr<Ossl> ossl_;
};

class Sha512 {
 public:
  static constexpr std::size_t size = 64;
  Sha512();
  ~Sha512();
  Sha512(const Sha512&) = delete;
  Sha512& operator=(const Sha512&) = delete;
  void update(std::span<const std::uint8_t> data);
  void final(std::span<std::uint8_t, size> out);

 private:
  // The first 1 MiB is held (in guarded memory: it is plaintext) and hashed
  // by libsodium if that is all; a longer input moves to OpenSSL.
  SecretBytes held_;
  std::size_t have_ = 0;
  void* ctx_ = nullptr;  // OpenSSL's, once the input proved long
};

void sha256(std::span<const std::uint8_t> data, std::span<std::uint8_t, 32> out);

using Mac = std::array<std::uint8_t, 32>;
// HMAC-SHA-256 with a key of any length.
Mac hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);

// Test seam: which library does the work.
enum class CryptoBackend { automatic, sodium, openssl };
void set_crypto_backend(CryptoBackend backend);

}  // namespace grypt
