// grypt-load: the load program of bench/server. One process, one event
// loop (standalone Asio, C++20 coroutines), many connections to a
// gryptserver speaking group protocol version 2 (man/grypt-protocol.7),
// each member presenting its own identity's certificate and pinning the
// server's key inside the TLS handshake, as gryptd does.
//
//   grypt-load keys --count N --out DIR
//       N fresh identities: DIR/keys, one public key string a line, and
//       DIR/secrets, their 64-byte secret parts back to back (mode 0600).
//   grypt-load admin --reference SERVER-REF --secret FILE --group G --keys FILE
//       The group's administrator, as an administrator's gryptd is: FILE
//       holds its identity's 64-byte secret (a keys --count 1 secrets
//       file), whose key the server lets create groups (gryptserver init
//       --admin). It connects (TlsStream, the server reference's key
//       pinned with expect_peer), creates G (the genesis, made and signed
//       with gryptd/commits.h) and prints {"created":G,"epoch":1,
//       "reference":"grypt-ref:..."}; then it reads commands on stdin, one
//       a line, runs each to its end and prints one JSON line for it,
//       {"n":K,"done":COMMAND,...} (K counts the commands from 1), or
//       {"n":K,"error":...}:
//         add FIRST [COUNT] [CHUNK]  add keys FIRST..FIRST+COUNT-1 of the
//                          keys file as members mFIRST..., one epoch each,
//                          CHUNK of them (1 to 1001, default 1000) in one
//                          commit: a run (grypt-protocol.7, commit), as
//                          grypt-admin add --from does, boxes made for the
//                          run's last roster only; a progress line a commit
//         rotate | remove I   one change (I: member mI), timed: "t0" before
//                          the commit is made, "t_made" once it is,
//                          "t_sent" once its last part is written, "t1"
//                          when the server says committed (CLOCK_REALTIME)
//         connect SERVER-REF  connect again (the server restarted): prints
//                          the group reference with the new endpoints
//         quit
//       Between commands it pings the server every 60 s, so that it is not
//       closed as idle. Every state the server sends back is taken by its
//       chain (GroupChain::take): the administrator's own check.
//   grypt-load cert --out DIR
//       Ed25519 certificates for openssl s_server/s_time: DIR/server.crt,
//       server.key, client.crt, client.key (PEM) and client.secret (the
//       client identity's 64 bytes, for `handshakes`).
//   grypt-load hold --reference REF --secrets FILE --first K --count N
//       [--sources A,B,...] [--parallel P] [--probe I] [--report-file F]
//       [--setup-timeout S]
//       N persistent member sessions (members K..K+N-1 of FILE); a session
//       not synced after S seconds (default 30) counts as failed. Prints one
//       JSON line when all are set up, then one line per pushed epoch once
//       every live session holds it and its boxes are checked; keeps the
//       sessions (pong, ping every 60 s) until SIGTERM. SIGUSR1 writes the
//       per-epoch arrival report to F; SIGTERM writes it (to F, or stdout)
//       and exits.
//   grypt-load joins --reference REF --secrets FILE --count N --concurrency C
//       [--first K] [--members M] [--sources ...] [--probe I]
//       N full joins, C at a time: connect, handshake (pinned), welcome
//       checked, hello, the newest state received and checked, synced,
//       close.
//   grypt-load handshakes --host H --port P --secret FILE --count N
//       --concurrency C [--sources ...]
//       N TLS 1.3 handshakes as grypt's client makes them (Ed25519 client
//       certificate, ALPN grypt/2), each followed by one line sent and its
//       echo read back (openssl s_server -rev), then close.
//   grypt-load flood --host H --port P --count N
//       --kind garbage|stall|handshake-stall [--reconnect-ms MS] [--sources ...]
//       N connections that send garbage bytes, or say nothing, or complete
//       TLS as a throwaway identity and then say nothing. A connection the
//       server closes is opened again after MS (default 1000), so that N stay
//       open or opening; until SIGTERM.
//
// Members and the chain. A member that holds nothing of a group receives
// every state from the genesis, so members that connect to a group with
// thousands of epochs would each receive thousands of states. Members'
// daemons hold their chain; so do these sessions: one "probe" session (by
// default the last member of the range: bench/server adds it last)
// connects first holding nothing and takes every state it receives into a
// GroupChain (GroupChain::take: format, group, signer an administrator of
// the epoch before, chain, roster digest, and its own box against the
// commitment), and every other session says in its hello that it holds the
// newest epoch with its head, and which epochs it lacks the keys of (those
// before it was added), as its daemon would (joins: the epoch before the
// newest, so that each join receives and checks one state).
//
// Checking, cheaply but completely: each new epoch's state is taken by the
// chain once, by the first session that receives it (with that session's
// box). Every other session requires the same 480 bytes, the next epoch
// after the one it holds, and a box (a member of the epoch has one) that
// opens with its own identity to the epoch key the chain holds. Opening a
// box costs an X25519 per member and epoch (group protocol version 2 boxes
// every epoch key to every member under the commit's ephemeral key), so
// the sessions of `hold` open the boxes of a pushed epoch once every live
// session has received it: the arrival times are not those of the load's
// own box opening. The server's welcome is checked in full once (its key
// against the reference's; the handshake pinned its Ed25519 half); later
// welcomes must be the same bytes.
//
// Times: arrival times are CLOCK_REALTIME, taken right after the read that
// brought the synced frame of the epoch (the member holds the epoch then).
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/options.h"
#include "core/encoding.h"
#include "core/epoch_box.h"
#include "core/group.h"
#include "core/group_cache.h"
#include "core/reference.h"
#include "gryptd/ahead.h"
#include "gryptd/commits.h"
#include "net/tls.h"
#include "proto/frame.h"
#include "proto/server.h"

