// Following a group server (gryptd.1, Servers): a TLS session pinned to
// the reference's key, reconnecting with exponential backoff and jitter,
// every frame checked to concern a group of this connection.
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <algorithm>

#include "core/error.h"
#include "core/join_request.h"
#include "core/overloaded.h"
#include "core/text.h"
#include "gryptd/agent.h"

namespace grypt {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

constexpr auto connect_timeout = 10s;
constexpr auto ping_every = 60s;
constexpr auto pong_within = 30s;
constexpr auto min_backoff = std::chrono::milliseconds(1000);
// The wait before the next endpoint, up to: members of a server that died
// move to another at once, but not all in the same instant.
constexpr std::uint32_t next_endpoint_ms = 250;
constexpr auto max_backoff = std::chrono::milliseconds(300000);
// How long a tool waits for the server to confirm that the daemon holds
// the newest epoch (grypt-seal.1, --require-fresh).
constexpr auto fresh_wait = 3s;

// The server closed a connection that had no group left (every group said
// not-member): no news for the log.
class ClosedAfterVerdict : public Error {
 public:
  using Error::Error;
};

}  // namespace

Link::Link(Agent& a, const ServerReference& ref)
    : a_(a), endpoints_(ref.endpoints), backoff_(min_backoff), pong_signal_(a.io), pin_(ref.server),
      turn_(a.io), answered_(a.io), connected_signal_(a.io) {
  std::memcpy(pin_ed_.data(), ref.server.ed25519().data(), pin_ed_.size());
}

bool Link::serves(const ServerReference& r) const {
  return r.endpoints == endpoints_ && r.server == pin_ && !full() && !stopping_;
}

std::string Link::where() const {
  const Endpoint& e = endpoints_[at_];
  return e.host + ":" + std::to_string(e.port);
}

void Link::add(KnownGroup* g) {
  groups_[g->entry.reference.name] = g;
  if (connected_)
    send(proto::Ask{{want(g)}});
  else
    wake();
}

void Link::drop(KnownGroup* g, bool reconnect) {
  groups_.erase(g->entry.reference.name);
  if (groups_.empty()) stop();
  else if (reconnect && stream_) stream_->close();
}

void Link::ask_again(KnownGroup* g) {
  if (connected_) send(proto::Ask{{want(g)}});
}

void Link::stop() {
  stopping_ = true;
  if (stream_) stream_->close();
  if (pause_) pause_->cancel();
}

void Link::wake() {
  backoff_ = min_backoff;
  if (pause_) pause_->cancel();
}

// What this member holds of `g`, for the server (grypt-protocol.7, hello);
// a key that holds nothing of it asks to join, signed.
proto::GroupWant Link::want(KnownGroup* g) const {
  proto::GroupWant w{g->entry.reference.name, {}, {}, {}, {}};
  if (!g->chain.empty()) {
    w.epoch = g->chain.head().epoch;
    w.head = g->chain.hash(g->chain.head().epoch);
    w.lacking = g->chain.lacking();
    if (w.lacking.size() > proto::max_lacking) w.lacking.resize(proto::max_lacking);
  } else {
    JoinRequest r{g->id(), a_.now(), a_.keyring.public_key(), g->entry.note};
    w.request = r.sign(a_.keyring.identity());
  }
  return w;
}

awaitable<void> Link::run() {
  auto self = shared_from_this();
  while (!stopping_ && !a_.stopping) {
    auto began = std::chrono::steady_clock::now();
    try {
      co_await session();
    } catch (const ClosedAfterVerdict&) {
    } catch (const std::exception& e) {
      std::string why = timed_out_ ? "no answer within " + std::to_string(connect_timeout.count()) + " s"
                                   : std::string(e.what());
      if (!stopping_ && !a_.stopping) a_.log(where() + ": " + why);
    }
    if (connected_) tried_ = 0;
    lost();
    if (stopping_ || a_.stopping) break;
    // A session that lasted resets the backoff.
    if (std::chrono::steady_clock::now() - began > 60s) backoff_ = min_backoff;
    // The next endpoint, at once (with jitter) until each failed in turn,
    // then after the backoff, which doubles (gryptd.1, Servers).
    at_ = (at_ + 1) % endpoints_.size();
    bool round_over = ++tried_ >= endpoints_.size();
    if (round_over) tried_ = 0;
    co_await pause(round_over ? backoff_ / 2 + jitter_upto(backoff_.count() / 2) : jitter_upto(next_endpoint_ms));
    if (round_over) backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, max_backoff);
  }
}

