#include "core/keys.h"

#include <sodium.h>

#include <cstring>
#include <vector>

#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

constexpr std::string_view fingerprint_label = "grypt fingerprint v1";
constexpr std::size_t checksum_bytes = 4;

}  // namespace

PublicKey PublicKey::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != public_key_bytes)
    throw FormatError("public key is " + std::to_string(bytes.size()) + " bytes, not 64");
  PublicKey k;
  std::memcpy(k.bytes_.data(), bytes.data(), public_key_bytes);
  if (crypto_core_ed25519_is_valid_point(k.bytes_.data()) != 1)
    throw FormatError("invalid public key: the Ed25519 key is not a valid point");
  if (sodium_is_zero(k.bytes_.data() + 32, 32))
    throw FormatError("invalid public key: the X25519 key is zero");
  return k;
}

PublicKey PublicKey::from_trusted_bytes(std::span<const std::uint8_t, public_key_bytes> bytes) {
  PublicKey k;
  std::memcpy(k.bytes_.data(), bytes.data(), public_key_bytes);
  return k;
}

PublicKey PublicKey::parse(std::string_view text) {
  if (text.substr(0, key_string_prefix.size()) != key_string_prefix)
    throw FormatError("not a grypt public key (it must start with grypt-pk:)");
  std::vector<std::uint8_t> raw;
  if (!base64_try_decode(text.substr(key_string_prefix.size()), Base64::url_unpadded, raw))
    throw FormatError("invalid public key: not canonical base64url");
  if (raw.size() != public_key_bytes + checksum_bytes)
    throw FormatError("invalid public key: " + std::to_string(raw.size()) + " bytes, not 68");
  PublicKey k;
  std::memcpy(k.bytes_.data(), raw.data(), public_key_bytes);
  Fingerprint fp = k.fingerprint();
  if (std::memcmp(fp.data(), raw.data() + public_key_bytes, checksum_bytes) != 0)
    throw FormatError("invalid public key: checksum mismatch (mistyped or damaged)");
  return from_bytes(std::span(raw).first(public_key_bytes));
}

std::string PublicKey::to_string() const {
  std::array<std::uint8_t, public_key_bytes + checksum_bytes> raw;
  std::memcpy(raw.data(), bytes_.data(), public_key_bytes);
  Fingerprint fp = fingerprint();
  std::memcpy(raw.data() + public_key_bytes, fp.data(), checksum_bytes);
  return std::string(key_string_prefix) + base64_encode(raw, Base64::url_unpadded);
}

Fingerprint PublicKey::fingerprint() const {
  Fingerprint fp;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, fp.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(fingerprint_label.data()),
                            fingerprint_label.size());
  crypto_generichash_update(&st, bytes_.data(), bytes_.size());
  crypto_generichash_final(&st, fp.data(), fp.size());
  return fp;
}

std::string PublicKey::fingerprint_text() const { return short_code(fingerprint()); }

KeyId PublicKey::key_id() const {
  Fingerprint fp = fingerprint();
  KeyId id;
  std::memcpy(id.data(), fp.data(), id.size());
  return id;
}

bool PublicKey::verify(std::span<const std::uint8_t> message,
                       std::span<const std::uint8_t, 64> sig) const {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(),
                                     bytes_.data()) == 0;
}

std::vector<std::uint8_t> PublicKey::seal(std::span<const std::uint8_t> plain) const {
  std::vector<std::uint8_t> box(plain.size() + crypto_box_SEALBYTES);
  if (crypto_box_seal(box.data(), plain.data(), plain.size(), bytes_.data() + 32) != 0)
    throw SystemError("cannot seal to a public key");
  return box;
}

Identity Identity::generate() {
  SecretBytes secret(secret_key_bytes);
  randombytes_buf(secret.data(), 32);  // Ed25519 seed
  randombytes_buf(secret.data() + 32, 32);  // X25519 secret
  return from_secret(secret.span());
}

Identity Identity::from_secret(std::span<const std::uint8_t> secret) {
  if (secret.size() != secret_key_bytes)
    throw FormatError("secret key is " + std::to_string(secret.size()) + " bytes, not 64");
  Identity id;
  id.secret_ = SecretBytes::copy_of(secret);
  id.ed_secret_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  std::array<std::uint8_t, public_key_bytes> pub;
  crypto_sign_seed_keypair(pub.data(), id.ed_secret_.data(), secret.data());
  crypto_scalarmult_base(pub.data() + 32, secret.data() + 32);
  id.public_ = PublicKey::from_trusted_bytes(pub);  // derived: valid by construction
  return id;
}

Signature Identity::sign(std::span<const std::uint8_t> message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), ed_secret_.data());
  return sig;
}

bool Identity::open_sealed(std::span<const std::uint8_t> box, SecretBytes& out) const {
  if (box.size() < crypto_box_SEALBYTES) return false;
  SecretBytes plain(box.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(plain.data(), box.data(), box.size(), public_.x25519().data(),
                           secret_.data() + 32) != 0)
    return false;
  out = std::move(plain);
  return true;
}

}  // namespace grypt
