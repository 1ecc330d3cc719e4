#include "gryptserver/server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/write.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <deque>
#include <unordered_map>
#include <map>
#include <set>

#include "core/io.h"
#include "core/text.h"
#include "core/tool.h"
#include "proto/admin.h"
#include "proto/frame.h"
#include "proto/server.h"
#include "net/tls.h"

namespace grypt {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto hello_timeout = std::chrono::seconds(10);
constexpr auto idle_timeout = std::chrono::seconds(180);
constexpr std::size_t max_unsent = 4 << 20;
// A non-member's request is written at most this often per second: each is
// a transaction, and a flood of fresh keys must not stall the loop.
constexpr int pending_writes_per_second = 20;

void log(const std::string& line) {
  std::string l = "gryptserver: " + printable(line) + "\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, l.data(), l.size());
}

std::string peer_text(const tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

class Server;

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class Phase { handshake, hello, active, closing };

  Session(Server& server, const TlsContext& tls, tcp::socket socket)
      : server_(server), peer_(peer_text(socket)), stream_(tls, std::move(socket)) {}

  awaitable<void> run();
  void send(const proto::FromServer& m);
  // Sends an error frame, then closes once it is written (or at the next
  // sweep if the peer does not read).
  void fail(const std::string& code, const std::string& message);
  void close();
  void close_when_sent();
  void removed_from(GroupData& g, Epoch removal);
  // This key was just added to a group it asked for on this connection.
  void admitted(GroupData& g);

  Phase phase = Phase::handshake;
  Clock::time_point deadline = Clock::now() + handshake_timeout;
  Clock::time_point last_read = Clock::now();
  std::array<std::uint8_t, 32> ed{};
  std::optional<PublicKey> key;
  std::set<std::string> groups;  // subscribed: a member of each
  // Asked for, but not a member (or no such group): what it said it holds,
  // for when it is added while connected.
  std::map<std::string, proto::GroupWant> asked;

 private:
  awaitable<void> write_queue();
  void hello(const proto::Hello& h);
  void ask(const proto::Ask& a);
  void want(const proto::GroupWant& w);
  void sync(GroupData& g, const MemberRow& m, const proto::GroupWant& w);
  void send_state(GroupData& g, const MemberRow& m, Epoch e);
  void roster(const proto::RosterRequest& r);

  Server& server_;
  std::string peer_;
  TlsStream stream_;
  FrameBuffer in_;
  std::deque<std::vector<std::uint8_t>> out_;
  std::size_t unsent_ = 0;
  bool writing_ = false;
  bool close_after_write_ = false;
};

class Server {
 public:
  Server(Authority& a, const ServeOptions& o)
      : authority(a),
        options(o),
        tls(TlsContext::Role::server, a.server()),
        acceptor(io),
        admin_acceptor(io),
        signals(io, SIGTERM, SIGINT),
        sweep_timer(io) {
    authority.on_change = [this](GroupData& g, Epoch e, Authority::Changed who) { push(g, e, who); };
  }

  int run();
  void subscribe(const std::string& group, Session* s) { subscribers[group].insert(s); }
  void ask(const std::string& group, Session* s) { askers[group].insert(s); }
  void unask(const std::string& group, Session* s) {
    if (auto it = askers.find(group); it != askers.end()) it->second.erase(s);
  }
  void unsubscribe(Session* s) {
    for (const std::string& g : s->groups) subscribers[g].erase(s);
    for (const auto& [g, w] : s->asked) unask(g, s);
  }
  // A non-member's request is recorded after its answer left, off the
  // session's path: whether the group exists must not show in how long
  // "not-member" takes (grypt-protocol.7, not-member).
  void record_pending_later(const std::string& group, const PublicKey& key, const std::string& note);
  // The keys with a session subscribed to `group`.
  std::set<PublicKey> online(const std::string& group) {
    std::set<PublicKey> keys;
    for (Session* s : subscribers[group])
      if (s->key) keys.insert(*s->key);
    return keys;
  }
  void forget(Session* s) {
    unsubscribe(s);
    for (auto it = sessions.find(s); it != sessions.end();) {
      sessions.erase(it);
      break;
      }
  }
  bool may_record_pending() {
    auto now = Clock::now();
    if (now - pending_window > std::chrono::seconds(1)) {
      pending_window = now;
      pending_writes = 0;
    }
    return pending_writes++ < pending_writes_per_second;
  }

