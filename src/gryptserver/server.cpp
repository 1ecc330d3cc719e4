// The server's loop: the members' acceptor, the administration socket,
// the sweeper of timeouts, and the push of each commit to its group.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <charconv>
#include <set>

#include "core/io.h"
#include "core/notify.h"
#include "core/reference.h"
#include "core/text.h"
#include "gryptserver/server_impl.h"

namespace grypt {

using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

constexpr auto idle_timeout = std::chrono::seconds(180);
// A non-member's request is written at most this often per second: each is
// a transaction, and a flood of fresh keys must not fill the store's queue.
constexpr int pending_writes_per_second = 20;
constexpr std::size_t fd_reserve = 64;

}  // namespace

void server_log(const std::string& line) {
  std::string l = "gryptserver: " + printable(line) + "\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, l.data(), l.size());
}

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

Server::Server(Store& s, const ServeOptions& o)
    : store(s), options(o), identity(s.server_identity()), tls(TlsContext::Role::server, identity),
      relay(s.groups(), s), admins(s.admins()), store_listen(s.listen()), store_host(s.host()),
      store_endpoints(s.endpoints()), worker(s, io),
      acceptor_(io), admin_acceptor_(io),
      signals_(io, SIGTERM, SIGINT), sweep_timer_(io) {}

Server::~Server() { worker.stop(); }

void Server::unask(const std::string& group, Session* s) {
  if (auto it = askers.find(group); it != askers.end()) it->second.erase(s);
}

void Server::forget(Session* s) {
  pong_waiting_.erase(s);
  pong_reading_.erase(s);
  for (const std::string& g : s->groups) subscribers[g].erase(s);
  for (const auto& [g, w] : s->asked) unask(g, s);
  sessions.erase(s);
}

std::int64_t Server::unix_now() const {
  return options.unix_clock ? options.unix_clock() : static_cast<std::int64_t>(std::time(nullptr));
}

bool Server::may_record_pending() {
  auto now = this->now();
  if (now - pending_window_ > std::chrono::seconds(1)) {
    pending_window_ = now;
    pending_writes_ = 0;
  }
  return pending_writes_++ < pending_writes_per_second;
}

// Applied, then pushed to every session that follows the group: its state
// and box, or "removed"; a key just added that asked on a live connection
// is synced there at once.
void Server::committed(GroupLive& g, std::shared_ptr<const CheckedCommit> c) {
  relay.apply(g, *c);
  if (auto it = subscribers.find(g.name()); it != subscribers.end()) {
    const PushFrames frames(g.name(), *c);
    for (Session* s : std::vector<Session*>(it->second.begin(), it->second.end())) s->pushed(g, *c, &frames);
  }
  if (!c->row.added.empty()) admit_askers(g);
}

void Server::admit_askers(GroupLive& g) {
  auto it = askers.find(g.name());
  if (it == askers.end()) return;
  for (Session* s : std::vector<Session*>(it->second.begin(), it->second.end())) s->admitted(g);
}

void Server::catch_up(std::int64_t id) {
  if (stopping) return;
  if (!catching_.insert(id).second) {
    catch_again_.insert(id);
    return;
  }
  struct Read {
    std::optional<StoredGroup> group;  // a group this server does not hold
    std::vector<CommitRow> commits;
  };
  GroupLive* known = relay.find(id);
  const Epoch after = known ? known->head() : Epoch(0);
  worker.submit(
      [id, after, is_known = known != nullptr](Store& s) {
        Read r;
        if (is_known) {
          r.commits = s.commits_after(id, after);
        } else if (std::optional<GroupRow> row = s.group(id)) {
          r.group = read_group(s, std::move(*row));
        }
        return r;
      },
      [this, id](std::optional<Read> r, std::exception_ptr error) {
        catching_.erase(id);
        try {
          if (error) std::rethrow_exception(error);
          if (r->group && !relay.find(id)) {
            GroupLive& g = relay.load(std::move(*r->group));
            server_log(g.name() + ": created through another front end");
            admit_askers(g);
          }
          GroupLive* g = relay.find(id);
          for (const CommitRow& row : r->commits) {
            if (!g || row.epoch <= g->head()) continue;  // this server's own, or read twice
            if (row.first() != g->head().next()) {
              catch_again_.insert(id);  // read before a commit applied here since
              break;
            }
            auto checked = relay.check_stored(*g, row);
            if (auto* refused = std::get_if<proto::Refused>(&checked)) {
              server_log(g->name() + ": epoch " + row.epoch.to_string() + " in the store does not check (" +
                         refused->message + "): the group stays at epoch " + g->head().to_string());
              break;
            }
            committed(*g, std::make_shared<const CheckedCommit>(std::get<CheckedCommit>(std::move(checked))));
          }
        } catch (const std::exception& e) {
          server_log("cannot read the store's new commits: " + std::string(e.what()));
        }
        if (catch_again_.erase(id)) catch_up(id);
      });
}