namespace grypt {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

// --- small helpers -----------------------------------------------------------

double realtime() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double monotime() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string fixed(double v, int decimals = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// One line on stdout, at once (the bench script polls the file).
void out_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void progress(const std::string& line) {
  std::string l = "grypt-load: " + line + "\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, l.data(), l.size());
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// As many descriptors as the hard limit allows.
void raise_fd_limit() {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

void write_file(const std::string& path, std::span<const std::uint8_t> bytes, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw SystemError("cannot create " + path, errno);
  ::fchmod(fd, mode);
  std::size_t at = 0;
  while (at < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw SystemError("cannot write " + path, e);
    }
    at += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw SystemError("cannot write " + path, errno);
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError("cannot open " + path, errno);
  std::vector<std::uint8_t> out;
  std::uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw SystemError("cannot read " + path, e);
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

std::vector<asio::ip::address> parse_sources(const std::string& list) {
  std::vector<asio::ip::address> out;
  std::size_t at = 0;
  while (at <= list.size() && !list.empty()) {
    std::size_t comma = list.find(',', at);
    std::string one = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!one.empty()) {
      asio::error_code ec;
      auto a = asio::ip::make_address(one, ec);
      if (ec) throw UsageError("--sources: '" + one + "' is not an IP address");
      out.push_back(a);
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

tcp::endpoint endpoint_of(const std::string& host, std::uint16_t port) {
  asio::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(a, port);
  asio::io_context io;
  tcp::resolver r(io);
  auto results = r.resolve(host, std::to_string(port));
  if (results.empty()) throw UsageError("cannot resolve " + host);
  return *results.begin();
}

// The member secrets of `keys` (N x 64 bytes).
class Secrets {
 public:
  explicit Secrets(const std::string& path) : bytes_(read_file(path)) {
    if (bytes_.empty() || bytes_.size() % secret_key_bytes != 0)
      throw FormatError(path + " is not a whole number of 64-byte secrets");
  }
  ~Secrets() { sodium_memzero(bytes_.data(), bytes_.size()); }
  std::size_t count() const { return bytes_.size() / secret_key_bytes; }
  std::span<const std::uint8_t> at(std::size_t i) const {
    return std::span(bytes_).subspan(i * secret_key_bytes, secret_key_bytes);
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

// A member's certificate and key for SSL_use_certificate/SSL_use_PrivateKey.
struct MemberCert {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  MemberCert() = default;
  explicit MemberCert(const Identity& id) {
    std::string pem = certificate_pem(id);
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, id.secret().data(), 32);
    if (!cert || !key) throw TlsError("cannot make a member certificate: " + openssl_error());
  }
  MemberCert(MemberCert&& o) noexcept : cert(o.cert), key(o.key) { o.cert = nullptr, o.key = nullptr; }
  MemberCert& operator=(MemberCert&& o) noexcept {
    std::swap(cert, o.cert);
    std::swap(key, o.key);
    return *this;
  }
  ~MemberCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

// One read buffer for the whole process: the loop is single-threaded and no
// read suspends between SSL_read and the use of its bytes.
std::uint8_t read_buffer[16384];

// --- a TLS connection -----------------------------------------------------------
// Like net/tls.h's TlsStream (an SSL object driven directly on the
// non-blocking socket), but the certificate may be set per connection, so
// that thousands of members share one SSL_CTX, and reads go to the shared
// buffer without suspending. The pin is net/tls.h's pin_peer: the
// server's certificate is checked against the reference's key inside the
// handshake, before the member's certificate is sent.

class Conn {
 public:
  explicit Conn(asio::io_context& io) : sock(io) {}
  ~Conn() {
    if (ssl) SSL_free(ssl);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Opens the socket, bound to `source` (any port, chosen at connect time)
  // when given.
  void open(const tcp::endpoint& to, const asio::ip::address* source) {
    sock.open(to.protocol());
    // As the server does: small frames go out at once (without it a frame
    // written right after the handshake's last flight waits for an ACK the
    // peer delays by 40 ms).
    sock.set_option(tcp::no_delay(true));
    if (source) {
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sock.bind(tcp::endpoint(*source, 0));
    }
  }

  // `pin`: the server's Ed25519 key, checked in the handshake (it must
  // outlive the handshake).
  void start_tls(SSL_CTX* ctx, const MemberCert* member, const Ed25519Key* pin = nullptr) {
    sock.non_blocking(true);
    ssl = SSL_new(ctx);
    if (!ssl) throw TlsError("SSL_new: " + openssl_error());
    if (member && (SSL_use_certificate(ssl, member->cert) != 1 ||
                   SSL_use_PrivateKey(ssl, member->key) != 1))
      throw TlsError("cannot use the member's certificate: " + openssl_error());
    if (pin) pin_peer(ssl, pin);
    SSL_set_fd(ssl, static_cast<int>(sock.native_handle()));
    SSL_set_connect_state(ssl);
  }

  awaitable<void> handshake() {
    for (;;) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl);
      if (r == 1) break;
      int e = SSL_get_error(ssl, r);
      if (e == SSL_ERROR_WANT_READ)
        co_await sock.async_wait(tcp::socket::wait_read, use_awaitable);
      else if (e == SSL_ERROR_WANT_WRITE)
        co_await sock.async_wait(tcp::socket::wait_write, use_awaitable);
      else if (SSL_get_verify_result(ssl) == X509_V_ERR_APPLICATION_VERIFICATION)
        throw PinError("the server's certificate is not over the key its reference names");
      else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        throw TlsError("the connection was closed during the handshake");
      else
        throw TlsError("the handshake failed: " + openssl_error());
    }
    if (SSL_version(ssl) != TLS1_3_VERSION) throw TlsError("not TLS 1.3");
    const unsigned char* proto = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &proto, &len);
    if (len != 7 || std::memcmp(proto, "grypt/2", 7) != 0)
      throw TlsError("the server does not speak grypt/2");
    X509* cert = SSL_get0_peer_certificate(ssl);
    EVP_PKEY* key = cert ? X509_get0_pubkey(cert) : nullptr;
    std::size_t n = peer_key.size();
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_public_key(key, peer_key.data(), &n) != 1 || n != peer_key.size())
      throw TlsError("the server's certificate is not over an Ed25519 key");
  }

  enum class Pull { ok, closed };
  // Reads what has arrived, without waiting, into `in` (raw bytes when
  // `raw` is given). Throws ProtocolError for a malformed frame length.
  Pull pull(FrameBuffer* in, std::string* raw = nullptr) {
    for (;;) {
      ERR_clear_error();
      int r = SSL_read(ssl, read_buffer, sizeof read_buffer);
      if (r > 0) {
        if (in) in->feed(std::span(read_buffer, static_cast<std::size_t>(r)));
        if (raw) raw->append(reinterpret_cast<const char*>(read_buffer), static_cast<std::size_t>(r));
        continue;
      }
      int e = SSL_get_error(ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Pull::ok;
      return Pull::closed;
    }
  }

  awaitable<void> wait_read() {
    if (SSL_pending(ssl) > 0) co_return;
    co_await sock.async_wait(tcp::socket::wait_read, use_awaitable);
  }

  awaitable<void> write_all(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      ERR_clear_error();
      int r = SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size()));
      if (r > 0) {
        bytes = bytes.subspan(static_cast<std::size_t>(r));
        continue;
      }
      int e = SSL_get_error(ssl, r);
      if (e == SSL_ERROR_WANT_WRITE)
        co_await sock.async_wait(tcp::socket::wait_write, use_awaitable);
      else if (e == SSL_ERROR_WANT_READ)
        co_await sock.async_wait(tcp::socket::wait_read, use_awaitable);
      else
        throw TlsError("cannot write: " + openssl_error());
    }
  }

  // Writes now if the socket takes it (small frames always fit); false if
  // some of it would have to wait (the caller then uses write_all).
  bool try_write(std::span<const std::uint8_t> bytes, std::size_t& written) {
    written = 0;
    while (written < bytes.size()) {
      ERR_clear_error();
      int r = SSL_write(ssl, bytes.data() + written, static_cast<int>(bytes.size() - written));
      if (r <= 0) return false;
      written += static_cast<std::size_t>(r);
    }
    return true;
  }

  void close() {
    if (!sock.is_open()) return;
    if (ssl && SSL_is_init_finished(ssl)) {
      ERR_clear_error();
      SSL_shutdown(ssl);  // one non-blocking try
    }
    asio::error_code ignored;
    sock.close(ignored);
    ERR_clear_error();
  }

  tcp::socket sock;
  SSL* ssl = nullptr;
  Ed25519Key peer_key{};
};

// --- the group: reference, server key, chain ------------------------------------------

struct EpochStat {
  std::uint64_t count = 0;
  double first = 0, last = 0;
  std::vector<double> times;
  bool complete = false;
};

// The server's Ed25519 key, as a TLS pin.
Ed25519Key pin_of(const PublicKey& server) {
  Ed25519Key k;
  std::copy(server.ed25519().begin(), server.ed25519().end(), k.begin());
  return k;
}

tcp::endpoint endpoint_of(const std::vector<Endpoint>& endpoints) {
  if (endpoints.empty()) throw UsageError("the reference names no endpoint");
  return endpoint_of(endpoints[0].host, endpoints[0].port);
}

// What hold and joins share: the group, the server's key and the chain.
class Group {
 public:
  Group(asio::io_context& io, const std::string& reference, const std::string& secrets_path,
        const std::string& sources)
      : io(io),
        ref(GroupReference::parse(reference)),
        pin(pin_of(ref.server)),
        secrets(secrets_path),
        target(endpoint_of(ref.endpoints)),
        sources(parse_sources(sources)),
        // The context's own certificate is never shown: each connection
        // sets its member's.
        tls(TlsContext::Role::client, Identity::generate()),
        chain(ref.group, ref.name) {}

  const asio::ip::address* source_for(std::size_t i) const {
    return sources.empty() ? nullptr : &sources[i % sources.size()];
  }

  Identity member(std::size_t index) const { return Identity::from_secret(secrets.at(index)); }

  // Checks the welcome (a frame body) over a connection whose certificate
  // has `peer` (pinned in the handshake); "" when good, else why.
  std::string check_welcome(const std::vector<std::uint8_t>& body, const Ed25519Key& peer) {
    if (!std::equal(peer.begin(), peer.end(), pin.begin())) return "the certificate's key is not the server's";
    if (!welcome_body.empty() && body == welcome_body) return "";
    proto::FromServer m = proto::decode_from_server(body);
    const auto* w = std::get_if<proto::Welcome>(&m);
    if (!w) return "the first frame is not a welcome";
    if (!(w->server == ref.server)) return "the server's key is not the reference's";
    welcome_body = body;
    return "";
  }

  // The epochs up to `held` whose keys `key` lacks: those it was not a
  // member of, as the chain's spans of membership say.
  std::vector<std::pair<Epoch, Epoch>> lacking(const PublicKey& key, std::uint32_t held) {
    // The spans by key, made again when the chain has grown.
    if (spans_at_ != chain.memberships().size()) {
      spans_.clear();
      for (const Membership& m : chain.memberships()) spans_[m.key].push_back(&m);
      spans_at_ = chain.memberships().size();
    }
    std::vector<bool> has(held + 1, false);
    if (auto it = spans_.find(key); it != spans_.end())
      for (const Membership* m : it->second)
        for (std::uint32_t e = m->since.value(); e <= held && (!m->until || e < m->until->value()); ++e) has[e] = true;
    std::vector<std::pair<Epoch, Epoch>> out;
    for (std::uint32_t e = 1; e <= held; ++e) {
      if (has[e]) continue;
      if (!out.empty() && out.back().second.value() + 1 == e)
        out.back().second = Epoch(e);
      else
        out.emplace_back(Epoch(e), Epoch(e));
    }
    // The protocol takes 64 ranges at most; more are not sent (the server
    // then sends no history for the rest, of which the bench has none).
    if (out.size() > proto::max_lacking) out.resize(proto::max_lacking);
    return out;
  }

  std::vector<std::uint8_t> hello_frame(const PublicKey& key, std::uint32_t holds) {
    proto::GroupWant want{ref.name, {}, {}, {}, {}};
    if (holds) {
      want.epoch = Epoch(holds);
      want.head = chain.hash(Epoch(holds));
      want.lacking = lacking(key, holds);
    }
    proto::Hello h{key, {want}};
    return frame(proto::encode(proto::FromMember{h}));
  }

  // The cheap part of a state's check for a member holding `held` (0:
  // nothing): its group, the next epoch, and, for an epoch the chain holds,
  // the same bytes; a new epoch is taken by the chain with member `index`'s
  // box (the full check). Moves `held` on; "" when accepted, else why.
  // *box_checked says whether the member's box was checked too.
  std::string check_state(const proto::State& st, std::uint32_t& held, std::size_t index, bool& box_checked) {
    box_checked = false;
    std::uint32_t e = st.epoch.value();
    if (st.group != ref.name) return "a state of another group";
    if (held != 0 && e != held + 1) return "epoch " + std::to_string(e) + " after " + std::to_string(held);
    if (held == 0 && chain.empty() && e != 1) return "epoch " + std::to_string(e) + " before the genesis";
    if (const GroupState* mine = chain.state(st.epoch)) {
      auto bytes = mine->encode();
      if (!std::equal(bytes.begin(), bytes.end(), st.state.begin(), st.state.end()))
        return "a state other than the one other members got";
      held = e;
      return "";
    }
    // Sessions receive only epochs they are members of: each has its box.
    if (st.box.empty()) return "no box of epoch " + std::to_string(e);
    Placed p = chain.take({st.state, st.ephemeral, st.box}, member(index));
    if (p.fault != StateFault::none)
      return std::string(state_fault_text(p.fault)) + (p.why.empty() ? "" : ": " + p.why);
    box_checked = true;
    held = e;
    return "";
  }

  // The member's own box of epoch `e`: it has one (it is a member of the
  // epoch), it opens with its identity, and to the key the chain holds (or,
  // the first box of that epoch's key, to the key the state commits to).
  std::string check_box(Epoch e, const EphemeralPublic& ephemeral, std::span<const std::uint8_t> box,
                        std::size_t index) {
    if (box.empty()) return "no box of epoch " + e.to_string();
    Identity id = member(index);
    if (const SecretBytes* k = chain.key(e)) {
      std::optional<SecretBytes> got = open_box(box, id, ephemeral, chain.hash(e));
      if (!got) return "its box of epoch " + e.to_string() + " does not open";
      if (!ct_equal(got->span(), k->span())) return "an epoch key other than other members got";
      return "";
    }
    auto state = chain.state(e)->encode();
    Placed p = chain.take({{state.begin(), state.end()}, ephemeral, {box.begin(), box.end()}}, id);
    if (p.fault != StateFault::none) return state_fault_text(p.fault);
    return "";
  }

  std::uint32_t head() const { return chain.empty() ? 0 : chain.head().epoch.value(); }

  asio::io_context& io;
  GroupReference ref;
  Ed25519Key pin;
  Secrets secrets;
  tcp::endpoint target;
  std::vector<asio::ip::address> sources;
  TlsContext tls;
  std::vector<std::uint8_t> welcome_body;
  GroupChain chain;

 private:
  std::map<PublicKey, std::vector<const Membership*>> spans_;
  std::size_t spans_at_ = 0;
};

// Reads the next frame of `c` into `in`; nullopt at the end of the stream.
// `when` gets the time of the read that completed it.
awaitable<std::optional<std::vector<std::uint8_t>>> next_frame(Conn& c, FrameBuffer& in, double* when) {
  for (;;) {
    if (auto body = in.next()) co_return body;
    co_await c.wait_read();
    Conn::Pull p = c.pull(&in);
    if (when) *when = realtime();
    if (p == Conn::Pull::closed && in.pending() < 4) co_return std::nullopt;
    if (p == Conn::Pull::closed) {
      if (auto body = in.next()) co_return body;
      co_return std::nullopt;
    }
  }
}

// The probe: member `index` connects holding nothing and takes every state
// it receives into the chain (GroupChain::take checks each in full, and its
// box from the epoch that added it).
awaitable<void> probe(Group& g, std::size_t index) {
  Identity id = g.member(index);
  MemberCert cert(id);
  Conn c(g.io);
  c.open(g.target, g.source_for(index));
  tcp::endpoint to = g.target;
  co_await c.sock.async_connect(to, use_awaitable);
  c.start_tls(g.tls.get(), &cert, &g.pin);
  co_await c.handshake();
  FrameBuffer in;
  auto first = co_await next_frame(c, in, nullptr);
  if (!first) throw Error("probe: the server closed the connection before its welcome");
  std::string why = g.check_welcome(*first, c.peer_key);
  if (!why.empty()) throw Error("probe: " + why);
  std::vector<std::uint8_t> hello = g.hello_frame(id.public_key(), 0);
  co_await c.write_all(hello);
  std::size_t states = 0, keys = 0;
  for (;;) {
    auto body = co_await next_frame(c, in, nullptr);
    if (!body) throw Error("probe: the server closed the connection before synced");
    proto::FromServer m = proto::decode_from_server(*body);
    if (const auto* st = std::get_if<proto::State>(&m)) {
      if (st->group != g.ref.name) throw Error("probe: a state of another group");
      Placed p = g.chain.take({st->state, st->ephemeral, st->box}, id);
      if (p.fault != StateFault::none)
        throw Error(std::string("probe: a state failed its check: ") + state_fault_text(p.fault) +
                    (p.why.empty() ? "" : ": " + p.why));
      if (p.how != Placed::How::appended) throw Error("probe: a state sent twice");
      ++states;
      keys += !st->box.empty();
    } else if (const auto* h = std::get_if<proto::History>(&m)) {
      if (!g.chain.take_history(h->grant, h->epoch, h->box, id))
        throw Error("probe: a history box of epoch " + h->epoch.to_string() + " does not open");
    } else if (const auto* sy = std::get_if<proto::Synced>(&m)) {
      if (sy->epoch.value() != g.head()) throw Error("probe: synced at an epoch it did not get");
      break;
    } else if (std::get_if<proto::NotMember>(&m)) {
      throw Error("probe: member " + std::to_string(index) + " is not a member of " + g.ref.name);
    } else if (const auto* e = std::get_if<proto::ErrorReply>(&m)) {
      throw Error("probe: the server said " + e->code + ": " + e->message);
    }
  }
  c.close();
  if (!g.chain.roster().find(id.public_key())) throw Error("probe: not in the newest roster");
  if (g.chain.newest_key() != g.chain.head().epoch) throw Error("probe: no key of the newest epoch");
  progress("probe: member " + std::to_string(index) + " received " + std::to_string(states) +
           " state(s), checked in full, " + std::to_string(keys) + " with its box; the newest is epoch " +
           std::to_string(g.head()) + " of " + std::to_string(g.chain.roster().size()) + " members");
}

// --- hold -------------------------------------------------------------------------

struct Session {
  explicit Session(asio::io_context& io, std::uint32_t index) : conn(io), index(index) {}
  Conn conn;
  FrameBuffer in;
  std::uint32_t index;
  std::uint32_t held = 0;
  bool synced = false, closed = false, removed = false, writing = false;
  std::vector<std::uint8_t> unsent;
};

class Hold {
 public:
  Hold(Group& g, std::size_t first, std::size_t count, std::size_t parallel, std::size_t probe_index,
       std::string report_file, int setup_timeout)
      : g_(g), first_(first), count_(count), parallel_(parallel), probe_(probe_index),
        report_file_(std::move(report_file)), setup_timeout_(setup_timeout),
        signals_(g.io, SIGTERM, SIGINT, SIGUSR1),
        ping_timer_(g.io) {}

  int run() {
    asio::co_spawn(g_.io, main(), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        progress(std::string("hold: ") + x.what());
      }
      failed_ = true;
      g_.io.stop();
    });
    wait_signal();
    g_.io.run();
    return failed_ ? exit_error : exit_ok;
  }

 private:
  void wait_signal() {
    signals_.async_wait([this](const asio::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGUSR1) {
        write_report(report_file_);
        wait_signal();
        return;
      }
      write_report(report_file_.empty() ? "-" : report_file_);
      // The sessions end with the process: the server sees them close.
      std::fflush(stdout);
      ::_exit(failed_ ? exit_error : exit_ok);
    });
  }

  awaitable<void> main() {
    double t0 = monotime();
    co_await probe(g_, probe_);
    sessions_.reserve(count_);
    for (std::size_t i = 0; i < count_; ++i)
      sessions_.push_back(std::make_unique<Session>(g_.io, static_cast<std::uint32_t>(first_ + i)));
    std::size_t workers = std::min(parallel_, count_);
    for (std::size_t w = 0; w < workers; ++w) asio::co_spawn(g_.io, worker(), asio::detached);
    asio::steady_timer t(g_.io);
    double last_note = monotime();
    while (done_ < count_) {
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait(use_awaitable);
      if (monotime() - last_note >= 2) {
        last_note = monotime();
        progress("hold: " + std::to_string(synced_) + " synced, " + std::to_string(failed_sessions_) +
                 " failed, of " + std::to_string(count_) + " (" + fixed(monotime() - t0, 1) + " s)");
      }
    }
    double secs = monotime() - t0;
    // Failed sessions may have waited for the setup timeout: the rate is
    // that of the synced ones, up to the last of them.
    double synced_secs = synced_ ? last_synced_ - t0 : secs;
    setup_done_ = true;
    out_line("{\"connected\":" + std::to_string(connected_) + ",\"synced\":" + std::to_string(synced_) +
             ",\"failed\":" + std::to_string(failed_sessions_) + ",\"seconds\":" + fixed(secs, 3) +
             ",\"synced_seconds\":" + fixed(synced_secs, 3) + ",\"handshakes_per_second\":" +
             fixed(synced_secs > 0 ? static_cast<double>(synced_) / synced_secs : 0, 1) +
             ",\"head\":" + std::to_string(g_.head()) + "}");
    if (!first_error_.empty()) progress("hold: first failure: " + first_error_);
    asio::co_spawn(g_.io, pinger(), asio::detached);
  }

  awaitable<void> worker() {
    while (next_ < count_) {
      Session& s = *sessions_[next_++];
      bool ok = false;
      std::string why;
      // A connection the server does not take up (say, it is out of
      // descriptors: the kernel completed the TCP handshake, nobody
      // accepts) fails after the setup timeout instead of waiting forever.
      auto expired = std::make_shared<bool>(false);
      asio::steady_timer guard(g_.io, std::chrono::seconds(setup_timeout_));
      guard.async_wait([&s, expired](const asio::error_code& ec) {
        if (ec) return;
        *expired = true;
        asio::error_code ignored;
        s.conn.sock.close(ignored);
      });
      try {
        ok = co_await setup(s);
      } catch (const std::exception& e) {
        why = *expired ? "no answer within " + std::to_string(setup_timeout_) + " s" : e.what();
      }
      guard.cancel();
      if (*expired) ok = false;
      if (ok) {
        ++synced_;
        ++alive_;
        last_synced_ = monotime();
        s.synced = true;
        asio::co_spawn(g_.io, live(s), asio::detached);
      } else {
        ++failed_sessions_;
        if (first_error_.empty()) first_error_ = "member " + std::to_string(s.index) + ": " + why;
        s.closed = true;
        s.conn.close();
        s.in.clear();
      }
      ++done_;
    }
  }

  // Connect, handshake, welcome, hello, synced. False or an exception on
  // failure.
  awaitable<bool> setup(Session& s) {
    Identity id = Identity::from_secret(g_.secrets.at(s.index));
    std::vector<std::uint8_t> hello;
    {
      MemberCert cert(id);
      s.conn.open(g_.target, g_.source_for(s.index));
      tcp::endpoint to = g_.target;
      co_await s.conn.sock.async_connect(to, use_awaitable);
      ++connected_;
      s.conn.start_tls(g_.tls.get(), &cert, &g_.pin);
    }
    co_await s.conn.handshake();
    auto first = co_await next_frame(s.conn, s.in, nullptr);
    if (!first) throw Error("closed before the welcome");
    std::string why = g_.check_welcome(*first, s.conn.peer_key);
    if (!why.empty()) throw Error(why);
    s.held = g_.head();
    hello = g_.hello_frame(id.public_key(), s.held);
    co_await s.conn.write_all(hello);
    for (;;) {
      auto body = co_await next_frame(s.conn, s.in, nullptr);
      if (!body) throw Error("closed before synced");
      proto::FromServer m = proto::decode_from_server(*body);
      if (const auto* st = std::get_if<proto::State>(&m)) {
        bool box_checked = false;
        why = g_.check_state(*st, s.held, s.index, box_checked);
        if (why.empty() && !box_checked) why = g_.check_box(st->epoch, st->ephemeral, st->box, s.index);
        if (!why.empty()) throw Error("state refused: " + why);
      } else if (const auto* h = std::get_if<proto::History>(&m)) {
        if (!g_.chain.take_history(h->grant, h->epoch, h->box, id)) throw Error("a history box does not open");
      } else if (const auto* sy = std::get_if<proto::Synced>(&m)) {
        if (sy->epoch.value() != s.held) throw Error("synced at an epoch it does not hold");
        break;
      } else if (std::get_if<proto::NotMember>(&m)) {
        throw Error("not a member");
      } else if (const auto* e = std::get_if<proto::ErrorReply>(&m)) {
        throw Error("the server said " + e->code + ": " + e->message);
      }
    }
    if (s.in.pending() == 0) s.in.clear();
    co_return true;
  }

  awaitable<void> live(Session& s) {
    try {
      for (;;) {
        while (auto body = s.in.next()) handle(s, *body);
        if (s.closed) co_return;
        if (s.in.pending() == 0) s.in.clear();
        co_await s.conn.wait_read();
        Conn::Pull p = s.conn.pull(&s.in);
        read_time_ = realtime();
        if (p == Conn::Pull::closed) {
          while (auto body = s.in.next()) handle(s, *body);
          if (!s.removed && !g_.io.stopped()) note_close(s, "closed by the server");
          end(s);
          co_return;
        }
      }
    } catch (const std::exception& e) {
      note_close(s, e.what());
    }
    end(s);
  }

  void handle(Session& s, const std::vector<std::uint8_t>& body) {
    proto::FromServer m = proto::decode_from_server(body);
    if (const auto* st = std::get_if<proto::State>(&m)) {
      bool box_checked = false;
      std::string why = g_.check_state(*st, s.held, s.index, box_checked);
      if (!why.empty()) {
        ++refused_;
        throw Error("state of epoch " + std::to_string(st->epoch.value()) + " refused: " + why);
      }
      // The box is opened once every live session has the epoch.
      if (!box_checked) boxes_.push_back({&s, st->epoch, st->ephemeral, st->box});
    } else if (const auto* h = std::get_if<proto::History>(&m)) {
      if (!g_.chain.take_history(h->grant, h->epoch, h->box, g_.member(s.index))) {
        ++refused_;
        throw Error("a history box of epoch " + h->epoch.to_string() + " does not open");
      }
    } else if (const auto* sy = std::get_if<proto::Synced>(&m)) {
      if (sy->epoch.value() != s.held) throw Error("synced at an epoch it does not hold");
      EpochStat& es = stats_[s.held];
      if (es.count == 0 || read_time_ < es.first) es.first = read_time_;
      if (read_time_ > es.last) es.last = read_time_;
      ++es.count;
      es.times.push_back(read_time_);
      check_complete();
    } else if (std::holds_alternative<proto::Ping>(m)) {
      static const std::vector<std::uint8_t> pong = frame(proto::encode(proto::FromMember{proto::Pong{}}));
      send(s, pong);
    } else if (std::get_if<proto::Removed>(&m)) {
      s.removed = true;
      ++removed_;
      end(s);
    } else if (const auto* e = std::get_if<proto::ErrorReply>(&m)) {
      throw Error("the server said " + e->code + ": " + e->message);
    }
  }

  void note_close(Session& s, const std::string& why) {
    if (s.closed) return;
    ++lost_;
    if (lost_ <= 5) progress("hold: member " + std::to_string(s.index) + ": " + why);
  }

  void end(Session& s) {
    if (s.closed) return;
    s.closed = true;
    s.conn.close();
    s.in.clear();
    if (s.synced) --alive_;
    check_complete();
  }

  // An epoch is complete when every live session holds it: then the boxes
  // received are opened (a session whose box does not open, or opens to
  // another key, is refused and closed).
  void check_complete() {
    if (checking_) return;
    for (auto& [e, es] : stats_) {
      if (es.complete || es.count < alive_) continue;
      check_boxes();
      es.complete = true;
      out_line(epoch_json(e, es, true));
    }
  }

  void check_boxes() {
    checking_ = true;
    while (!boxes_.empty()) {
      PendingBox b = std::move(boxes_.front());
      boxes_.pop_front();
      if (b.session->closed) continue;
      std::string why = g_.check_box(b.epoch, b.ephemeral, b.box, b.session->index);
      ++boxes_checked_;
      if (why.empty()) continue;
      ++refused_;
      note_close(*b.session, "state of epoch " + b.epoch.to_string() + " refused: " + why);
      end(*b.session);
    }
    checking_ = false;
  }

  std::string epoch_json(std::uint32_t e, EpochStat& es, bool complete) {
    std::vector<double> t = es.times;
    std::sort(t.begin(), t.end());
    auto pct = [&](double p) {
      if (t.empty()) return 0.0;
      std::size_t i = static_cast<std::size_t>(p * static_cast<double>(t.size() - 1) + 0.5);
      return t[std::min(i, t.size() - 1)];
    };
    return "{\"epoch\":" + std::to_string(e) + ",\"count\":" + std::to_string(es.count) +
           ",\"alive\":" + std::to_string(alive_) + ",\"complete\":" + (complete ? "true" : "false") +
           ",\"first\":" + fixed(es.first) + ",\"last\":" + fixed(es.last) + ",\"p50\":" + fixed(pct(0.5)) +
           ",\"p90\":" + fixed(pct(0.9)) + ",\"p99\":" + fixed(pct(0.99)) + "}";
  }

  void send(Session& s, const std::vector<std::uint8_t>& bytes) {
    if (s.closed) return;
    if (s.writing) {
      s.unsent.insert(s.unsent.end(), bytes.begin(), bytes.end());
      return;
    }
    std::size_t written = 0;
    if (s.conn.try_write(bytes, written)) return;
    s.unsent.assign(bytes.begin() + static_cast<std::ptrdiff_t>(written), bytes.end());
    s.writing = true;
    asio::co_spawn(g_.io, flush(s), asio::detached);
  }

  awaitable<void> flush(Session& s) {
    try {
      while (!s.unsent.empty() && !s.closed) {
        std::vector<std::uint8_t> now;
        now.swap(s.unsent);
        co_await s.conn.write_all(now);
      }
    } catch (const std::exception& e) {
      note_close(s, e.what());
      end(s);
    }
    s.writing = false;
  }

  awaitable<void> pinger() {
    const std::vector<std::uint8_t> ping = frame(proto::encode(proto::FromMember{proto::Ping{}}));
    for (;;) {
      ping_timer_.expires_after(std::chrono::seconds(60));
      co_await ping_timer_.async_wait(use_awaitable);
      for (auto& s : sessions_)
        if (s->synced && !s->closed) send(*s, ping);
    }
  }

  void write_report(const std::string& path) {
    check_boxes();
    std::string text = "{\"report\":\"hold\",\"time\":" + fixed(realtime()) +
                       ",\"sessions\":" + std::to_string(count_) + ",\"synced\":" + std::to_string(synced_) +
                       ",\"failed\":" + std::to_string(failed_sessions_) + ",\"alive\":" + std::to_string(alive_) +
                       ",\"lost\":" + std::to_string(lost_) + ",\"removed\":" + std::to_string(removed_) +
                       ",\"refused\":" + std::to_string(refused_) + ",\"boxes_checked\":" + std::to_string(boxes_checked_) +
                       ",\"setup_done\":" +
                       (setup_done_ ? "true" : "false") + "}\n";
    for (auto& [e, es] : stats_) text += epoch_json(e, es, es.complete) + "\n";
    if (path == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return;
    }
    if (path.empty()) return;
    std::string tmp = path + ".tmp";
    try {
      write_file(tmp, as_bytes(text), 0644);
      if (::rename(tmp.c_str(), path.c_str()) != 0) throw SystemError("cannot rename " + tmp, errno);
    } catch (const std::exception& e) {
      progress(std::string("hold: cannot write the report: ") + e.what());
    }
  }

  Group& g_;
  std::size_t first_, count_, parallel_, probe_;
  std::string report_file_;
  int setup_timeout_;
  asio::signal_set signals_;
  asio::steady_timer ping_timer_;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::size_t next_ = 0, done_ = 0, connected_ = 0, synced_ = 0, failed_sessions_ = 0;
  std::size_t alive_ = 0, lost_ = 0, removed_ = 0, refused_ = 0, boxes_checked_ = 0;
  std::string first_error_;
  bool setup_done_ = false, failed_ = false, checking_ = false;
  struct PendingBox {
    Session* session;
    Epoch epoch;
    EphemeralPublic ephemeral;
    std::vector<std::uint8_t> box;
  };
  std::deque<PendingBox> boxes_;
  double read_time_ = 0, last_synced_ = 0;
  std::map<std::uint32_t, EpochStat> stats_;
};

// --- joins ---------------------------------------------------------------------------

struct Joiner {
  MemberCert cert;
  std::vector<std::uint8_t> hello;
};

class Joins {
 public:
  Joins(Group& g, std::size_t first, std::size_t members, std::size_t count, std::size_t concurrency,
        std::size_t probe_index)
      : g_(g), first_(first), members_(members), count_(count), concurrency_(concurrency),
        probe_(probe_index) {}

