#include "core/crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "core/error.h"

namespace grypt {
namespace {

[[noreturn]] void openssl_failed(const char* what) {
  throw SystemError(std::string("OpenSSL: ") + what + " failed");
}

int len(std::size_t n) { return static_cast<int>(n); }

}  // namespace

SecretBytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info) {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) openssl_failed("HKDF fetch");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  if (ctx == nullptr) openssl_failed("HKDF context");
  char digest[] = "SHA256";
  // An empty salt is left out: RFC 5869 then uses HashLen zero bytes.
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                           const_cast<std::uint8_t*>(ikm.data()), ikm.size());
  if (!salt.empty())
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                             const_cast<std::uint8_t*>(salt.data()), salt.size());
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                           const_cast<std::uint8_t*>(info.data()), info.size());
  *p = OSSL_PARAM_construct_end();
  SecretBytes out(key_bytes);
  int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) openssl_failed("HKDF");
  return out;
}

struct AesGcm::Ctx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~Ctx() { EVP_CIPHER_CTX_free(ctx); }
};

AesGcm::AesGcm(std::span<const std::uint8_t> key) : enc_(new Ctx), dec_(new Ctx) {
  if (key.size() != key_bytes) throw std::logic_error("AES-256-GCM needs a 32-byte key");
  if (enc_->ctx == nullptr || dec_->ctx == nullptr) openssl_failed("cipher context");
  // The key schedule is set once; each chunk only sets its IV.
  if (EVP_EncryptInit_ex(enc_->ctx, EVP_aes_256_gcm(), nullptr, key.data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(dec_->ctx, EVP_aes_256_gcm(), nullptr, key.data(), nullptr) != 1)
    openssl_failed("AES-256-GCM init");
}

AesGcm::~AesGcm() = default;

void AesGcm::seal(std::span<const std::uint8_t, gcm_nonce_bytes> nonce,
                  std::span<const std::uint8_t> in, std::uint8_t* out, std::uint8_t* tag,
                  std::span<const std::uint8_t> aad) {
  EVP_CIPHER_CTX* c = enc_->ctx;
  int n = 0;
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1)
    openssl_failed("GCM IV");
  if (!aad.empty() && EVP_EncryptUpdate(c, nullptr, &n, aad.data(), len(aad.size())) != 1)
    openssl_failed("GCM AAD");
  if (!in.empty() && EVP_EncryptUpdate(c, out, &n, in.data(), len(in.size())) != 1)
    openssl_failed("GCM encrypt");
  if (EVP_EncryptFinal_ex(c, out + in.size(), &n) != 1) openssl_failed("GCM final");
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, gcm_tag_bytes, tag) != 1)
    openssl_failed("GCM tag");
}

bool AesGcm::open(std::span<const std::uint8_t, gcm_nonce_bytes> nonce,
                  std::span<const std::uint8_t> in, const std::uint8_t* tag, std::uint8_t* out,
                  std::span<const std::uint8_t> aad) {
  EVP_CIPHER_CTX* c = dec_->ctx;
  int n = 0;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1)
    openssl_failed("GCM IV");
  if (!aad.empty() && EVP_DecryptUpdate(c, nullptr, &n, aad.data(), len(aad.size())) != 1)
    openssl_failed("GCM AAD");
  if (!in.empty() && EVP_DecryptUpdate(c, out, &n, in.data(), len(in.size())) != 1)
    openssl_failed("GCM decrypt");
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, gcm_tag_bytes,
                          const_cast<std::uint8_t*>(tag)) != 1)
    openssl_failed("GCM tag");
  if (EVP_DecryptFinal_ex(c, out + in.size(), &n) == 1) return true;
  wipe(out, in.size());
  return false;
}

Sha512::Sha512() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha512(), nullptr) != 1)
    openssl_failed("SHA-512 init");
}

Sha512::~Sha512() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha512::update(std::span<const std::uint8_t> data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1)
    openssl_failed("SHA-512");
}

void Sha512::final(std::span<std::uint8_t, size> out) {
  unsigned n = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &n) != 1)
    openssl_failed("SHA-512 final");
}

void sha256(std::span<const std::uint8_t> data, std::span<std::uint8_t, 32> out) {
  unsigned n = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr) != 1)
    openssl_failed("SHA-256");
}

}  // namespace grypt