  Authority& authority;
  ServeOptions options;
  asio::io_context io{1};
  TlsContext tls;
  tcp::acceptor acceptor;
  asio::local::stream_protocol::acceptor admin_acceptor;
  asio::signal_set signals;
  asio::steady_timer sweep_timer;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
  static constexpr std::size_t fd_reserve = 64;
  std::size_t max_sessions = SIZE_MAX;
  Clock::time_point last_full_log{};
  std::map<std::string, std::set<Session*>> subscribers;
  std::map<std::string, std::set<Session*>> askers;
  struct PendingRequest {
    std::string group;
    PublicKey key;
    std::string note;
  };
  std::deque<PendingRequest> pending_queue;
  Clock::time_point pending_window = Clock::now();
  int pending_writes = 0;
  bool stopping = false;

 private:
  void push(GroupData& g, Epoch e, Authority::Changed who);
  void record_pending_now();
  awaitable<void> accept_loop();
  awaitable<void> admin_loop();
  awaitable<void> admin_session(asio::local::stream_protocol::socket s);
  awaitable<void> sweep_loop();
  void listen();
};

awaitable<void> Session::run() {
  auto self = shared_from_this();
  try {
    co_await stream_.handshake();
    std::memcpy(ed.data(), stream_.peer_key().data(), 32);
    phase = Phase::hello;
    deadline = Clock::now() + hello_timeout;
    send(proto::Welcome{server_.authority.server().public_key()});
    for (;;) {
      co_await stream_.wait_readable();
      if (phase == Phase::closing) break;
      std::size_t n;
      {
        // The read buffer exists only while there is something to read: an
        // idle member holds none.
        std::vector<std::uint8_t> buf(16384);
        n = co_await stream_.read_some(buf);
        in_.feed(std::span(buf.data(), n));
      }
      if (n == 0) break;
      last_read = Clock::now();
      while (auto body = in_.next()) {
        proto::FromMember m = proto::decode_from_member(*body);
        if (phase == Phase::hello) {
          const auto* h = std::get_if<proto::Hello>(&m);
          if (!h) throw ProtocolError("protocol", "the first frame must be a hello");
          hello(*h);
        } else if (std::holds_alternative<proto::Hello>(m)) {
          throw ProtocolError("protocol", "a second hello");
        } else if (const auto* a = std::get_if<proto::Ask>(&m)) {
          ask(*a);
        } else if (std::holds_alternative<proto::Ping>(m)) {
          send(proto::Pong{});
        } else if (const auto* r = std::get_if<proto::RosterRequest>(&m)) {
          roster(*r);
        }
        if (phase == Phase::closing) break;
      }
      if (in_.pending() == 0) in_.clear();
    }
  } catch (const ProtocolError& e) {
    fail(e.code(), e.what());
    co_return;  // the writer closes once the error is out
  } catch (const std::exception& e) {
    if (phase != Phase::closing && !server_.stopping)
      log(peer_ + ": " + (phase == Phase::handshake ? "handshake failed: " : "") + e.what());
  }
  close();
}

void Session::hello(const proto::Hello& h) {
  if (!std::equal(ed.begin(), ed.end(), h.key.ed25519().begin()))
    throw ProtocolError("protocol", "the hello's key is not the certificate's key");
  key = h.key;
  phase = Phase::active;
  for (const proto::GroupWant& w : h.groups) want(w);
  if (groups.empty()) close_when_sent();
}

void Session::ask(const proto::Ask& a) {
  std::set<std::string> all(groups);
  for (const auto& [name, w] : asked) all.insert(name);
  for (const proto::GroupWant& w : a.groups) all.insert(w.name);
  if (all.size() > proto::max_groups)
    throw ProtocolError("too-many-groups", "more than 64 groups on one connection");
  for (const proto::GroupWant& w : a.groups) want(w);
}

void Session::want(const proto::GroupWant& w) {
  Authority& a = server_.authority;
  GroupData* g = a.find(w.name);
  const MemberRow* m = g ? a.current_member(*g, *key) : nullptr;
  if (m) {
    sync(*g, *m, w);
    return;
  }
  // Unknown group and non-member look alike, and take the same time.
  send(proto::NotMember{w.name});
  asked[w.name] = w;
  server_.ask(w.name, this);
  if (g) server_.record_pending_later(w.name, *key, w.note);
}

void Session::send_state(GroupData& g, const MemberRow& m, Epoch e) {
  proto::State s{g.row.name, e, g.epochs[e.value() - 1].state, {}};
  if (Authority::entitled(m, e)) {
    auto box = server_.authority.box_for(g, m, e);
    s.key.assign(box.begin(), box.end());
  }
  send(s);
}

// What the member lacks (grypt-protocol.7, state): from its newest epoch
// on when its head is on this chain, with the keys it is entitled to
// before its oldest and in its lacking ranges; else the chain from its
// first entitled epoch.
void Session::sync(GroupData& g, const MemberRow& m, const proto::GroupWant& w) {
  Authority& a = server_.authority;
  a.shared_key(m);
  const Epoch current = g.row.epoch, start = Authority::first_entitled(m);
  bool on_chain = w.epoch && *w.epoch <= current && g.states.at(w.epoch->value() - 1).hash() == *w.head;
  if (!on_chain) {
    for (Epoch e = start; e <= current; e = e.next()) send_state(g, m, e);
  } else {
    if (w.first)
      for (Epoch e = *w.first; start < e; ) {
        e = Epoch(e.value() - 1);
        send_state(g, m, e);
      }
    for (auto [from, to] : w.lacking)
      for (Epoch e = std::max(from, start); e <= to; e = e.next()) send_state(g, m, e);
    for (Epoch e = w.epoch->next(); e <= current; e = e.next()) send_state(g, m, e);
  }
  send(proto::Synced{g.row.name, current});
  if (asked.erase(g.row.name)) server_.unask(g.row.name, this);
  groups.insert(g.row.name);
  server_.subscribe(g.row.name, this);
}

void Session::admitted(GroupData& g) {
  auto it = asked.find(g.row.name);
  const MemberRow* m = server_.authority.current_member(g, *key);
  if (it == asked.end() || !m || phase != Phase::active) return;
  proto::GroupWant w = it->second;
  sync(g, *m, w);
}

void Session::roster(const proto::RosterRequest& r) {
  Authority& a = server_.authority;
  GroupData* g = groups.count(r.group) ? a.find(r.group) : nullptr;
  if (!g || !a.roster_entitled(*g, *key, r.epoch))
    throw ProtocolError("protocol", "a roster of an epoch this member has no right to");
  for (const proto::Roster& part : proto::split_roster(r.group, r.epoch, a.roster(*g, r.epoch)))
    send(part);
}

void Session::send(const proto::FromServer& m) {
  if (phase == Phase::closing && !close_after_write_) return;
  std::vector<std::uint8_t> f = frame(proto::encode(m));
  unsent_ += f.size();
  out_.push_back(std::move(f));
  if (unsent_ > max_unsent) {
    // Nothing more can reach a peer that does not read, not even an error.
    log(peer_ + ": reads too slowly, closing");
    close();
    return;
  }
  if (!writing_) {
    // The writer starts after the current handler, so that the frames sent
    // together (a state and its "synced") leave in one write.
    writing_ = true;
    asio::post(server_.io, [self = shared_from_this()] {
      asio::co_spawn(self->server_.io, self->write_queue(), asio::detached);
    });
  }
}

awaitable<void> Session::write_queue() {
  auto self = shared_from_this();
  try {
    std::vector<std::uint8_t> batch;
    while (!out_.empty() && stream_.is_open()) {
      batch.clear();
      while (!out_.empty() && (batch.empty() || batch.size() + out_.front().size() <= 64 * 1024)) {
        batch.insert(batch.end(), out_.front().begin(), out_.front().end());
        out_.pop_front();
      }
      co_await stream_.write_all(batch);
      unsent_ -= batch.size();
    }
  } catch (const std::exception&) {
    out_.clear();
    unsent_ = 0;
  }
  writing_ = false;
  if (close_after_write_) close();
}

void Session::fail(const std::string& code, const std::string& message) {
  if (phase == Phase::closing) return;
  if (!server_.stopping) log(peer_ + ": " + code + ": " + message);
  send(proto::ErrorReply{code, message});
  close_when_sent();
}

// The queue may be written already (a write to a socket with room completes
// at once): then close now, else once the writer is done, or at the sweep
// after the deadline if the peer does not read.
void Session::close_when_sent() {
  phase = Phase::closing;
  deadline = Clock::now() + std::chrono::seconds(5);
  if (writing_)
    close_after_write_ = true;
  else
    close();
}

void Session::close() {
  phase = Phase::closing;
  close_after_write_ = false;
  out_.clear();
  unsent_ = 0;
  stream_.close();
  server_.forget(this);
}

// The removed member keeps what it held, up to the epoch before its
// removal; asked for again, it is told at once if it is added back.
void Session::removed_from(GroupData& g, Epoch removal) {
  groups.erase(g.row.name);
  server_.subscribers[g.row.name].erase(this);
  send(proto::Removed{g.row.name});
  Epoch held(removal.value() - 1);
  asked[g.row.name] = proto::GroupWant{g.row.name, held, g.states[held.value() - 1].hash(), {}, {}, ""};
  server_.ask(g.row.name, this);
  if (groups.empty()) close_when_sent();
}

void Server::push(GroupData& g, Epoch e, Authority::Changed who) {
  if (who.added)
    if (auto it = askers.find(g.row.name); it != askers.end()) {
      std::vector<Session*> waiting(it->second.begin(), it->second.end());
      for (Session* s : waiting)
        if (s->key && *s->key == *who.added) s->admitted(g);
    }
  auto it = subscribers.find(g.row.name);
  if (it == subscribers.end()) return;
  std::vector<Session*> targets(it->second.begin(), it->second.end());
  proto::State state{g.row.name, e, g.epochs[e.value() - 1].state, {}};
  for (Session* s : targets) {
    if (who.removed && s->key && *s->key == *who.removed) {
      s->removed_from(g, e);
      continue;
    }
    const MemberRow* m = s->key ? authority.current_member(g, *s->key) : nullptr;
    // One just admitted was sent this epoch with its sync.
    if (!m || (who.added && *s->key == *who.added)) continue;
    proto::State mine = state;
    if (Authority::entitled(*m, e)) {
      auto box = authority.box_for(g, *m, e);
      mine.key.assign(box.begin(), box.end());
    }
    s->send(mine);
    s->send(proto::Synced{g.row.name, e});
  }
}

void Server::record_pending_later(const std::string& group, const PublicKey& key, const std::string& note) {
  bool idle = pending_queue.empty();
  pending_queue.push_back({group, key, note});
  // After the handlers already queued: the answer's writer is one of them.
  if (idle) asio::post(io, [this] { record_pending_now(); });
}

void Server::record_pending_now() {
  while (!pending_queue.empty()) {
    PendingRequest p = std::move(pending_queue.front());
    pending_queue.pop_front();
    GroupData* g = authority.find(p.group);
    if (!g || !may_record_pending()) continue;
    try {
      authority.record_pending(*g, p.key, p.note);
    } catch (const Error& e) {
      log("cannot record a pending request of " + p.group + ": " + e.what());
    }
  }
}

}  // namespace