  int run() {
    bool failed = false;
    asio::co_spawn(g_.io, main(), [&](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        progress(std::string("joins: ") + x.what());
      }
      failed = true;
      g_.io.stop();
    });
    g_.io.run();
    return failed ? exit_error : exit_ok;
  }

 private:
  awaitable<void> main() {
    co_await probe(g_, probe_);
    if (g_.head() < 2)
      throw Error("the probe received one state only: rotate the group once, so that joins can "
                  "hold the epoch before the newest and receive the newest");
    holds_ = g_.head() - 1;
    // Untimed: each member's certificate, box key and hello.
    double p0 = monotime();
    std::size_t n = std::min(members_, count_);
    joiners_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      Identity id = Identity::from_secret(g_.secrets.at(first_ + i));
      Joiner j{MemberCert(id), g_.hello_frame(id.public_key(), holds_)};
      joiners_.push_back(std::move(j));
    }
    progress("joins: " + std::to_string(n) + " members prepared in " + fixed(monotime() - p0, 2) +
             " s (untimed); each join holds epoch " + std::to_string(holds_) + " and receives " +
             std::to_string(g_.head()));
    double t0 = monotime();
    std::size_t workers = std::min(concurrency_, count_);
    for (std::size_t w = 0; w < workers; ++w) asio::co_spawn(g_.io, worker(), asio::detached);
    asio::steady_timer t(g_.io);
    while (done_ < count_) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(use_awaitable);
    }
    double secs = monotime() - t0;
    out_line("{\"joins\":" + std::to_string(count_) + ",\"ok\":" + std::to_string(ok_) +
             ",\"failed\":" + std::to_string(count_ - ok_) + ",\"concurrency\":" +
             std::to_string(concurrency_) + ",\"members\":" + std::to_string(n) + ",\"seconds\":" +
             fixed(secs, 3) + ",\"joins_per_second\":" + fixed(static_cast<double>(ok_) / secs, 1) + "}");
    if (!first_error_.empty()) progress("joins: first failure: " + first_error_);
  }

  awaitable<void> worker() {
    while (next_ < count_) {
      std::size_t i = next_++;
      std::string why;
      try {
        why = co_await join(i % joiners_.size());
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (why.empty())
        ++ok_;
      else if (first_error_.empty())
        first_error_ = "join " + std::to_string(i) + ": " + why;
      ++done_;
    }
  }

  awaitable<std::string> join(std::size_t m) {
    Joiner& j = joiners_[m];
    Conn c(g_.io);
    c.open(g_.target, g_.source_for(next_));
    tcp::endpoint to = g_.target;
    co_await c.sock.async_connect(to, use_awaitable);
    c.start_tls(g_.tls.get(), &j.cert, &g_.pin);
    co_await c.handshake();
    FrameBuffer in;
    auto first = co_await next_frame(c, in, nullptr);
    if (!first) co_return "closed before the welcome";
    std::string why = g_.check_welcome(*first, c.peer_key);
    if (!why.empty()) co_return why;
    co_await c.write_all(j.hello);
    std::uint32_t held = holds_;
    bool got_state = false;
    for (;;) {
      auto body = co_await next_frame(c, in, nullptr);
      if (!body) co_return "closed before synced";
      proto::FromServer msg = proto::decode_from_server(*body);
      if (const auto* st = std::get_if<proto::State>(&msg)) {
        bool box_checked = false;
        why = g_.check_state(*st, held, first_ + m, box_checked);
        if (why.empty() && !box_checked) why = g_.check_box(st->epoch, st->ephemeral, st->box, first_ + m);
        if (!why.empty()) co_return "state refused: " + why;
        got_state = true;
      } else if (const auto* sy = std::get_if<proto::Synced>(&msg)) {
        if (sy->epoch.value() != held) co_return "synced at an epoch it does not hold";
        break;
      } else if (std::get_if<proto::NotMember>(&msg)) {
        co_return "not a member";
      } else if (const auto* e = std::get_if<proto::ErrorReply>(&msg)) {
        co_return "the server said " + e->code + ": " + e->message;
      }
    }
    c.close();
    if (!got_state) co_return "no state received";
    co_return "";
  }

  Group& g_;
  std::size_t first_, members_, count_, concurrency_, probe_;
  std::uint32_t holds_ = 0;
  std::vector<Joiner> joiners_;
  std::size_t next_ = 0, done_ = 0, ok_ = 0;
  std::string first_error_;
};

