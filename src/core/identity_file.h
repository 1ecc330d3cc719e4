// The identity file (man/grypt.5, IDENTITY FILE), 193 bytes (177 without a
// passphrase):
//
//   off size field
//   0   8    "GRYPTID" 0x01
//   8   1    kdf: 0 none, 1 Argon2id
//   9   4    Argon2 t          (zero when kdf = 0)
//   13  4    Argon2 m, KiB     (zero when kdf = 0)
//   17  4    Argon2 p          (zero when kdf = 0)
//   21  16   Argon2 salt       (zero when kdf = 0)
//   37  12   AES-GCM nonce     (zero when kdf = 0)
//   49  32   Ed25519 public key
//   81  32   X25519 public key
//   113 64   secret part: Ed25519 seed || X25519 secret (encrypted, kdf = 1)
//   177 16   GCM tag (kdf = 1 only)
//
// kdf 1: AES-256-GCM(Argon2id(passphrase, salt, t, m, p), nonce, secret part,
// AAD = bytes 0..113).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/argon2id.h"
#include "core/keys.h"

namespace grypt {

// RFC 9106's second recommendation: an identity is unlocked often.
inline constexpr Argon2Params identity_kdf_default{3, 64u << 10, 4};

struct IdentityInfo {
  PublicKey public_key;
  bool encrypted = false;
  Argon2Params params{};
};

// passphrase == nullptr writes the secret keys unencrypted.
std::vector<std::uint8_t> encode_identity(const Identity& id, const SecretBytes* passphrase,
                                          const Argon2Params& params = identity_kdf_default);

// Structure and public keys, without the passphrase. FormatError naming
// `path` for anything malformed.
IdentityInfo inspect_identity(std::span<const std::uint8_t> file, const std::string& path);

// Unlocks; `passphrase` is asked only for an encrypted file. A wrong
// passphrase throws OpenError(wrong_key) (exit 1); a damaged file FormatError.
Identity decode_identity(std::span<const std::uint8_t> file, const std::string& path,
                         const std::function<SecretBytes()>& passphrase);

// Reads and unlocks the identity at `path`.
Identity load_identity(const std::string& path, const std::function<SecretBytes()>& passphrase);
IdentityInfo load_identity_info(const std::string& path);

}  // namespace grypt
