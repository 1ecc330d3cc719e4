#include "core/identity_file.h"

#include <cstring>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/file.h"

namespace grypt {
namespace {

constexpr std::uint8_t magic[8] = {'G', 'R', 'Y', 'P', 'T', 'I', 'D', 0x01};
constexpr std::size_t off_kdf = 8, off_t = 9, off_m = 13, off_p = 17, off_salt = 21,
                      off_nonce = 37, off_pub = 49, off_secret = 113, off_tag = 177;
constexpr std::size_t size_plain = 177, size_encrypted = 193;
constexpr std::uint8_t kdf_none = 0, kdf_argon2id = 1;

SecretBytes wrapping_key(const SecretBytes& passphrase, std::span<const std::uint8_t> salt,
                         const Argon2Params& params) {
  SecretBytes key(key_bytes);
  argon2id(key.span(), {passphrase.span(), salt, {}, {}}, params);
  return key;
}

}  // namespace

std::vector<std::uint8_t> encode_identity(const Identity& id, const SecretBytes* passphrase,
                                          const Argon2Params& params) {
  std::vector<std::uint8_t> f(passphrase ? size_encrypted : size_plain, 0);
  std::memcpy(f.data(), magic, sizeof magic);
  std::memcpy(&f[off_pub], id.public_key().bytes().data(), public_key_bytes);
  if (!passphrase) {
    f[off_kdf] = kdf_none;
    std::memcpy(&f[off_secret], id.secret().data(), secret_key_bytes);
    return f;
  }
  f[off_kdf] = kdf_argon2id;
  put_be32(&f[off_t], params.t_cost);
  put_be32(&f[off_m], params.m_kib);
  put_be32(&f[off_p], params.lanes);
  random_bytes(std::span(&f[off_salt], 16));
  random_bytes(std::span(&f[off_nonce], gcm_nonce_bytes));
  SecretBytes key = wrapping_key(*passphrase, std::span(&f[off_salt], 16), params);
  AesGcm gcm(key.span());
  gcm.seal(std::span<const std::uint8_t, gcm_nonce_bytes>(&f[off_nonce], gcm_nonce_bytes),
           id.secret().span(), &f[off_secret], &f[off_tag], std::span(f.data(), off_secret));
  return f;
}

IdentityInfo inspect_identity(std::span<const std::uint8_t> f, const std::string& path) {
  if (f.size() < sizeof magic || std::memcmp(f.data(), magic, 7) != 0)
    throw FormatError(path + " is not a grypt identity");
  if (f[7] != magic[7])
    throw FormatError(path + " is a grypt identity of an unknown version (" +
                      std::to_string(f[7]) + ")");
  if (f.size() <= off_kdf) throw FormatError(path + " is damaged: truncated");
  IdentityInfo info;
  std::uint8_t kdf = f[off_kdf];
  if (kdf != kdf_none && kdf != kdf_argon2id)
    throw FormatError(path + " is damaged: unknown key protection " + std::to_string(kdf));
  info.encrypted = kdf == kdf_argon2id;
  std::size_t want = info.encrypted ? size_encrypted : size_plain;
  if (f.size() != want)
    throw FormatError(path + " is damaged: " + std::to_string(f.size()) + " bytes, expected " +
                      std::to_string(want) + (f.size() < want ? " (truncated)" : ""));
  if (info.encrypted) {
    info.params = {get_be32(&f[off_t]), get_be32(&f[off_m]), get_be32(&f[off_p])};
    std::string defect = argon2_params_defect(info.params);
    if (!defect.empty()) throw FormatError(path + ": refusing its Argon2 parameters: " + defect);
  } else {
    for (std::size_t i = off_t; i < off_pub; ++i)
      if (f[i] != 0) throw FormatError(path + " is damaged: unused fields are not zero");
  }
  // An encrypted file's stored key is checked before the passphrase is
  // asked. An unencrypted one is checked by deriving it (decode_identity),
  // which costs less than checking the point.
  auto pub = std::span<const std::uint8_t, public_key_bytes>(&f[off_pub], public_key_bytes);
  try {
    info.public_key = info.encrypted ? PublicKey::from_bytes(pub) : PublicKey::from_trusted_bytes(pub);
  } catch (const FormatError& e) {
    throw FormatError(path + " is damaged: " + e.what());
  }
  return info;
}

Identity decode_identity(std::span<const std::uint8_t> f, const std::string& path,
                         const std::function<SecretBytes()>& passphrase) {
  IdentityInfo info = inspect_identity(f, path);
  SecretBytes secret(secret_key_bytes);
  if (!info.encrypted) {
    std::memcpy(secret.data(), &f[off_secret], secret_key_bytes);
  } else {
    SecretBytes pass = passphrase();
    SecretBytes key = wrapping_key(pass, f.subspan(off_salt, 16), info.params);
    AesGcm gcm(key.span());
    if (!gcm.open(std::span<const std::uint8_t, gcm_nonce_bytes>(&f[off_nonce], gcm_nonce_bytes),
                  f.subspan(off_secret, secret_key_bytes), &f[off_tag], secret.data(),
                  f.first(off_secret)))
      throw OpenError(Fault::wrong_key, "wrong passphrase for " + path);
  }
  Identity id = Identity::from_secret(secret.span());
  if (!(id.public_key() == info.public_key))
    throw FormatError(path + " is damaged: its secret keys do not match its public keys");
  return id;
}

Identity load_identity(const std::string& path, const std::function<SecretBytes()>& passphrase) {
  // Like ssh with private keys: an identity others can read is refused.
  SecretBytes f = read_secret_file(path, 4096, {.access = Access::private_});
  return decode_identity(f.span(), path, passphrase);
}

IdentityInfo load_identity_info(const std::string& path) {
  SecretBytes f = read_secret_file(path, 4096, {});
  IdentityInfo info = inspect_identity(f.span(), path);
  // Unencrypted: the stored key is checked by deriving it.
  if (!info.encrypted) decode_identity(f.span(), path, [] { return SecretBytes(); });
  return info;
}

}  // namespace grypt