// --- handshakes (against openssl s_server -rev) ---------------------------------------

class Handshakes {
 public:
  Handshakes(asio::io_context& io, const tcp::endpoint& to, std::vector<asio::ip::address> sources,
             const Identity& id, std::size_t count, std::size_t concurrency)
      : io_(io), to_(to), sources_(std::move(sources)), tls_(TlsContext::Role::client, id),
        count_(count), concurrency_(concurrency) {}

  int run() {
    bool failed = false;
    asio::co_spawn(io_, main(), [&](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        progress(std::string("handshakes: ") + x.what());
      }
      failed = true;
      io_.stop();
    });
    io_.run();
    return failed ? exit_error : exit_ok;
  }

 private:
  awaitable<void> main() {
    double t0 = monotime();
    std::size_t workers = std::min(concurrency_, count_);
    for (std::size_t w = 0; w < workers; ++w) asio::co_spawn(io_, worker(), asio::detached);
    asio::steady_timer t(io_);
    while (done_ < count_) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(use_awaitable);
    }
    double secs = monotime() - t0;
    out_line("{\"handshakes\":" + std::to_string(count_) + ",\"ok\":" + std::to_string(ok_) +
             ",\"failed\":" + std::to_string(count_ - ok_) + ",\"concurrency\":" +
             std::to_string(concurrency_) + ",\"seconds\":" + fixed(secs, 3) +
             ",\"handshakes_per_second\":" + fixed(static_cast<double>(ok_) / secs, 1) + "}");
    if (!first_error_.empty()) progress("handshakes: first failure: " + first_error_);
  }

  awaitable<void> worker() {
    while (next_ < count_) {
      std::size_t i = next_++;
      std::string why;
      try {
        why = co_await one(i);
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (why.empty())
        ++ok_;
      else if (first_error_.empty())
        first_error_ = "handshake " + std::to_string(i) + ": " + why;
      ++done_;
    }
  }

  awaitable<std::string> one(std::size_t i) {
    Conn c(io_);
    c.open(to_, sources_.empty() ? nullptr : &sources_[i % sources_.size()]);
    tcp::endpoint to = to_;
    co_await c.sock.async_connect(to, use_awaitable);
    c.start_tls(tls_.get(), nullptr);
    co_await c.handshake();
    static const std::string line = "grypt\n";
    co_await c.write_all(as_bytes(line));
    std::string got;
    while (got.find('\n') == std::string::npos) {
      co_await c.wait_read();
      if (c.pull(nullptr, &got) == Conn::Pull::closed && got.find('\n') == std::string::npos)
        co_return "closed before the echo";
    }
    c.close();
    if (got != "tpyrg\n" && got != "grypt\n") co_return "an unexpected echo";
    co_return "";
  }

  asio::io_context& io_;
  tcp::endpoint to_;
  std::vector<asio::ip::address> sources_;
  TlsContext tls_;
  std::size_t count_, concurrency_;
  std::size_t next_ = 0, done_ = 0, ok_ = 0;
  std::string first_error_;
};