std::chrono::milliseconds Link::jitter_upto(std::int64_t ms) {
  std::uint32_t r = 0;
  random_bytes(std::span(reinterpret_cast<std::uint8_t*>(&r), sizeof r));
  return std::chrono::milliseconds(r % (static_cast<std::uint64_t>(ms) + 1));
}

// A wait that wake() cuts short.
awaitable<void> Link::pause(std::chrono::milliseconds wait) {
  asio::steady_timer t(a_.io, wait);
  pause_ = &t;
  asio::error_code ec;
  co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
  pause_ = nullptr;
}

void Link::lost() {
  connected_ = false;
  pings_.clear();
  answered_.notify();
  stream_.reset();
  in_.clear();
  out_.clear();
  for (auto& [name, g] : groups_) {
    Live& l = a_.live(g);
    if (!standing_is_verdict(l.standing)) l.standing = Standing::offline;
    a_.answered(g);
  }
  pong_signal_.notify();
}

// The groups to ask for: a forked group is not followed, the user decides
// first (gryptd.1, status).
std::vector<KnownGroup*> Link::followed() {
  std::vector<KnownGroup*> out;
  for (auto& [name, g] : groups_)
    if (a_.live(g).standing != Standing::forked) out.push_back(g);
  return out;
}

awaitable<void> Link::session() {
  for (KnownGroup* g : followed())
    if (!standing_is_verdict(a_.live(g).standing)) a_.live(g).standing = Standing::connecting;
  if (followed().empty()) {
    // Nothing to ask; wait for a group to join.
    co_await pause(max_backoff);
    throw ClosedAfterVerdict("no group to follow");
  }
  tcp::resolver resolver(a_.io);
  const Endpoint& at = endpoints_[at_];
  std::string host = at.host, port = std::to_string(at.port);
  auto endpoints = co_await resolver.async_resolve(host, port, use_awaitable);
  tcp::socket socket(a_.io);
  // Every wait has a deadline: a server that does not answer costs a
  // timeout, not a hung daemon.
  timed_out_ = false;
  asio::steady_timer deadline(a_.io, connect_timeout);
  deadline.async_wait([this, &socket](const asio::error_code& ec) {
    if (ec) return;
    timed_out_ = true;
    socket.close();
  });
  co_await asio::async_connect(socket, endpoints, use_awaitable);
  if (!a_.tls) throw UsageError("gryptd is locked");  // a link of a locked agent is stopped
  stream_ = std::make_unique<TlsStream>(*a_.tls, std::move(socket));
  stream_->expect_peer(pin_ed_);
  deadline.expires_after(connect_timeout);
  deadline.async_wait([this](const asio::error_code& ec) {
    if (ec || connected_ || !stream_) return;
    timed_out_ = true;
    stream_->close();
  });
  try {
    co_await stream_->handshake();
  } catch (const PinError&) {
    wrong_server();
    throw;
  }
  auto first = co_await next();
  const auto* welcome = first ? std::get_if<proto::Welcome>(&*first) : nullptr;
  if (!welcome) throw TlsError("the server did not say welcome");
  if (!(welcome->server == pin_)) {
    wrong_server();
    throw TlsError("the server's key is not the one its reference names: refusing it");
  }
  connected_ = true;
  connected_signal_.notify();
  deadline.cancel();
  std::vector<KnownGroup*> asking = followed();
  if (asking.empty()) throw ClosedAfterVerdict("no group to follow");
  proto::Hello h{a_.keyring.public_key(), {}};
  for (KnownGroup* g : asking) h.groups.push_back(want(g));
  send(h);
  last_heard_ = std::chrono::steady_clock::now();
  asio::co_spawn(a_.io, pinger(), asio::detached);
  bool all_refused = false;
  for (;;) {
    std::optional<proto::FromServer> m = co_await next();
    if (!m) {
      all_refused = std::all_of(asking.begin(), asking.end(), [&](KnownGroup* g) {
        return a_.live(g).standing == Standing::not_member;
      });
      break;
    }
    handle(*m);
  }
  if (all_refused) throw ClosedAfterVerdict("not a member of any group asked for");
  throw TlsError("the server closed the connection");
}

