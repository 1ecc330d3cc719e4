#include "core/crypto.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/error.h"

namespace grypt {
namespace {

// Past this much work a process is doing bulk, where OpenSSL's start-up
// pays for itself (measured: OpenSSL's first AES-GCM costs about 1 ms here;
// it then runs 5.3 GB/s against libsodium's 2.2).
constexpr std::uint64_t bulk_threshold = 1 << 20;
constexpr std::size_t sha_hold = 1 << 20;

std::atomic<std::uint64_t> g_bulk_bytes{0};

// libsodium declares its buffers non-null even when their length is zero.
const std::uint8_t* nonnull(std::span<const std::uint8_t> s) {
  static const std::uint8_t none = 0;
  return s.empty() ? &none : s.data();
}
CryptoBackend g_backend = CryptoBackend::automatic;

[[noreturn]] void openssl_failed(const char* what) {
  throw SystemError(std::string("OpenSSL: ") + what + " failed");
}

int len(std::size_t n) { return static_cast<int>(n); }

// libcrypto is loaded when first needed: merely linking it made the dynamic
// loader resolve its 4000 symbols at every start, a third of a small
// vault-get (README, performance). Each entry has the type of the
// function it stands for, from OpenSSL's own headers.
struct Libcrypto {
#define GRYPT_OSSL(name) decltype(&::name) name = nullptr;
#define GRYPT_OSSL_FUNCTIONS                                                            \
  GRYPT_OSSL(OPENSSL_init_crypto) GRYPT_OSSL(EVP_CIPHER_fetch)                          \
  GRYPT_OSSL(EVP_CIPHER_CTX_new) GRYPT_OSSL(EVP_CIPHER_CTX_free)                        \
  GRYPT_OSSL(EVP_CIPHER_CTX_ctrl) GRYPT_OSSL(EVP_EncryptInit_ex)                        \
  GRYPT_OSSL(EVP_EncryptUpdate) GRYPT_OSSL(EVP_EncryptFinal_ex)                         \
  GRYPT_OSSL(EVP_DecryptInit_ex) GRYPT_OSSL(EVP_DecryptUpdate)                          \
  GRYPT_OSSL(EVP_DecryptFinal_ex) GRYPT_OSSL(EVP_MD_fetch) GRYPT_OSSL(EVP_MD_CTX_new)   \
  GRYPT_OSSL(EVP_MD_CTX_free) GRYPT_OSSL(EVP_DigestInit_ex) GRYPT_OSSL(EVP_DigestUpdate) \
  GRYPT_OSSL(EVP_DigestFinal_ex)
  GRYPT_OSSL_FUNCTIONS
#undef GRYPT_OSSL
};

// OpenSSL without its configuration file and its legacy name tables: a tool
// needs neither, and loading them is most of OpenSSL's start-up.
const Libcrypto& ossl_lib() {
  static const Libcrypto* lib = [] {
    void* h = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) throw SystemError(std::string("cannot load OpenSSL: ") + ::dlerror());
    auto* l = new Libcrypto;
#define GRYPT_OSSL(name)                                                     \
  l->name = reinterpret_cast<decltype(&::name)>(::dlsym(h, #name));          \
  if (l->name == nullptr) throw SystemError("cannot load OpenSSL: no " #name);
    GRYPT_OSSL_FUNCTIONS
#undef GRYPT_OSSL
    if (l->OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                   OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                               nullptr) != 1)
      openssl_failed("initialisation");
    return l;
  }();
  return *lib;
}

bool want_openssl(std::size_t bytes) {
  switch (g_backend) {
    case CryptoBackend::openssl: return true;
    case CryptoBackend::sodium: return false;
    case CryptoBackend::automatic: break;
  }
  return g_bulk_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes > bulk_threshold;
}

}  // namespace

void set_crypto_backend(CryptoBackend backend) { g_backend = backend; }

Mac hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, nonnull(data), data.size());
  Mac mac;
  crypto_auth_hmacsha256_final(&st, mac.data());
  sodium_memzero(&st, sizeof st);
  return mac;
}