// --- flood ---------------------------------------------------------------------------

class Flood {
 public:
  enum class Kind { garbage, stall, handshake_stall };

  Flood(asio::io_context& io, const tcp::endpoint& to, std::vector<asio::ip::address> sources,
        Kind kind, std::string kind_name, std::size_t count, int reconnect_ms)
      : io_(io), to_(to), sources_(std::move(sources)), kind_(kind), kind_name_(std::move(kind_name)),
        count_(count), reconnect_ms_(reconnect_ms), tls_(TlsContext::Role::client, Identity::generate()),
        signals_(io, SIGTERM, SIGINT) {}

  int run() {
    signals_.async_wait([this](const asio::error_code& ec, int) {
      if (ec) return;
      out_line(status_json(true));
      ::_exit(exit_ok);
    });
    for (std::size_t i = 0; i < count_; ++i) asio::co_spawn(io_, slot(i), asio::detached);
    asio::co_spawn(io_, reporter(), asio::detached);
    io_.run();
    return exit_ok;
  }

 private:
  std::string status_json(bool final) const {
    return std::string("{\"flood\":\"") + kind_name_ + "\",\"final\":" + (final ? "true" : "false") +
           ",\"open\":" + std::to_string(open_) + ",\"opened\":" + std::to_string(opened_) +
           ",\"closed_by_server\":" + std::to_string(closed_) + ",\"errors\":" + std::to_string(errors_) + "}";
  }