awaitable<std::optional<proto::FromServer>> Link::next() {
  for (;;) {
    if (auto body = in_.next()) co_return proto::decode_from_server(*body);
    std::size_t n;
    {
      std::vector<std::uint8_t> buf(16384);
      n = co_await stream_->read_some(buf);
      in_.feed(std::span(buf.data(), n));
    }
    if (n == 0) co_return std::nullopt;
    last_heard_ = std::chrono::steady_clock::now();
  }
}

// Every frame concerns only a group of this connection; any other is a
// protocol error that ends it (grypt-protocol.7, FRAMES).
KnownGroup* Link::group_of(const std::string& wire_name, const char* frame) {
  auto it = groups_.find(wire_name);
  if (it == groups_.end() || a_.link(it->second) != this)
    throw ProtocolError("protocol", std::string("a ") + frame + " frame about a group not asked for on "
                                    "this connection (" + printable(wire_name) + ")");
  return it->second;
}

void Link::apply(const Outcome& o) {
  if (!o.log.empty()) a_.log(o.end ? where() + ": " + o.log : o.log);
  if (o.end) throw ClosedAfterVerdict(o.log);
}

void Link::handle(const proto::FromServer& m) {
  Follower& f = a_.follower;
  std::visit(
      overloaded{
          [&](const proto::State& s) {
            KnownGroup* g = group_of(s.group, "state");
            Outcome o = f.state(*g, a_.live(g), s);
            a_.answered(g);
            apply(o);
          },
          [&](const proto::History& h) {
            KnownGroup* g = group_of(h.group, "history");
            Outcome o = f.history(*g, a_.live(g), h);
            a_.answered(g);
            apply(o);
          },
          [&](const proto::Synced& s) {
            KnownGroup* g = group_of(s.group, "synced");
            Outcome o = f.synced(*g, a_.live(g), s, a_.now());
            a_.answered(g);
            apply(o);
          },
          [&](const proto::NotMember& n) {
            KnownGroup* g = group_of(n.group, "not-member");
            apply(f.not_member(*g, a_.live(g)));
            a_.answered(g);
          },
          [&](const proto::Removed& r) {
            KnownGroup* g = group_of(r.group, "removed");
            apply(f.removed(*g, a_.live(g)));
            a_.answered(g);
          },
          [&](const proto::Committed& c) { answer(m, c.group); },
          [&](const proto::Refused& r) { answer(m, r.group); },
          [&](const proto::Pending& p) { answer(m, p.group); },
          [&](const proto::Left& l) { answer(m, l.group); },
          [&](const proto::Ping&) { send(proto::Pong{}); },
          [&](const proto::Pong&) { pong(); },
          [&](const proto::ErrorReply& e) { throw TlsError("the server said " + e.code + ": " + e.message); },
          [&](const proto::Welcome&) { throw ProtocolError("protocol", "a second welcome"); },
      },
      m);
}

// The answer to the request in flight, which must be about its group.
void Link::answer(const proto::FromServer& m, const std::string& group) {
  if (!asking_ || answer_) throw ProtocolError("protocol", "an answer to a request not made");
  if (group != asking_group_) throw ProtocolError("protocol", "an answer about another group than asked");
  answer_ = m;
  answered_.notify();
}

void Link::wrong_server() {
  for (auto& [name, g] : groups_) {
    a_.live(g).standing = Standing::wrong_server;
    a_.live(g).why = "the server's certificate is not over the key its reference names";
    ++a_.live(g).answers;
    a_.answered(g);
  }
}

awaitable<bool> Link::wait_connected() {
  auto deadline = std::chrono::steady_clock::now() + connect_timeout;
  while (!connected_) {
    wake();
    if (!co_await connected_signal_.wait_until(deadline)) co_return false;
  }
  co_return true;
}

// One request that the server answers at a time: the next waits its turn.
awaitable<std::optional<proto::FromServer>> Link::request(std::vector<proto::FromMember> frames,
                                                          std::string group) {
  auto self = shared_from_this();
  auto deadline = std::chrono::steady_clock::now() + a_.options.answer_wait;
  while (asking_)
    if (!co_await turn_.wait_until(deadline)) co_return std::nullopt;
  if (!co_await wait_connected()) co_return std::nullopt;
  asking_ = true;
  asking_group_ = group;
  answer_.reset();
  for (const proto::FromMember& f : frames) send(f);
  while (!answer_ && connected_)
    if (!co_await answered_.wait_until(deadline)) break;
  std::optional<proto::FromServer> out = std::move(answer_);
  answer_.reset();
  asking_ = false;
  turn_.notify();
  co_return out;
}