ListenAddress parse_listen(const std::string& l) {
  std::size_t colon = l.rfind(':');
  std::string shown = printable(l);
  if (colon == std::string::npos) throw UsageError("--listen takes HOST:PORT, not '" + shown + "'");
  ListenAddress out;
  out.host = l.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  std::string port = l.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size())
    throw UsageError("--listen takes HOST:PORT, not '" + shown + "'");
  if (value > 65535) throw UsageError("the port in --listen '" + shown + "' is out of range (0 to 65535)");
  out.port = static_cast<std::uint16_t>(value);
  asio::error_code bad;
  if (!out.host.empty()) asio::ip::make_address(out.host, bad);
  if (bad) throw UsageError("--listen: '" + printable(out.host) + "' is not an IP address");
  return out;
}

namespace {

void Server::listen() {
  std::string l = options.listen;
  ListenAddress where_to = parse_listen(l);
  asio::error_code ec;
  auto address = asio::ip::make_address(where_to.host.empty() ? "::" : where_to.host, ec);
  tcp::endpoint ep(address, where_to.port);
  acceptor.open(ep.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(ep, ec);
  if (ec) throw SystemError("cannot listen on " + l + ": " + ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections);

  ::unlink(options.admin_path.c_str());
  asio::local::stream_protocol::endpoint aep(options.admin_path);
  admin_acceptor.open(aep.protocol());
  admin_acceptor.bind(aep, ec);
  if (ec) throw SystemError("cannot make the admin socket " + options.admin_path + ": " + ec.message());
  ::chmod(options.admin_path.c_str(), 0600);
  admin_acceptor.listen();

  auto bound = acceptor.local_endpoint();
  authority.bound_port = bound.port();
  std::string where = (bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                               : bound.address().to_string()) +
                      ":" + std::to_string(bound.port());
  log("serving " + std::to_string(authority.groups().size()) + " group(s) on " + where);
  if (options.ready_fd >= 0) {
    std::string line = where + "\n";
    try {
      write_all(options.ready_fd, as_bytes(line), "the ready descriptor");
    } catch (const SystemError&) {
    }
    ::close(options.ready_fd);
  }
}

awaitable<void> Server::accept_loop() {
  for (;;) {
    tcp::socket s(io);
    asio::error_code ec;
    co_await acceptor.async_accept(s, asio::redirect_error(use_awaitable, ec));
    if (stopping) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors or memory: wait a moment rather than spin.
      log("cannot accept: " + ec.message());
      asio::steady_timer t(io, std::chrono::milliseconds(100));
      co_await t.async_wait(use_awaitable);
      continue;
    }
    if (sessions.size() >= max_sessions) {
      // Full: this connection is closed at once (its peer retries later).
      auto now = Clock::now();
      if (now - last_full_log > std::chrono::minutes(1)) {
        log("at the limit of " + std::to_string(max_sessions) + " sessions: refusing new connections");
        last_full_log = now;
      }
      s.close(ec);
      continue;
    }
    s.set_option(asio::socket_base::keep_alive(true), ec);
    s.set_option(tcp::no_delay(true), ec);
    auto session = std::make_shared<Session>(*this, tls, std::move(s));
    sessions.emplace(session.get(), session);
    asio::co_spawn(io, session->run(), asio::detached);
  }
}

awaitable<void> Server::admin_session(asio::local::stream_protocol::socket s) {
  int fd = s.native_handle();
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::geteuid()) {
    log("admin socket: refused a peer of another user");
    co_return;
  }
  FrameBuffer in;
  std::array<std::uint8_t, 4096> buf;
  asio::steady_timer guard(io, std::chrono::seconds(10));
  guard.async_wait([&](const asio::error_code& ec) {
    if (!ec) s.close();
  });
  try {
    std::optional<std::vector<std::uint8_t>> body;
    while (!(body = in.next())) {
      std::size_t n = co_await s.async_read_some(asio::buffer(buf), use_awaitable);
      in.feed(std::span(buf.data(), n));
    }
    AdminContext ctx{authority, "uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid),
                     [this](const std::string& g) { return online(g); }};
    admin::Reply reply = handle_admin(ctx, *body);
    // A long list comes in parts, each a frame (grypt-protocol.7, ADMINISTRATION).
    for (const std::vector<std::uint8_t>& part : admin::encode_parts(reply)) {
      std::vector<std::uint8_t> f = frame(part);
      co_await asio::async_write(s, asio::buffer(f), use_awaitable);
    }
  } catch (const std::exception& e) {
    log(std::string("admin socket: ") + e.what());
  }
  guard.cancel();
}