  awaitable<void> reporter() {
    asio::steady_timer t(io_);
    bool said = false;
    for (;;) {
      t.expires_after(std::chrono::milliseconds(200));
      co_await t.async_wait(use_awaitable);
      if (!said && open_ >= count_) {
        said = true;
        out_line(status_json(false));
      }
    }
  }

  awaitable<void> slot(std::size_t i) {
    asio::steady_timer pause(io_);
    for (;;) {
      bool was_open = false;
      try {
        co_await one(i, was_open);
      } catch (const std::exception& e) {
        if (was_open)
          ++closed_;
        else
          ++errors_;
        if (errors_ == 1 && !was_open) progress(std::string("flood: ") + e.what());
      }
      if (was_open) --open_;
      pause.expires_after(std::chrono::milliseconds(reconnect_ms_));
      asio::error_code ec;
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  // One connection until the server closes it (an exception, or a return).
  awaitable<void> one(std::size_t i, bool& was_open) {
    Conn c(io_);
    c.open(to_, sources_.empty() ? nullptr : &sources_[i % sources_.size()]);
    tcp::endpoint to = to_;
    co_await c.sock.async_connect(to, use_awaitable);
    ++opened_;
    if (kind_ == Kind::garbage) {
      std::array<std::uint8_t, 512> junk;
      randombytes_buf(junk.data(), junk.size());
      // Not a TLS record: a content type of 0.
      junk[0] = 0;
      asio::mutable_buffer junk_buffer = asio::buffer(junk);
      co_await asio::async_write(c.sock, junk_buffer, use_awaitable);
    } else if (kind_ == Kind::handshake_stall) {
      c.start_tls(tls_.get(), nullptr);
      co_await c.handshake();
    }
    was_open = true;
    ++open_;
    // Say nothing more; read (and drop) what comes until the server closes.
    for (;;) {
      std::size_t n = 0;
      if (kind_ == Kind::handshake_stall) {
        co_await c.wait_read();
        if (c.pull(nullptr) == Conn::Pull::closed) break;
      } else {
        co_await c.sock.async_wait(tcp::socket::wait_read, use_awaitable);
        asio::error_code ec;
        n = c.sock.read_some(asio::buffer(read_buffer), ec);
        if (ec == asio::error::would_block) continue;
        if (ec || n == 0) break;
      }
    }
    ++closed_;
    was_open = false;
    --open_;
    c.close();
  }

  asio::io_context& io_;
  tcp::endpoint to_;
  std::vector<asio::ip::address> sources_;
  Kind kind_;
  std::string kind_name_;
  std::size_t count_;
  int reconnect_ms_;
  TlsContext tls_;
  asio::signal_set signals_;
  std::size_t open_ = 0, opened_ = 0, closed_ = 0, errors_ = 0;
};

// --- admin: the group's administrator ---------------------------------------------------

// The keys of a keys file, one public key string a line.
std::vector<std::string> read_keys(const std::string& path) {
  std::vector<std::uint8_t> raw = read_file(path);
  std::string all(raw.begin(), raw.end());
  std::vector<std::string> keys;
  std::size_t at = 0;
  while (at < all.size()) {
    std::size_t nl = all.find('\n', at);
    if (nl == std::string::npos) nl = all.size();
    if (nl > at) keys.push_back(all.substr(at, nl - at));
    at = nl + 1;
  }
  return keys;
}

std::string json_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    out += c;
  }
  return out + "\"";
}

class Admin {
 public:
  Admin(asio::io_context& io, const std::string& server_reference, const Identity& id, std::string group,
        std::string keys_path)
      : io_(io), server_(ServerReference::parse(server_reference)), id_(id), group_(std::move(group)),
        keys_path_(std::move(keys_path)), tls_(TlsContext::Role::client, id_), wake_(io), ping_timer_(io) {
    if (std::string d = group_name_defect(group_); !d.empty()) throw UsageError("--group: " + d);
  }

