// gryptd's event loop: the tools' socket, the links to the servers, the
// signals that stop it.
#include "gryptd/daemon.h"

#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <ctime>

#include "core/identity_file.h"
#include "core/text.h"
#include "gryptd/agent.h"

namespace grypt {

using asio::awaitable;
using asio::use_awaitable;

Agent::Agent(Keyring& k, std::optional<Identity>& id, int listen_fd, const DaemonOptions& o)
    : keyring(k), options(o), follower(k), identity_(id), lock_timer_(io),
      acceptor_(io, asio::local::stream_protocol(), listen_fd), signals_(io, SIGTERM, SIGINT) {
  if (!k.locked()) tls = std::make_unique<TlsContext>(TlsContext::Role::client, k.identity());
}

void Agent::start_links() {
  for (KnownGroup* g : keyring.groups()) {
    link_for(g);
    prepare_next(g);
  }
}

void Agent::prepare_next(KnownGroup* g) {
  if (locked() || g->chain.empty()) return;
  const Roster& r = g->chain.roster();
  const RosterEntry* me = r.find(keyring.public_key());
  if (!me || me->role != Role::admin || r.size() < NextEphemeral::min_members) return;
  std::vector<PublicKey> keys;
  keys.reserve(r.size());
  for (const RosterEntry& e : r.entries()) keys.push_back(e.key);
  next_ephemeral[g].prepare(keys);
}

void Agent::lock(const std::string& why) {
  lock_timer_.cancel();
  if (locked()) return;
  // The links end their sessions (made with the identity's key); a link
  // is never reused once stopped, so unlock makes new ones.
  for (auto& l : links_) l->stop();
  link_of.clear();
  keyring.lock();
  vault_keys.clear();
  next_ephemeral.clear();
  tls.reset();
  identity_.reset();
  log("locked (" + why + ")");
}

std::optional<daemon::Failure> Agent::unlock(const SecretBytes* passphrase) {
  if (!locked()) return std::nullopt;
  bool wanted = false;  // the file asked for a passphrase and none was given
  auto given = [&] {
    if (!passphrase) {
      wanted = true;
      throw OpenError(Fault::wrong_key, "the identity has a passphrase");
    }
    return SecretBytes::copy_of(passphrase->span());
  };
  try {
    identity_.emplace(load_identity(options.identity_path, given));
  } catch (const OpenError&) {
    // An identity that had no passphrase when the daemon started and has
    // one now: still locked, for a tool to ask it.
    if (wanted) return locked_failure();
    log("a wrong passphrase to unlock");
    return daemon::Failure{daemon::Code::passphrase, "wrong passphrase"};
  } catch (const Error& e) {
    return daemon::Failure{daemon::Code::protocol, std::string("cannot unlock: ") + e.what()};
  }
  if (std::optional<std::string> fault = keyring.unlock(*identity_)) {
    identity_.reset();
    return daemon::Failure{daemon::Code::protocol, "cannot unlock: " + *fault};
  }
  tls = std::make_unique<TlsContext>(TlsContext::Role::client, *identity_);
  for (KnownGroup* g : keyring.groups())
    if (live(g).standing != Standing::forked) live(g).standing = Standing::offline;
  start_links();
  log("unlocked");
  used();
  return std::nullopt;
}

void Agent::used() {
  if (options.lock_after.count() == 0 || locked()) return;
  lock_timer_.expires_after(options.lock_after);
  lock_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopping) lock("no key used for " + std::to_string(options.lock_after.count()) + " s");
  });
}

void Agent::log(const std::string& line) {
  if (options.log) options.log(printable(line));
}