awaitable<void> Server::admin_loop() {
  for (;;) {
    asio::local::stream_protocol::socket s(io);
    asio::error_code ec;
    co_await admin_acceptor.async_accept(s, asio::redirect_error(use_awaitable, ec));
    if (stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(io, admin_session(std::move(s)), asio::detached);
  }
}

// Timeouts without a timer per session: every second, the sessions past
// their deadline are ended.
awaitable<void> Server::sweep_loop() {
  for (;;) {
    sweep_timer.expires_after(std::chrono::seconds(1));
    asio::error_code ec;
    co_await sweep_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping) co_return;
    auto now = Clock::now();
    std::vector<std::shared_ptr<Session>> late;
    for (auto& [p, s] : sessions) {
      bool expired = (s->phase == Session::Phase::active) ? now - s->last_read > idle_timeout
                                                          : now > s->deadline;
      if (expired) late.push_back(s);
    }
    for (auto& s : late) {
      if (s->phase == Session::Phase::hello || s->phase == Session::Phase::active)
        s->fail("timeout", s->phase == Session::Phase::hello ? "no hello in time" : "silent for too long");
      else
        s->close();
    }
  }
}

int Server::run() {
  // As many connections as the system allows.
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
  // Members may take every descriptor but a reserve, so that the
  // administrator, the store and the logs always get one.
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY && r.rlim_cur > 2 * fd_reserve)
    max_sessions = static_cast<std::size_t>(r.rlim_cur) - fd_reserve;
  listen();
  signals.async_wait([this](const asio::error_code& ec, int sig) {
    if (ec) return;
    log(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    stopping = true;
    asio::error_code ignored;
    acceptor.close(ignored);
    admin_acceptor.close(ignored);
    sweep_timer.cancel();
    std::vector<std::shared_ptr<Session>> all;
    for (auto& [p, s] : sessions) all.push_back(s);
    for (auto& s : all) {
      if (s->phase == Session::Phase::active)
        s->fail("shutdown", "the server is stopping");
      else
        s->close();
    }
    // Give the goodbyes a moment to leave, then end the loop.
    auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(300));
    t->async_wait([this, t](const asio::error_code&) { io.stop(); });
  });
  asio::co_spawn(io, accept_loop(), asio::detached);
  asio::co_spawn(io, admin_loop(), asio::detached);
  asio::co_spawn(io, sweep_loop(), asio::detached);
  io.run();
  ::unlink(options.admin_path.c_str());
  log("stopped");
  return exit_ok;
}

}  // namespace

int serve(Authority& authority, const ServeOptions& options) {
  Server s(authority, options);
  return s.run();
}

}  // namespace grypt