  int run() {
    // Commands come from a thread that reads stdin (a pipe, a FIFO or a
    // file alike) and hands each line to the loop.
    std::thread reader([this] {
      std::string line;
      char buf[4096];
      for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = line.find('\n')) != std::string::npos; line.erase(0, nl + 1)) {
          std::string one = line.substr(0, nl);
          asio::post(io_, [this, one] { commands_.push_back(one); wake_.cancel(); });
        }
      }
      asio::post(io_, [this] { stdin_done_ = true; wake_.cancel(); });
    });
    reader.detach();
    bool failed = false;
    asio::co_spawn(io_, main(), [&](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          progress(std::string("admin: ") + x.what());
        }
        failed = true;
      }
      io_.stop();
    });
    asio::co_spawn(io_, pinger(), asio::detached);
    io_.run();
    std::fflush(stdout);
    // The reader thread may be blocked in read(): the process ends.
    ::_exit(failed ? exit_error : exit_ok);
  }

 private:
  awaitable<void> main() {
    busy_ = true;
    co_await connect();
    co_await create();
    busy_ = false;
    for (std::uint64_t n = 1;; ++n) {
      while (commands_.empty() && !stdin_done_) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        asio::error_code ec;
        co_await wake_.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      if (commands_.empty()) {
        if (stream_) stream_->close();
        co_return;
      }
      std::string line = commands_.front();
      commands_.pop_front();
      std::vector<std::string> w;
      for (std::size_t at = 0; at < line.size();) {
        std::size_t end = line.find_first_of(" \t\r", at);
        if (end == std::string::npos) end = line.size();
        if (end > at) w.push_back(line.substr(at, end - at));
        at = end + 1;
      }
      if (w.empty()) {
        --n;
        continue;
      }
      std::string head = "{\"n\":" + std::to_string(n) + ",";
      // (GCC 12 destroys temporaries of a co_await expression twice: the
      // arguments below are named locals.)
      busy_ = true;
      try {
        if (w[0] == "quit") {
          if (stream_) stream_->close();
          co_return;
        }
        if (w[0] == "add" && (w.size() >= 2 && w.size() <= 4)) {
          std::size_t first = std::stoul(w[1]), count = w.size() > 2 ? std::stoul(w[2]) : 1;
          std::size_t chunk = w.size() > 3 ? std::clamp<std::size_t>(std::stoul(w[3]), 1, proto::max_run + 1) : 1000;
          std::string r = co_await add(first, count, chunk);
          out_line(head + r);
        } else if (w[0] == "rotate" && w.size() == 1) {
          Proposal p{Change::rotate, std::nullopt, false};
          std::string r = co_await change(p);
          out_line(head + r);
        } else if (w[0] == "remove" && w.size() == 2) {
          const RosterEntry* e = chain_.roster().find("m" + w[1]);
          if (!e) throw UsageError("no member m" + w[1]);
          Proposal p{Change::remove, *e, false};
          std::string r = co_await change(p);
          out_line(head + r);
        } else if (w[0] == "connect" && w.size() == 2) {
          server_ = ServerReference::parse(w[1]);
          co_await connect();
          co_await sync();
          out_line(head + "\"done\":\"connect\",\"epoch\":" + std::to_string(chain_.head().epoch.value()) +
                   ",\"reference\":" + json_text(reference()) + "}");
        } else {
          throw UsageError("unknown command '" + line + "' (add FIRST [COUNT] [CHUNK], rotate, remove I, "
                           "connect REF, quit)");
        }
      } catch (const UsageError& e) {
        out_line(head + "\"error\":" + json_text(e.what()) + "}");
      } catch (const std::invalid_argument&) {
        out_line(head + "\"error\":" + json_text("not a number in '" + line + "'") + "}");
      } catch (const std::out_of_range&) {
        out_line(head + "\"error\":" + json_text("a number out of range in '" + line + "'") + "}");
      }
      busy_ = false;
    }
  }

  std::string reference() const {
    return GroupReference{server_.server, chain_.group(), server_.endpoints, group_}.to_string();
  }

  // Connects and says hello, asking for the group (not a member of it yet
  // before the create: the server answers not-member, and pushes the
  // genesis once it is made).
  awaitable<void> connect() {
    if (stream_) stream_->close();
    stream_.reset();
    in_.clear();
    asio::ip::tcp::socket sock(io_);
    tcp::endpoint to = endpoint_of(server_.endpoints);
    co_await sock.async_connect(to, use_awaitable);
    sock.set_option(tcp::no_delay(true));
    stream_ = std::make_unique<TlsStream>(tls_, std::move(sock));
    stream_->expect_peer(pin_of(server_.server));
    co_await stream_->handshake();
    auto first = co_await next();
    const auto* w = first ? std::get_if<proto::Welcome>(&*first) : nullptr;
    if (!w || !(w->server == server_.server)) throw Error("the server's welcome is not the reference's key");
    proto::GroupWant want{group_, {}, {}, {}, {}};
    if (!chain_.empty()) {
      want.epoch = chain_.head().epoch;
      want.head = chain_.hash(chain_.head().epoch);
    }
    proto::FromMember hello = proto::Hello{id_.public_key(), {want}};
    co_await send(hello);
  }

  // Until synced at the chain's head (after connect, holding the chain).
  awaitable<void> sync() {
    for (;;) {
      auto m = co_await next();
      if (!m) throw Error("the server closed the connection");
      if (const auto* sy = std::get_if<proto::Synced>(&*m); sy && sy->group == group_) {
        if (sy->epoch != chain_.head().epoch) throw Error("synced at an epoch the administrator does not hold");
        co_return;
      }
      handle(*m);
    }
  }

  awaitable<void> create() {
    MadeCommit m = make_genesis(group_, "admin", id_, static_cast<std::int64_t>(std::time(nullptr)));
    chain_ = GroupChain(group_id_of(m.state), group_);
    Epoch genesis(1);
    co_await commit(std::move(m.commit), genesis);
    out_line("{\"created\":" + json_text(group_) + ",\"epoch\":1,\"reference\":" + json_text(reference()) + "}");
  }

  // Sends a commit in parts and reads until the server has committed it
  // and pushed it back (its state taken by the chain); returns when the
  // last part was written.
  awaitable<double> commit(proto::Commit c, Epoch wanted) {
    std::vector<proto::Commit> parts = proto::split_commit(c);
    for (proto::Commit& part : parts) {
      proto::FromMember m = std::move(part);
      co_await send(m);
    }
    double sent = realtime();
    bool committed = false;
    while (!committed || chain_.empty() || chain_.head().epoch < wanted) {
      auto m = co_await next();
      if (!m) throw Error("the server closed the connection before it answered the commit");
      if (const auto* ok = std::get_if<proto::Committed>(&*m)) {
        if (ok->group != group_ || ok->epoch != wanted)
          throw Error("the server committed epoch " + ok->epoch.to_string() + ", not " + wanted.to_string());
        committed = true;
        committed_at_ = realtime();
      } else if (const auto* no = std::get_if<proto::Refused>(&*m)) {
        throw Error("the server refused epoch " + wanted.to_string() + ": " + no->code + ": " + no->message);
      } else {
        handle(*m);
      }
    }
    co_return sent;
  }

  // What the server sends besides answers: the states it pushes (taken by
  // the chain, the administrator's own check), pongs.
  void handle(const proto::FromServer& m) {
    if (const auto* st = std::get_if<proto::State>(&m)) {
      if (st->group != group_) throw Error("a state of another group");
      Placed p = chain_.take({st->state, st->ephemeral, st->box}, id_);
      if (p.fault != StateFault::none)
        throw Error(std::string("a state failed its check: ") + state_fault_text(p.fault) +
                    (p.why.empty() ? "" : ": " + p.why));
      // A state of a run has no box for anyone (its ephemeral key is zero).
      if (st->ephemeral != EphemeralPublic{} && chain_.key(st->epoch) == nullptr)
        throw Error("no key of epoch " + st->epoch.to_string());
    } else if (const auto* e = std::get_if<proto::ErrorReply>(&m)) {
      throw Error("the server said " + e->code + ": " + e->message);
    } else if (std::get_if<proto::Removed>(&m)) {
      throw Error("removed from " + group_);
    } else if (std::holds_alternative<proto::Ping>(m)) {
      pong_due_ = true;
    }
  }

  awaitable<std::string> add(std::size_t first, std::size_t count, std::size_t chunk) {
    if (keys_.empty()) keys_ = read_keys(keys_path_);
    if (first + count > keys_.size())
      throw UsageError(keys_path_ + " has " + std::to_string(keys_.size()) + " keys");
    double t0 = monotime(), make_s = 0;
    // A commit a chunk: a run of adds, boxes for the last roster only.
    for (std::size_t i = 0; i < count; i += chunk) {
      const double chunk_start = monotime();
      std::vector<Proposal> run;
      Roster roster = chain_.roster();
      for (std::size_t k = first + i; k < first + std::min(count, i + chunk); ++k) {
        Proposal p{Change::add, RosterEntry{"m" + std::to_string(k), PublicKey::parse(keys_[k]), Role::member}, false};
        if (std::string d = proposal_defect(roster, p); !d.empty()) throw UsageError("m" + std::to_string(k) + ": " + d);
        roster.add(*p.subject);
        run.push_back(std::move(p));
      }
      double m0 = monotime();
      MadeCommit m = make_run(chain_, id_, run, static_cast<std::int64_t>(std::time(nullptr)), default_lifetime,
                              next_.take());
      double made = monotime() - m0;
      make_s += made;
      Epoch wanted = m.state.epoch;
      co_await commit(std::move(m.commit), wanted);
      prepare_next();
      double now = monotime();
      out_line("{\"added\":" + std::to_string(i + run.size()) + ",\"chunk\":" + std::to_string(run.size()) +
               ",\"chunk_seconds\":" + fixed(now - chunk_start, 3) + ",\"chunk_make_seconds\":" + fixed(made, 3) +
               ",\"seconds\":" + fixed(now - t0, 3) + ",\"members\":" + std::to_string(chain_.roster().size()) + "}");
    }
    co_return "\"done\":\"add\",\"added\":" + std::to_string(count) + ",\"epoch\":" +
        std::to_string(chain_.head().epoch.value()) + ",\"members\":" + std::to_string(chain_.roster().size()) +
        ",\"seconds\":" + fixed(monotime() - t0, 3) + ",\"make_seconds\":" + fixed(make_s, 3) + "}";
  }

  awaitable<std::string> change(const Proposal& p) {
    if (std::string d = proposal_defect(chain_, p); !d.empty()) throw UsageError(d);
    double t0 = realtime();
    MadeCommit m = make_commit(chain_, id_, p, static_cast<std::int64_t>(std::time(nullptr)), default_lifetime,
                               next_.take());
    double made = realtime();
    Epoch wanted = m.state.epoch;
    double sent = co_await commit(std::move(m.commit), wanted);
    prepare_next();
    co_return "\"done\":\"" + std::string(change_name(p.change)) + "\",\"epoch\":" +
        std::to_string(m.state.epoch.value()) + ",\"members\":" + std::to_string(chain_.roster().size()) +
        ",\"t0\":" + fixed(t0) + ",\"t_made\":" + fixed(made) + ",\"t_sent\":" + fixed(sent) + ",\"t1\":" +
        fixed(committed_at_) + "}";
  }

  // The next commit's ephemeral key made ahead, as an administrator's gryptd
  // makes it (gryptd/ahead.h).
  void prepare_next() {
    std::vector<PublicKey> keys;
    for (const RosterEntry& e : chain_.roster().entries()) keys.push_back(e.key);
    next_.prepare(keys);
  }

  // Keeps the connection from being closed as idle between commands.
  awaitable<void> pinger() {
    for (;;) {
      ping_timer_.expires_after(std::chrono::seconds(60));
      asio::error_code ec;
      co_await ping_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (busy_ || !stream_ || !stream_->is_open()) continue;
      busy_ = true;
      try {
        proto::FromMember ping = proto::Ping{};
        co_await send(ping);
      } catch (const std::exception& e) {
        progress(std::string("admin: cannot ping the server: ") + e.what());
      }
      busy_ = false;
    }
  }

  awaitable<void> send(const proto::FromMember& m) {
    if (!stream_) throw Error("not connected (connect REF)");
    if (pong_due_) {
      pong_due_ = false;
      std::vector<std::uint8_t> pong = frame(proto::encode(proto::FromMember{proto::Pong{}}));
      co_await stream_->write_all(pong);
    }
    std::vector<std::uint8_t> f = frame(proto::encode(m));
    co_await stream_->write_all(f);
  }

  awaitable<std::optional<proto::FromServer>> next() {
    for (;;) {
      if (auto body = in_.next()) co_return proto::decode_from_server(*body);
      std::vector<std::uint8_t> buf(16384);
      std::size_t n = co_await stream_->read_some(buf);
      if (n == 0) co_return std::nullopt;
      in_.feed(std::span(buf.data(), n));
    }
  }

  asio::io_context& io_;
  ServerReference server_;
  const Identity& id_;
  std::string group_, keys_path_;
  std::vector<std::string> keys_;
  TlsContext tls_;
  std::unique_ptr<TlsStream> stream_;
  FrameBuffer in_;
  GroupChain chain_;
  std::deque<std::string> commands_;
  bool stdin_done_ = false, busy_ = false, pong_due_ = false;
  double committed_at_ = 0;
  asio::steady_timer wake_, ping_timer_;
  NextEphemeral next_;
};