void Server::catch_up_all() {
  worker.submit([](Store& s) { return std::make_pair(s.groups(), s.admins()); },
                [this](std::optional<std::pair<std::vector<GroupRow>, std::vector<PublicKey>>> r,
                       std::exception_ptr error) {
                  if (error) {
                    try {
                      std::rethrow_exception(error);
                    } catch (const std::exception& e) {
                      server_log("cannot read the store's groups (" + std::string(e.what()) + "): again in a second");
                    }
                    // Notifications may have been missed: the catch-up is
                    // not given up.
                    auto t = std::make_shared<asio::steady_timer>(io, std::chrono::seconds(1));
                    t->async_wait([this, t](const asio::error_code& ec) {
                      if (!ec && !stopping) catch_up_all();
                    });
                    return;
                  }
                  admins = std::move(r->second);
                  for (const GroupRow& row : r->first) {
                    GroupLive* g = relay.find(row.id);
                    if (!g || g->head().value() < row.head) catch_up(row.id);
                  }
                });
}

void Server::pong_when_fresh(Session* s) {
  pong_waiting_.insert(s);
  read_heads();
}

// One read of every group's head for all the pings read before it starts;
// those read meanwhile wait for the next. A session whose groups all hold
// the heads read is answered; one that lags waits for the catch-up and a
// read 0.1 s later; a read that fails (the store is away) is tried again
// each second, the pongs still owed.
void Server::read_heads() {
  if (heads_in_flight_ || heads_timer_set_ || pong_waiting_.empty() || stopping) return;
  heads_in_flight_ = true;
  pong_reading_.insert(pong_waiting_.begin(), pong_waiting_.end());
  pong_waiting_.clear();
  worker.submit([](Store& st) { return st.groups(); },
                [this](std::optional<std::vector<GroupRow>> rows, std::exception_ptr error) {
                  heads_in_flight_ = false;
                  std::map<std::string, std::int64_t> heads;
                  if (!error)
                    for (const GroupRow& r : *rows) heads[r.name] = r.head;
                  std::set<std::int64_t> behind;
                  for (Session* s : pong_reading_) {
                    bool fresh = !error;
                    for (const std::string& name : s->groups) {
                      GroupLive* g = relay.find(name);
                      auto h = heads.find(name);
                      if (!error && g && h != heads.end() && g->head().value() < h->second) {
                        behind.insert(g->row.id);
                        fresh = false;
                      }
                    }
                    if (fresh)
                      s->pay_pongs();
                    else
                      pong_waiting_.insert(s);
                  }
                  pong_reading_.clear();
                  for (std::int64_t id : behind) catch_up(id);
                  if (pong_waiting_.empty()) return;
                  heads_timer_set_ = true;
                  heads_timer_.expires_after(error ? std::chrono::seconds(1) : std::chrono::milliseconds(100));
                  heads_timer_.async_wait([this](const asio::error_code& ec) {
                    heads_timer_set_ = false;
                    if (!ec) read_heads();
                  });
                });
}

std::string Server::reference(const GroupLive& g) const {
  std::string server = server_reference();
  if (server.empty()) return "";
  ServerReference s = ServerReference::parse(server);
  return GroupReference{s.server, g.row.group_id, s.endpoints, g.name()}.to_string();
}

// The references name the port the store was made with, or, made with
// port 0, the one this server bound.
std::string Server::server_reference() const {
  if (!store_endpoints.empty()) return ServerReference{identity.public_key(), store_endpoints}.to_string();
  ListenAddress l = parse_listen(store_listen);
  std::uint16_t port = l.port != 0 ? l.port : bound_port;
  if (port == 0) return "";
  return ServerReference{identity.public_key(), {{store_host, port}}}.to_string();
}