// RFC 5869 with L = 32 = HashLen: one block of Expand.
//   PRK = HMAC(salt or 32 zero bytes, IKM)
//   OKM = T(1) = HMAC(PRK, info || 0x01)
SecretBytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info) {
  const std::array<std::uint8_t, 32> zero{};
  crypto_auth_hmacsha256_state st;
  SecretBytes prk(crypto_auth_hmacsha256_BYTES);
  if (salt.empty()) salt = zero;
  crypto_auth_hmacsha256_init(&st, salt.data(), salt.size());
  crypto_auth_hmacsha256_update(&st, nonnull(ikm), ikm.size());
  crypto_auth_hmacsha256_final(&st, prk.data());
  SecretBytes out(key_bytes);
  const std::uint8_t counter = 1;
  crypto_auth_hmacsha256_init(&st, prk.data(), prk.size());
  crypto_auth_hmacsha256_update(&st, nonnull(info), info.size());
  crypto_auth_hmacsha256_update(&st, &counter, 1);
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

struct AesGcm::Ossl {
  const Libcrypto& lib = ossl_lib();
  EVP_CIPHER_CTX* enc = lib.EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* dec = lib.EVP_CIPHER_CTX_new();
  ~Ossl() {
    lib.EVP_CIPHER_CTX_free(enc);
    lib.EVP_CIPHER_CTX_free(dec);
  }
};

AesGcm::AesGcm(std::span<const std::uint8_t> key) : key_(SecretBytes::copy_of(key)) {
  if (key.size() != key_bytes) throw std::logic_error("AES-256-GCM needs a 32-byte key");
  if (g_backend != CryptoBackend::openssl && crypto_aead_aes256gcm_is_available()) {
    sodium_state_ = SecretBytes(sizeof(crypto_aead_aes256gcm_state));
    crypto_aead_aes256gcm_beforenm(
        reinterpret_cast<crypto_aead_aes256gcm_state*>(sodium_state_.data()), key.data());
  }
}

AesGcm::~AesGcm() = default;

bool AesGcm::use_sodium(std::size_t bytes) {
  return !sodium_state_.empty() && !want_openssl(bytes);
}

AesGcm::Ossl& AesGcm::ossl() {
  if (!ossl_) {
    auto o = std::make_unique<Ossl>();
    static EVP_CIPHER* cipher = o->lib.EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (cipher == nullptr) openssl_failed("AES-256-GCM fetch");
    if (o->enc == nullptr || o->dec == nullptr) openssl_failed("cipher context");
    // The key schedule is set once; each chunk only sets its IV.
    if (o->lib.EVP_EncryptInit_ex(o->enc, cipher, nullptr, key_.data(), nullptr) != 1 ||
        o->lib.EVP_DecryptInit_ex(o->dec, cipher, nullptr, key_.data(), nullptr) != 1)
      openssl_failed("AES-256-GCM init");
    ossl_ = std::move(o);
  }
  return *ossl_;
}

void AesGcm::seal(std::span<const std::uint8_t, gcm_nonce_bytes> nonce,
                  std::span<const std::uint8_t> in, std::uint8_t* out, std::uint8_t* tag,
                  std::span<const std::uint8_t> aad) {
  if (use_sodium(in.size())) {
    unsigned long long tag_len = 0;
    static std::uint8_t discard;
    crypto_aead_aes256gcm_encrypt_detached_afternm(
        in.empty() ? &discard : out, tag, &tag_len, nonnull(in), in.size(), nonnull(aad),
        aad.size(), nullptr, nonce.data(),
        reinterpret_cast<const crypto_aead_aes256gcm_state*>(sodium_state_.data()));
    return;
  }
  Ossl& o = ossl();
  EVP_CIPHER_CTX* c = o.enc;
  int n = 0;
  if (o.lib.EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1)
    openssl_failed("GCM IV");
  if (!aad.empty() && o.lib.EVP_EncryptUpdate(c, nullptr, &n, aad.data(), len(aad.size())) != 1)
    openssl_failed("GCM AAD");
  if (!in.empty() && o.lib.EVP_EncryptUpdate(c, out, &n, in.data(), len(in.size())) != 1)
    openssl_failed("GCM encrypt");
  if (o.lib.EVP_EncryptFinal_ex(c, out + in.size(), &n) != 1) openssl_failed("GCM final");
  if (o.lib.EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, gcm_tag_bytes, tag) != 1)
    openssl_failed("GCM tag");
}