std::int64_t Agent::now() const {
  return options.clock ? options.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

Standing Agent::standing(KnownGroup* g) {
  Standing s = live(g).standing;
  if (locked() && s != Standing::forked) return Standing::locked;
  bool expired = !g->chain.empty() && g->chain.head().expires != 0 && g->chain.head().expires <= now();
  if (expired && (s == Standing::connected || s == Standing::offline || s == Standing::connecting))
    return Standing::expired;
  return s;
}

std::string Agent::why(KnownGroup* g) {
  if (standing(g) != Standing::expired) return live(g).why;
  return "epoch " + g->chain.head().epoch.to_string() + " expired at " + utc_time(g->chain.head().expires) +
         " and no administrator made a newer one (or the server withholds it)";
}

void Agent::forget(KnownGroup* g, bool left) {
  // A link left with no group stops and serves no new group; a request
  // under way holds it until it ends.
  if (Link* l = link(g)) l->drop(g, left);
  link_of.erase(g);
  live_.erase(g);
  next_ephemeral.erase(g);
  keyring.forget(g->entry.name);
}

Signal& Agent::signal_of(KnownGroup* g) {
  auto& s = signals_of_[g];
  if (!s) s = std::make_unique<Signal>(io);
  return *s;
}

Link& Agent::link_for(KnownGroup* g) {
  // Links stopped by a leave or a lock: each lock and unlock would leave
  // another set behind.
  std::erase_if(links_, [](const std::shared_ptr<Link>& l) { return l->stopped(); });
  ServerReference server = g->entry.reference.server_reference();
  for (auto& l : links_)
    if (l->serves(server)) {
      link_of[g] = l.get();
      l->add(g);
      return *l;
    }
  // A server's groups share its connection up to 64 of them; more open
  // another (grypt-protocol.7, hello).
  auto l = std::make_shared<Link>(*this, server);
  link_of[g] = l.get();
  l->add(g);
  links_.push_back(l);
  asio::co_spawn(io, l->run(), asio::detached);
  return *l;
}

void Agent::stop() {
  if (stopping) return;
  stopping = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  for (auto& l : links_) l->stop();
  // What the pongs confirmed since the last "synced" is kept.
  for (KnownGroup* g : keyring.groups())
    if (!g->chain.empty()) {
      try {
        keyring.save_chain(*g);
      } catch (const Error& e) {
        log(std::string("cannot save the cache: ") + e.what());
      }
    }
  auto t = std::make_shared<asio::steady_timer>(io, 200ms);
  t->async_wait([this, t](const asio::error_code&) { io.stop(); });
}

// A tool's connection lives as long as the tool: it may wait on its own
// input between requests. Only a request that started arriving and does
// not finish within the frame timeout ends it.
awaitable<void> Agent::serve_tool(asio::local::stream_protocol::socket s) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      cred.uid != ::geteuid()) {
    log("refused a tool of another user (uid " + std::to_string(cred.uid) + ")");
    co_return;
  }
  FrameBuffer in;
  ToolSession session(*this);
  asio::steady_timer late(io);
  // Tells a timer handler already queued when this coroutine ended that
  // what it would touch is gone.
  auto alive = std::make_shared<bool>(true);
  bool timed_out = false, armed = false;
  // The clock runs while part of a request is held, and only then.
  auto watch = [&] {
    if (in.pending() > 0 && !armed) {
      armed = true;
      late.expires_after(options.tool_frame_timeout);
      late.async_wait([&s, &timed_out, alive](const asio::error_code& ec) {
        if (ec || !*alive) return;
        timed_out = true;
        s.close();
      });
    } else if (in.pending() == 0 && armed) {
      armed = false;
      late.cancel();
    }
  };
  try {
    for (;;) {
      std::optional<std::vector<std::uint8_t>> body;
      while (!(body = in.next())) {
        std::array<std::uint8_t, 4096> buf;
        std::size_t n = co_await s.async_read_some(asio::buffer(buf), use_awaitable);
        in.feed(std::span(buf.data(), n));
        watch();
      }
      watch();
      daemon::Request req = daemon::decode_request(*body);
      wipe(body->data(), body->size());
      daemon::Reply reply = co_await session.handle(req);
      for (std::vector<std::uint8_t>& part : daemon::encode_parts(reply, options.reply_part_bytes)) {
        std::vector<std::uint8_t> out = frame(part);
        wipe(part.data(), part.size());
        co_await asio::async_write(s, asio::buffer(out), use_awaitable);
        wipe(out.data(), out.size());
      }
      if (std::holds_alternative<daemon::Stop>(req)) {
        log("stopping on request");
        stop();
        break;
      }
    }
  } catch (const ProtocolError& e) {
    log(std::string("a tool sent a bad frame: ") + e.what());
  } catch (const std::exception&) {
    if (timed_out)
      log("a tool did not finish its request within " +
          std::to_string(options.tool_frame_timeout.count()) + " ms: closed its connection");
  }
  *alive = false;
  late.cancel();
}

awaitable<void> Agent::accept_loop() {
  for (;;) {
    asio::local::stream_protocol::socket s(io);
    asio::error_code ec;
    co_await acceptor_.async_accept(s, asio::redirect_error(use_awaitable, ec));
    if (stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(io, serve_tool(std::move(s)), asio::detached);
  }
}

int Agent::run() {
  signals_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    log("stopping");
    stop();
  });
  for (KnownGroup* g : keyring.groups()) follower.load(*g, live(g));
  if (!locked()) start_links();
  used();
  asio::co_spawn(io, accept_loop(), asio::detached);
  asio::co_spawn(io, renew_epochs(*this), asio::detached);
  if (options.ready) options.ready();
  io.run();
  return exit_ok;
}

int run_daemon(Keyring& keyring, std::optional<Identity>& identity, int listen_fd, const DaemonOptions& options) {
  Agent a(keyring, identity, listen_fd, options);
  return a.run();
}

}  // namespace grypt