// --- keys and cert -------------------------------------------------------------------

int do_keys(std::size_t count, const std::string& dir) {
  std::string keys;
  std::vector<std::uint8_t> secrets;
  keys.reserve(count * 110);
  secrets.reserve(count * secret_key_bytes);
  for (std::size_t i = 0; i < count; ++i) {
    Identity id = Identity::generate();
    keys += id.public_key().to_string() + "\n";
    secrets.insert(secrets.end(), id.secret().data(), id.secret().data() + secret_key_bytes);
  }
  write_file(dir + "/secrets", secrets, 0600);
  sodium_memzero(secrets.data(), secrets.size());
  write_file(dir + "/keys", as_bytes(keys), 0644);
  return exit_ok;
}

int do_cert(const std::string& dir) {
  Identity server = Identity::generate(), client = Identity::generate();
  write_file(dir + "/server.crt", as_bytes(certificate_pem(server)), 0644);
  write_file(dir + "/server.key", as_bytes(private_key_pem(server)), 0600);
  write_file(dir + "/client.crt", as_bytes(certificate_pem(client)), 0644);
  write_file(dir + "/client.key", as_bytes(private_key_pem(client)), 0600);
  write_file(dir + "/client.secret", client.secret().span(), 0600);
  return exit_ok;
}

const char* const usage =
    "grypt-load keys --count N --out DIR\n"
    "       grypt-load admin --reference SERVER-REF --secret FILE --group G --keys FILE\n"
    "                  (commands on stdin: add FIRST [COUNT] [CHUNK], rotate, remove I, connect REF, quit)\n"
    "       grypt-load cert --out DIR\n"
    "       grypt-load hold --reference REF --secrets FILE --first K --count N [--sources A,B]\n"
    "                  [--parallel P] [--probe I] [--report-file F] [--setup-timeout S]\n"
    "       grypt-load joins --reference REF --secrets FILE --count N --concurrency C\n"
    "                  [--first K] [--members M] [--probe I] [--sources A,B]\n"
    "       grypt-load handshakes --host H --port P --secret FILE --count N --concurrency C\n"
    "       grypt-load flood --host H --port P --count N --kind garbage|stall|handshake-stall\n"
    "                  [--reconnect-ms MS] [--sources A,B]\n";

int body(int argc, char** argv) {
  cxxopts::Options o("grypt-load", "The load program of bench/server");
  o.custom_help("MODE ... (see below)");
  o.add_options()
      ("count", "connections, joins, identities", cxxopts::value<std::size_t>(), "N")
      ("out", "keys, cert: the output directory", cxxopts::value<std::string>(), "DIR")
      ("reference", "the group reference (admin: the server reference)", cxxopts::value<std::string>(), "REF")
      ("secrets", "the members' secrets (from keys)", cxxopts::value<std::string>(), "FILE")
      ("first", "the first member of the secrets file to use", cxxopts::value<std::size_t>(), "K")
      ("members", "joins: how many members to cycle through", cxxopts::value<std::size_t>(), "M")
      ("probe", "the member that connects first holding nothing (default: the last of the range)",
       cxxopts::value<std::size_t>(), "I")
      ("parallel", "hold: connections being set up at a time (default 64)", cxxopts::value<std::size_t>(), "P")
      ("concurrency", "joins, handshakes: at a time", cxxopts::value<std::size_t>(), "C")
      ("sources", "local addresses to connect from, round robin", cxxopts::value<std::string>(), "A,B")
      ("report-file", "hold: where SIGUSR1 and SIGTERM write the report", cxxopts::value<std::string>(), "F")
      ("setup-timeout", "hold: give up on a session not synced after S seconds (default 30)",
       cxxopts::value<int>(), "S")
      ("host", "handshakes, flood: the server", cxxopts::value<std::string>(), "H")
      ("port", "handshakes, flood: the server's port", cxxopts::value<std::uint16_t>(), "P")
      ("secret", "handshakes: the client identity's 64-byte secret (cert writes one); admin: the "
       "administrator's (a keys --count 1 secrets file)", cxxopts::value<std::string>(), "FILE")
      ("kind", "flood: garbage, stall or handshake-stall", cxxopts::value<std::string>(), "KIND")
      ("reconnect-ms", "flood: pause before reopening a closed connection (default 1000)",
       cxxopts::value<int>(), "MS")
      ("group", "admin: the group to create", cxxopts::value<std::string>(), "G")
      ("keys", "admin: the members' keys file (from keys)", cxxopts::value<std::string>(), "FILE")
      ("h,help", "print this help");
  o.add_options("hidden")("words", "", cxxopts::value<std::vector<std::string>>());
  o.parse_positional({"words"});
  auto r = parse_options(o, argc, argv);
  if (r.count("help")) {
    write_stdout(o.help() + "\n" + usage);
    return exit_ok;
  }
  std::vector<std::string> w = r.count("words") ? option<std::vector<std::string>>(r, "words")
                                                : std::vector<std::string>{};
  if (w.size() != 1) throw UsageError(std::string("give one mode\n") + usage);
  const std::string mode = w[0];
  auto need = [&](const char* name) {
    if (!r.count(name)) throw UsageError(mode + " needs --" + name);
  };
  auto size_opt = [&](const char* name, std::size_t dflt) {
    return r.count(name) ? option<std::size_t>(r, name) : dflt;
  };
  std::string sources = r.count("sources") ? option<std::string>(r, "sources") : "";
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  if (mode == "keys") {
    need("count");
    need("out");
    return do_keys(option<std::size_t>(r, "count"), option<std::string>(r, "out"));
  }
  if (mode == "admin") {
    need("reference");
    need("secret");
    need("group");
    need("keys");
    std::vector<std::uint8_t> secret = read_file(option<std::string>(r, "secret"));
    if (secret.size() < secret_key_bytes) throw UsageError("--secret: not a 64-byte secret");
    Identity id = Identity::from_secret(std::span(secret).first(secret_key_bytes));
    sodium_memzero(secret.data(), secret.size());
    asio::io_context io(1);
    Admin a(io, option<std::string>(r, "reference"), id, option<std::string>(r, "group"),
            option<std::string>(r, "keys"));
    return a.run();
  }
  if (mode == "cert") {
    need("out");
    return do_cert(option<std::string>(r, "out"));
  }
  if (mode == "hold" || mode == "joins") {
    need("reference");
    need("secrets");
    need("count");
    asio::io_context io(1);
    Group g(io, option<std::string>(r, "reference"), option<std::string>(r, "secrets"), sources);
    std::size_t first = size_opt("first", 0);
    std::size_t count = option<std::size_t>(r, "count");
    if (first >= g.secrets.count()) throw UsageError("--first is past the secrets file");
    if (mode == "hold") {
      if (first + count > g.secrets.count())
        throw UsageError("the secrets file has " + std::to_string(g.secrets.count()) + " members");
      std::size_t probe_index = size_opt("probe", first + count - 1);
      if (probe_index >= g.secrets.count()) throw UsageError("--probe is past the secrets file");
      Hold h(g, first, count, std::max<std::size_t>(1, size_opt("parallel", 64)), probe_index,
             r.count("report-file") ? option<std::string>(r, "report-file") : "",
             r.count("setup-timeout") ? std::max(1, option<int>(r, "setup-timeout")) : 30);
      return h.run();
    }
    need("concurrency");
    std::size_t members = size_opt("members", g.secrets.count() - first);
    members = std::min(members, g.secrets.count() - first);
    std::size_t probe_index = size_opt("probe", g.secrets.count() - 1);
    if (probe_index >= g.secrets.count()) throw UsageError("--probe is past the secrets file");
    Joins j(g, first, members, count, std::max<std::size_t>(1, option<std::size_t>(r, "concurrency")),
            probe_index);
    return j.run();
  }
  if (mode == "handshakes" || mode == "flood") {
    need("host");
    need("port");
    need("count");
    asio::io_context io(1);
    tcp::endpoint to = endpoint_of(option<std::string>(r, "host"), option<std::uint16_t>(r, "port"));
    std::size_t count = option<std::size_t>(r, "count");
    if (mode == "handshakes") {
      need("secret");
      need("concurrency");
      std::vector<std::uint8_t> secret = read_file(option<std::string>(r, "secret"));
      Identity id = Identity::from_secret(secret);
      sodium_memzero(secret.data(), secret.size());
      Handshakes hs(io, to, parse_sources(sources), id, count,
                    std::max<std::size_t>(1, option<std::size_t>(r, "concurrency")));
      return hs.run();
    }
    need("kind");
    std::string kind = option<std::string>(r, "kind");
    Flood::Kind k;
    if (kind == "garbage")
      k = Flood::Kind::garbage;
    else if (kind == "stall")
      k = Flood::Kind::stall;
    else if (kind == "handshake-stall")
      k = Flood::Kind::handshake_stall;
    else
      throw UsageError("--kind is garbage, stall or handshake-stall");
    Flood f(io, to, parse_sources(sources), k, kind, count,
            r.count("reconnect-ms") ? option<int>(r, "reconnect-ms") : 1000);
    return f.run();
  }
  throw UsageError("unknown mode '" + mode + "'\n" + usage);
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("grypt-load", argc, argv, grypt::body); }