bool AesGcm::open(std::span<const std::uint8_t, gcm_nonce_bytes> nonce,
                  std::span<const std::uint8_t> in, const std::uint8_t* tag, std::uint8_t* out,
                  std::span<const std::uint8_t> aad) {
  if (use_sodium(in.size())) {
    static std::uint8_t discard;
    if (crypto_aead_aes256gcm_decrypt_detached_afternm(
            in.empty() ? &discard : out, nullptr, nonnull(in), in.size(), tag, nonnull(aad),
            aad.size(), nonce.data(),
            reinterpret_cast<const crypto_aead_aes256gcm_state*>(sodium_state_.data())) == 0)
      return true;
    wipe(out, in.size());
    return false;
  }
  Ossl& o = ossl();
  EVP_CIPHER_CTX* c = o.dec;
  int n = 0;
  if (o.lib.EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data()) != 1)
    openssl_failed("GCM IV");
  if (!aad.empty() && o.lib.EVP_DecryptUpdate(c, nullptr, &n, aad.data(), len(aad.size())) != 1)
    openssl_failed("GCM AAD");
  if (!in.empty() && o.lib.EVP_DecryptUpdate(c, out, &n, in.data(), len(in.size())) != 1)
    openssl_failed("GCM decrypt");
  if (o.lib.EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, gcm_tag_bytes,
                                const_cast<std::uint8_t*>(tag)) != 1)
    openssl_failed("GCM tag");
  if (o.lib.EVP_DecryptFinal_ex(c, out + in.size(), &n) == 1) return true;
  wipe(out, in.size());
  return false;
}

Sha512::Sha512() = default;

Sha512::~Sha512() {
  if (ctx_ != nullptr) ossl_lib().EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha512::update(std::span<const std::uint8_t> data) {
  if (ctx_ == nullptr) {
    bool fits = have_ + data.size() <= sha_hold && g_backend != CryptoBackend::openssl;
    if (fits) {
      if (held_.size() < have_ + data.size()) {
        // Grow to fit, doubling, up to the bound.
        SecretBytes bigger(std::min(sha_hold, std::max(have_ + data.size(), 2 * held_.size())));
        if (have_ > 0) std::memcpy(bigger.data(), held_.data(), have_);
        held_ = std::move(bigger);
      }
      if (!data.empty()) std::memcpy(held_.data() + have_, data.data(), data.size());
      have_ += data.size();
      return;
    }
    const Libcrypto& lib = ossl_lib();
    static EVP_MD* md = lib.EVP_MD_fetch(nullptr, "SHA512", nullptr);
    EVP_MD_CTX* c = lib.EVP_MD_CTX_new();
    if (md == nullptr || c == nullptr || lib.EVP_DigestInit_ex(c, md, nullptr) != 1) {
      lib.EVP_MD_CTX_free(c);
      openssl_failed("SHA-512 init");
    }
    ctx_ = c;
    if (have_ > 0 && lib.EVP_DigestUpdate(c, held_.data(), have_) != 1) openssl_failed("SHA-512");
    held_ = SecretBytes();
    have_ = 0;
  }
  if (ossl_lib().EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1)
    openssl_failed("SHA-512");
}

void Sha512::final(std::span<std::uint8_t, size> out) {
  if (ctx_ == nullptr) {
    crypto_hash_sha512(out.data(), nonnull(held_.span()), have_);
    held_ = SecretBytes();
    have_ = 0;
    return;
  }
  unsigned n = 0;
  if (ossl_lib().EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &n) != 1)
    openssl_failed("SHA-512 final");
}

void sha256(std::span<const std::uint8_t> data, std::span<std::uint8_t, 32> out) {
  crypto_hash_sha256(out.data(), nonnull(data), data.size());
}

}  // namespace grypt
