#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <asio/use_awaitable.hpp>
#include <cstring>
#include <memory>

#include "core/secret.h"

namespace grypt {
namespace {

constexpr unsigned char alpn[] = {7, 'g', 'r', 'y', 'p', 't', '/', '2'};

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

[[noreturn]] void failed(const std::string& what) {
  throw TlsError("TLS: " + what + ": " + openssl_error());
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

Pkey ed25519_key(const Identity& id) {
  // The identity's secret part starts with the Ed25519 seed.
  Pkey k(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, id.secret().data(), 32));
  if (!k) failed("cannot load the identity's Ed25519 key");
  return k;
}

// A self-signed certificate over the Ed25519 key; peers use nothing in it
// but the key (grypt-protocol.7, TRANSPORT).
Cert self_signed(EVP_PKEY* key) {
  Cert x(X509_new());
  if (!x) failed("X509_new");
  std::uint8_t serial[8];
  random_bytes(serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  ASN1_INTEGER* ai = BN_to_ASN1_INTEGER(bn, nullptr);
  BN_free(bn);
  bool ok = X509_set_version(x.get(), 2) == 1 && ai != nullptr &&
            X509_set_serialNumber(x.get(), ai) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(x.get()), -86400) != nullptr &&
            ASN1_TIME_set_string(X509_getm_notAfter(x.get()), "99991231235959Z") == 1 &&
            X509_set_pubkey(x.get(), key) == 1;
  ASN1_INTEGER_free(ai);
  X509_NAME* name = X509_get_subject_name(x.get());
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("grypt"), -1, -1, 0) == 1 &&
       X509_set_issuer_name(x.get(), name) == 1 && X509_sign(x.get(), key, nullptr) > 0;
  if (!ok) failed("cannot make the certificate");
  return x;
}

// Every certificate is self-signed: the chain is not what is checked; the
// key is, after the handshake.
int accept_any(int, X509_STORE_CTX*) { return 1; }

int pin_index() {
  static int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// A client that pins its server checks the certificate's key here, while
// the handshake runs: in TLS 1.3 that is before the client sends its own
// certificate, so a server that is not the pinned one never learns it.
int check_pin(int, X509_STORE_CTX* ctx) {
  if (X509_STORE_CTX_get_error_depth(ctx) != 0) return 1;
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* expected = static_cast<const Ed25519Key*>(SSL_get_ex_data(ssl, pin_index()));
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  EVP_PKEY* key = cert ? X509_get0_pubkey(cert) : nullptr;
  Ed25519Key got{};
  std::size_t n = got.size();
  if (expected == nullptr || key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(key, got.data(), &n) != 1 || n != got.size() ||
      std::memcmp(got.data(), expected->data(), got.size()) != 0) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, alpn, sizeof alpn, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void pin_peer(SSL* ssl, const Ed25519Key* key) {
  SSL_set_ex_data(ssl, pin_index(), const_cast<Ed25519Key*>(key));
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, check_pin);
}

TlsContext::TlsContext(Role role, const Identity& id) : role_(role) {
  ctx_ = SSL_CTX_new(role == Role::server ? TLS_server_method() : TLS_client_method());
  if (ctx_ == nullptr) failed("cannot make a context");
  Pkey key = ed25519_key(id);
  Cert cert = self_signed(key.get());
  bool ok = SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(ctx_, TLS1_3_VERSION) == 1 &&
            SSL_CTX_use_certificate(ctx_, cert.get()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx_, key.get()) == 1 && SSL_CTX_check_private_key(ctx_) == 1 &&
            SSL_CTX_set_num_tickets(ctx_, 0) == 1;
  if (!ok) failed("cannot configure the context");
  // No resumption: every connection proves the pinned key again.
  SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  // An idle connection gives its read and write buffers back.
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                             SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
  if (role == Role::server)
    SSL_CTX_set_alpn_select_cb(ctx_, select_alpn, nullptr);
  else if (SSL_CTX_set_alpn_protos(ctx_, alpn, sizeof alpn) != 0)
    failed("cannot set ALPN");
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsStream::TlsStream(const TlsContext& ctx, asio::ip::tcp::socket socket)
    : socket_(std::move(socket)) {
  socket_.non_blocking(true);
  ssl_ = SSL_new(ctx.get());
  if (ssl_ == nullptr) failed("cannot make a session");
  SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
  if (ctx.role() == TlsContext::Role::server)
    SSL_set_accept_state(ssl_);
  else
    SSL_set_connect_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

void TlsStream::expect_peer(const Ed25519Key& key) {
  expected_ = key;
  pin_peer(ssl_, &expected_);
}

// Runs `op` until it succeeds, waiting on the socket when OpenSSL asks to.
// Returns op's result (> 0), or 0 for a clean close; TlsError otherwise.
template <class Op>
asio::awaitable<int> TlsStream::drive(Op op) {
  for (;;) {
    ERR_clear_error();
    int r = op();
    if (r > 0) co_return r;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) {
      co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, asio::use_awaitable);
    } else if (e == SSL_ERROR_WANT_WRITE) {
      co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, asio::use_awaitable);
    } else if (e == SSL_ERROR_ZERO_RETURN) {
      co_return 0;
    } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      throw TlsError(r == 0 ? "the connection was closed" : "the connection broke");
    } else {
      failed("the session failed");
    }
  }
}

