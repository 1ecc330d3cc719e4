// Identities and public keys (man/grypt.5, PUBLIC KEYS).
//
// An identity is an Ed25519 signing pair and an independent X25519
// key-agreement pair. Public key = ed25519_pk (32) || x25519_pk (32).
//   fingerprint (32) = BLAKE2b-256("grypt fingerprint v1" || public key)
//   key id (8)       = fingerprint[0..8)
//   key string       = "grypt-pk:" || base64url(public key || fingerprint[0..4))
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"

namespace grypt {

inline constexpr std::size_t public_key_bytes = 64;
inline constexpr std::size_t secret_key_bytes = 64;  // Ed25519 seed || X25519 secret
inline constexpr std::size_t signature_bytes = 64;
inline constexpr std::size_t key_id_bytes = 8;
inline constexpr std::size_t sealed_box_overhead = 48;
inline constexpr std::string_view key_string_prefix = "grypt-pk:";

using KeyId = std::array<std::uint8_t, key_id_bytes>;
using Fingerprint = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, signature_bytes>;

class PublicKey {
 public:
  PublicKey() = default;
  // Throws FormatError for an invalid Ed25519 point or a zero X25519 key.
  static PublicKey from_bytes(std::span<const std::uint8_t> bytes);
  // The same without the checks, for bytes that are known to be a key:
  // derived from a secret key, or equal to one that was. (The point check
  // multiplies by the group order: a fifth of a short tool's run.)
  static PublicKey from_trusted_bytes(std::span<const std::uint8_t, public_key_bytes> bytes);
  // Parses "grypt-pk:..." (FormatError naming the defect).
  static PublicKey parse(std::string_view text);

  std::string to_string() const;
  Fingerprint fingerprint() const;
  std::string fingerprint_text() const;  // as people compare it: short_code (encoding.h)
  KeyId key_id() const;
  std::span<const std::uint8_t, 32> ed25519() const { return std::span(bytes_).first<32>(); }
  std::span<const std::uint8_t, 32> x25519() const { return std::span(bytes_).last<32>(); }
  std::span<const std::uint8_t, public_key_bytes> bytes() const { return bytes_; }
  // Whether the two keys have the same Ed25519 half (one signer).
  bool same_signer(const PublicKey& other) const { return std::ranges::equal(ed25519(), other.ed25519()); }
  auto operator<=>(const PublicKey&) const = default;  // byte order, for sets and maps

  // Ed25519 verification of a detached signature.
  bool verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t, 64> sig) const;
  // libsodium sealed box of `plain` to this key's X25519 half.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> plain) const;

 private:
  std::array<std::uint8_t, public_key_bytes> bytes_{};
};

class Identity {
 public:
  static Identity generate();
  // From the 64-byte secret part (Ed25519 seed || X25519 secret).
  static Identity from_secret(std::span<const std::uint8_t> secret);

  const PublicKey& public_key() const { return public_; }
  // The 64-byte secret part: Ed25519 seed || X25519 secret key.
  const SecretBytes& secret() const { return secret_; }

  Signature sign(std::span<const std::uint8_t> message) const;
  // Opens a sealed box addressed to this identity; false if it is not ours
  // or was modified.
  [[nodiscard]] bool open_sealed(std::span<const std::uint8_t> box, SecretBytes& out) const;

 private:
  PublicKey public_;
  SecretBytes secret_;     // seed || x25519 secret
  SecretBytes ed_secret_;  // libsodium's 64-byte Ed25519 secret key
};

}  // namespace grypt