void Server::listen() {
  ListenAddress where_to = parse_listen(options.listen);
  asio::error_code ec;
  auto address = asio::ip::make_address(where_to.host.empty() ? "::" : where_to.host, ec);
  tcp::endpoint ep(address, where_to.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec) throw SystemError("cannot listen on " + options.listen + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);

  // A PostgreSQL store has none: the operator's verbs act on the database
  // itself, where every front end sees them.
  if (!options.admin_path.empty()) {
    ::unlink(options.admin_path.c_str());
    asio::local::stream_protocol::endpoint aep(options.admin_path);
    admin_acceptor_.open(aep.protocol());
    admin_acceptor_.bind(aep, ec);
    if (ec) throw SystemError("cannot make the admin socket " + options.admin_path + ": " + ec.message());
    ::chmod(options.admin_path.c_str(), 0600);
    admin_acceptor_.listen();
  }

  auto bound = acceptor_.local_endpoint();
  bound_port = bound.port();
  std::string where = (bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                               : bound.address().to_string()) +
                      ":" + std::to_string(bound.port());
  server_log("serving " + std::to_string(relay.groups().size()) + " group(s) on " + where);
  notify_service_manager("READY=1");
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
    co_await acceptor_.async_accept(s, asio::redirect_error(use_awaitable, ec));
    if (stopping) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors or memory: wait a moment rather than spin.
      server_log("cannot accept: " + ec.message());
      asio::steady_timer t(io, std::chrono::milliseconds(100));
      co_await t.async_wait(use_awaitable);
      continue;
    }
    if (sessions.size() >= max_sessions) {
      // Full: this connection is closed at once (its peer retries later).
      auto now = this->now();
      if (now - last_full_log_ > std::chrono::minutes(1)) {
        server_log("at the limit of " + std::to_string(max_sessions) + " sessions: refusing new connections");
        last_full_log_ = now;
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
    server_log("admin socket: refused a peer of another user");
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
    admin::Request req = admin::decode_request(*body);
    if (req.type == admin::Request::Type::admit || req.type == admin::Request::Type::revoke) {
      // The change is the store's: written off the loop, then here.
      PublicKey key = PublicKey::parse(req.key);
      bool allow = req.type == admin::Request::Type::admit;
      co_await worker.call([key, allow](Store& st) {
        st.set_admin(key, allow);
        return true;
      });
      admins.erase(std::remove(admins.begin(), admins.end(), key), admins.end());
      if (allow) admins.push_back(key);
      server_log(std::string(allow ? "may now create groups: " : "may no longer create groups: ") + req.key);
      req.type = admin::Request::Type::admins;
    }
    admin::Reply reply = admin_reply(view(), req);
    // A long list comes in parts, each a frame (grypt-protocol.7, ADMINISTRATION).
    for (const std::vector<std::uint8_t>& part : admin::encode_parts(reply)) {
      std::vector<std::uint8_t> f = frame(part);
      co_await asio::async_write(s, asio::buffer(f), use_awaitable);
    }
  } catch (const std::exception& e) {
    server_log(std::string("admin socket: ") + e.what());
  }
  guard.cancel();
}

OperatorView Server::view() {
  return OperatorView{relay, admins, server_reference(), [this](const GroupLive& g) { return reference(g); },
                      [this](const GroupLive& g) -> std::uint64_t {
                        auto it = subscribers.find(g.name());
                        return it == subscribers.end() ? 0 : it->second.size();
                      }};
}

awaitable<void> Server::admin_loop() {
  for (;;) {
    asio::local::stream_protocol::socket s(io);
    asio::error_code ec;
    co_await admin_acceptor_.async_accept(s, asio::redirect_error(use_awaitable, ec));
    if (stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(io, admin_session(std::move(s)), asio::detached);
  }
}

// Timeouts without a timer per session: every second, the sessions past
// their deadline are ended.
awaitable<void> Server::sweep_loop() {
  for (;;) {
    sweep_timer_.expires_after(std::chrono::seconds(1));
    asio::error_code ec;
    co_await sweep_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping) co_return;
    auto now = this->now();
    std::vector<std::shared_ptr<Session>> late;
    for (auto& [p, s] : sessions) {
      bool expired = (s->phase == Session::Phase::active) ? now - s->last_read > idle_timeout : now > s->deadline;
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
  signals_.async_wait([this](const asio::error_code& ec, int sig) {
    if (ec) return;
    server_log(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    stopping = true;
    asio::error_code ignored;
    acceptor_.close(ignored);
    admin_acceptor_.close(ignored);
    sweep_timer_.cancel();
    heads_timer_.cancel();
    if (feed) feed->stop();
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
  if (std::string conninfo = store.feed_conninfo(); !conninfo.empty()) {
    feed = std::make_unique<PgFeed>(
        io, conninfo,
        PgFeed::Handlers{[this](const std::string& payload) {
                           // "GROUP EPOCH" or "admins" (store_pg.h)
                           if (payload == "admins") return catch_up_all();
                           char* end = nullptr;
                           long long id = std::strtoll(payload.c_str(), &end, 10);
                           if (end != payload.c_str() && id > 0) catch_up(id);
                         },
                         [this] {
                           server_log("listening for other front ends' commits");
                           catch_up_all();
                         },
                         [](const std::string& why) {
                           server_log("lost the store's notifications (" + why + "): connecting again");
                         }});
    feed->start();
  }
  asio::co_spawn(io, accept_loop(), asio::detached);
  if (!options.admin_path.empty()) asio::co_spawn(io, admin_loop(), asio::detached);
  asio::co_spawn(io, sweep_loop(), asio::detached);
  io.run();
  if (feed) feed->stop();
  worker.stop();
  if (!options.admin_path.empty()) ::unlink(options.admin_path.c_str());
  server_log("stopped");
  return exit_ok;
}

int serve(Store& store, const ServeOptions& options) {
  Server s(store, options);
  return s.run();
}

}  // namespace grypt