awaitable<std::optional<std::variant<proto::Committed, proto::Refused>>> Link::commit(proto::Commit c) {
  std::string group = c.group.empty() ? GroupState::decode(c.state).group_name : c.group;
  std::vector<proto::FromMember> frames;
  for (proto::Commit& part : proto::split_commit(c)) frames.emplace_back(std::move(part));
  std::optional<proto::FromServer> a = co_await request(std::move(frames), group);
  std::optional<std::variant<proto::Committed, proto::Refused>> out;
  if (a && std::holds_alternative<proto::Committed>(*a)) out = std::get<proto::Committed>(*a);
  if (a && std::holds_alternative<proto::Refused>(*a)) out = std::get<proto::Refused>(*a);
  co_return out;
}

awaitable<std::optional<std::variant<proto::Pending, proto::Refused>>> Link::pending(std::string group) {
  std::vector<proto::FromMember> frames{proto::PendingRequest{group}};
  std::optional<proto::FromServer> a = co_await request(std::move(frames), group);
  std::optional<std::variant<proto::Pending, proto::Refused>> out;
  if (a && std::holds_alternative<proto::Pending>(*a)) out = std::get<proto::Pending>(*a);
  if (a && std::holds_alternative<proto::Refused>(*a)) out = std::get<proto::Refused>(*a);
  co_return out;
}

awaitable<std::optional<std::variant<proto::Left, proto::Refused>>> Link::leave(std::string group,
                                                                               std::vector<std::uint8_t> signed_request) {
  std::vector<proto::FromMember> frames{proto::Leave{group, std::move(signed_request)}};
  std::optional<proto::FromServer> a = co_await request(std::move(frames), group);
  std::optional<std::variant<proto::Left, proto::Refused>> out;
  if (a && std::holds_alternative<proto::Left>(*a)) out = std::get<proto::Left>(*a);
  if (a && std::holds_alternative<proto::Refused>(*a)) out = std::get<proto::Refused>(*a);
  co_return out;
}

void Link::ping() {
  pings_.emplace_back(++pings_sent_, a_.now());
  send(proto::Ping{});
}

// A pong answers the oldest ping in flight. The server answers a ping
// after every frame it queued before reading it, so every state of an
// epoch made before the ping left has arrived: the groups that are synced
// are confirmed as of that ping.
void Link::pong() {
  if (pings_.empty()) throw ProtocolError("protocol", "a pong without a ping");
  auto [number, sent] = pings_.front();
  pings_.pop_front();
  pongs_for_ = number;
  pong_time_ = sent;
  for (auto& [name, g] : groups_)
    if (a_.live(g).standing == Standing::connected) g->chain.confirmed = std::max(g->chain.confirmed, sent);
  pong_signal_.notify();
}

awaitable<std::optional<std::int64_t>> Link::confirm() {
  auto self = shared_from_this();
  if (!connected_) co_return std::nullopt;
  ping();
  std::uint64_t mine = pings_sent_;
  auto deadline = std::chrono::steady_clock::now() + fresh_wait;
  while (pongs_for_ < mine) {
    if (!connected_) co_return std::nullopt;
    bool woke = co_await pong_signal_.wait_until(deadline);
    if (!woke) co_return std::nullopt;
  }
  co_return pong_time_;
}

void Link::send(const proto::FromMember& m) {
  if (!connected_ || !stream_) return;
  out_.push_back(frame(proto::encode(m)));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(a_.io, writer(), asio::detached);
  }
}

awaitable<void> Link::writer() {
  auto self = shared_from_this();
  try {
    while (!out_.empty() && stream_) {
      std::vector<std::uint8_t> f = std::move(out_.front());
      out_.pop_front();
      co_await stream_->write_all(f);
    }
  } catch (const std::exception&) {
    if (stream_) stream_->close();
  }
  writing_ = false;
}

awaitable<void> Link::pinger() {
  auto self = shared_from_this();
  TlsStream* mine = stream_.get();
  for (;;) {
    asio::steady_timer t(a_.io, ping_every);
    asio::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    if (stream_.get() != mine || !connected_) co_return;
    if (std::chrono::steady_clock::now() - last_heard_ > ping_every + pong_within) {
      a_.log(where() + ": the server stopped answering; reconnecting");
      stream_->close();
      co_return;
    }
    ping();
  }
}

}  // namespace grypt
