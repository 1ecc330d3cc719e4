// The OpenSSL backend, confined to crypto.cpp: HKDF-SHA-256, AES-256-GCM
// and SHA-512. libsodium (secret.h, keys.h) covers the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/secret.h"

namespace grypt {

inline constexpr std::size_t key_bytes = 32;
inline constexpr std::size_t gcm_nonce_bytes = 12;
inline constexpr std::size_t gcm_tag_bytes = 16;

// HKDF-SHA-256 (RFC 5869) with a 32-byte output.
SecretBytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info);

// AES-256-GCM with one key and many nonces; no associated data unless given.
// The key schedule is computed once, so sealing chunk after chunk costs only
// the IV setup per call.
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
  struct Ctx;
  std::unique_ptr<Ctx> enc_, dec_;
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
  void* ctx_;
};

void sha256(std::span<const std::uint8_t> data, std::span<std::uint8_t, 32> out);

}  // namespace grypt
