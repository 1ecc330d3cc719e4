// TLS 1.3 over Asio for gryptd and gryptserver (man/grypt-protocol.7,
// TRANSPORT): both sides present a self-signed certificate over their
// identity's Ed25519 key, ALPN "grypt/2" (the protocol version), no tickets, no resumption.
//
// The stream drives an SSL object directly on the non-blocking socket and
// waits with async_wait, rather than through asio::ssl::stream: measured
// here, that costs about 17 KiB per idle connection (OpenSSL's buffers are
// released while idle) against about 78 KiB (the stream's own buffers and a
// BIO pair), and a server holds tens of thousands of idle members.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/error.h"
#include "core/keys.h"

struct ssl_st;
struct ssl_ctx_st;

namespace grypt {

// What a TLS session failed at; ends that connection only.
class TlsError : public Error {
 public:
  using Error::Error;
};

// The peer's certificate is not over the pinned key.
class PinError : public TlsError {
 public:
  using TlsError::TlsError;
};

using Ed25519Key = std::array<std::uint8_t, 32>;

class TlsContext {
 public:
  enum class Role { server, client };
  TlsContext(Role role, const Identity& id);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ssl_ctx_st* get() const { return ctx_; }
  Role role() const { return role_; }

 private:
  Role role_;
  ssl_ctx_st* ctx_ = nullptr;
};

class TlsStream {
 public:
  TlsStream(const TlsContext& ctx, asio::ip::tcp::socket socket);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // A client's pin: the handshake fails, inside it and before this side's
  // certificate is sent, unless the peer's certificate is over `key`
  // (grypt-protocol.7, TRANSPORT).
  void expect_peer(const Ed25519Key& key);
  // Handshakes and checks ALPN; TlsError on failure.
  asio::awaitable<void> handshake();
  // The peer certificate's Ed25519 key, after the handshake.
  const Ed25519Key& peer_key() const { return peer_key_; }

  // Some bytes (at least one); 0 at the peer's clean close.
  asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buf);
  // Waits until the socket has bytes to read, without a buffer (an idle
  // member costs no read buffer).
  asio::awaitable<void> wait_readable();
  bool has_buffered() const;
  asio::awaitable<void> write_all(std::span<const std::uint8_t> bytes);
  // Sends close_notify if it can without waiting, and closes the socket;
  // pending operations end.
  void close();
  bool is_open() const { return socket_.is_open(); }
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  template <class Op>
  asio::awaitable<int> drive(Op op);

  asio::ip::tcp::socket socket_;
  ssl_st* ssl_ = nullptr;
  Ed25519Key peer_key_{};
  Ed25519Key expected_{};  // with expect_peer
};

// The pin on a client's SSL object (TlsStream::expect_peer's, for code that
// drives its own SSL objects): the handshake fails, inside the certificate
// check, unless the peer's certificate is over `*key`, which must outlive
// the handshake.
void pin_peer(ssl_st* ssl, const Ed25519Key* key);

// Tests and benchmarks: a certificate for a throwaway identity, as PEM, for
// tools such as openssl s_server.
std::string certificate_pem(const Identity& id);
std::string private_key_pem(const Identity& id);

}  // namespace grypt