asio::awaitable<void> TlsStream::handshake() {
  int r = 0;
  try {
    r = co_await drive([this] { return SSL_do_handshake(ssl_); });
  } catch (const TlsError&) {
    if (SSL_get_verify_result(ssl_) == X509_V_ERR_APPLICATION_VERIFICATION)
      throw PinError("the server's certificate is not over the key its reference names: refusing it");
    throw;
  }
  if (r <= 0) throw TlsError("the connection was closed during the handshake");
  if (SSL_version(ssl_) != TLS1_3_VERSION) throw TlsError("not TLS 1.3");
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &proto, &len);
  if (len != sizeof alpn - 1 || std::memcmp(proto, alpn + 1, len) != 0)
    throw TlsError("the peer does not speak grypt/2");
  X509* cert = SSL_get0_peer_certificate(ssl_);
  EVP_PKEY* key = cert ? X509_get0_pubkey(cert) : nullptr;
  std::size_t n = peer_key_.size();
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(key, peer_key_.data(), &n) != 1 || n != peer_key_.size())
    throw TlsError("the peer's certificate is not over an Ed25519 key");
}

asio::awaitable<std::size_t> TlsStream::read_some(std::span<std::uint8_t> buf) {
  int r = co_await drive(
      [&] { return SSL_read(ssl_, buf.data(), static_cast<int>(std::min<std::size_t>(buf.size(), 1 << 30))); });
  co_return static_cast<std::size_t>(r);
}

asio::awaitable<void> TlsStream::wait_readable() {
  if (SSL_pending(ssl_) > 0) co_return;
  co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, asio::use_awaitable);
}

bool TlsStream::has_buffered() const { return SSL_pending(ssl_) > 0; }

asio::awaitable<void> TlsStream::write_all(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    int chunk = static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20));
    int r = co_await drive([&] { return SSL_write(ssl_, bytes.data(), chunk); });
    if (r <= 0) throw TlsError("the connection was closed");
    bytes = bytes.subspan(static_cast<std::size_t>(r));
  }
}

void TlsStream::close() {
  if (!socket_.is_open()) return;
  if (SSL_is_init_finished(ssl_)) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // best effort: one non-blocking try
  }
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  ERR_clear_error();
}

std::string certificate_pem(const Identity& id) {
  Pkey key = ed25519_key(id);
  Cert cert = self_signed(key.get());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, cert.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}

std::string private_key_pem(const Identity& id) {
  Pkey key = ed25519_key(id);
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}

}  // namespace grypt
