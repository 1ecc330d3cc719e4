// grypt-testclient: a member of the group protocol for the tests
// (test/bats/gryptserver.bats): it connects as an identity to the server of
// a reference, says hello, checks every state it receives as a member's
// daemon must (grypt-protocol.7, CHECKING STATES) and prints one JSON
// line per event on stdout. It also misbehaves on request, to show that
// a misbehaving peer ends only its own session.
//
//   grypt-testclient -i IDENTITY -r REFERENCE [--note TEXT] [--stay]
//       [--until-epoch N] [--pending] [--leave WHAT] [--hold N:HEAD] [--also NAME]...
//       [--groups N] [--timing] [--timeout S] [--raw HEX]
//       [--stop-after-handshake] [--no-hello] [--no-pin]
//
// Exit status: 0 the session went as asked; 1 the server was refused (a
// wrong key, a state that fails its checks) or refused us; 2 an error.
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <ctime>
#include <cxxopts.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "core/group.h"
#include "core/group_cache.h"
#include "core/join_request.h"
#include "core/reference.h"
#include "core/identity_file.h"
#include "core/tool.h"
#include "proto/frame.h"
#include "proto/server.h"
#include "net/tls.h"

namespace grypt {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using Json = nlohmann::ordered_json;

struct Options {
  std::string identity, reference, note, raw, hold;
  // Once synced, a leave frame: "request" (a good one), "join-request",
  // "stale" (made two days ago), "other-group", "unfollowed" (a group the
  // connection does not follow).
  std::string leave;
  std::vector<std::string> also;  // more groups of the same server in the hello
  bool stay = false, pending = false, stop_after_handshake = false, no_hello = false, timing = false,
       no_pin = false;
  std::uint32_t until_epoch = 0;
  int groups = 0;  // pad the hello to this many groups (g1, g2, ...)
  int timeout = 20;
};

using Clock = std::chrono::steady_clock;
std::optional<Clock::time_point> hello_sent;  // --timing: events say how long after the hello

void event(Json j) {
  if (hello_sent)
    j["ms"] = std::chrono::duration<double, std::milli>(Clock::now() - *hello_sent).count();
  std::cout << j.dump() << std::endl;
}

std::vector<std::uint8_t> unhex(const std::string& h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}


class Client {
 public:
  Client(asio::io_context& io, const Options& o)
      : io_(io), o_(o), ref_(GroupReference::parse(o.reference)),
        id_(load_identity(o.identity, [] { return SecretBytes(); })),
        tls_(TlsContext::Role::client, id_), chain_(ref_.group, ref_.name) {}

  awaitable<void> run() {
    asio::ip::tcp::resolver resolver(io_);
    // GCC 12 destroys temporaries of a co_await expression twice: every
    // argument below is a named local.
    std::string host = ref_.endpoints[0].host, port = std::to_string(ref_.endpoints[0].port);
    auto endpoints = co_await resolver.async_resolve(host, port, use_awaitable);
    asio::ip::tcp::socket socket(io_);
    co_await asio::async_connect(socket, endpoints, use_awaitable);
    TlsStream s(tls_, std::move(socket));
    if (!o_.no_pin) {
      Ed25519Key pin;
      std::copy(ref_.server.ed25519().begin(), ref_.server.ed25519().end(), pin.begin());
      s.expect_peer(pin);
    }
    try {
      co_await s.handshake();
    } catch (const PinError&) {
      event({{"event", "refused"}, {"why", "the server's key does not match the reference"}});
      status = exit_no;
      co_return;
    }
    event({{"event", "handshake"}});
    if (o_.stop_after_handshake) {
      // Hold the connection open and say nothing.
      asio::steady_timer t(io_, std::chrono::seconds(o_.timeout));
      co_await t.async_wait(use_awaitable);
      co_return;
    }
    stream_ = &s;
    auto first = co_await next();
    const auto* welcome = first ? std::get_if<proto::Welcome>(&*first) : nullptr;
    if (!welcome) throw TlsError("the server did not say welcome");
    if (!(welcome->server == ref_.server) ||
        !std::equal(welcome->server.ed25519().begin(), welcome->server.ed25519().end(),
                    s.peer_key().begin())) {
      event({{"event", "refused"}, {"why", "the server's key does not match the reference"}});
      status = exit_no;
      co_return;
    }
    server_ = welcome->server;
    event({{"event", "welcome"}, {"server", welcome->server.to_string()}});
    if (!o_.raw.empty()) {
      std::vector<std::uint8_t> raw = unhex(o_.raw);
      co_await s.write_all(raw);
    } else if (!o_.no_hello) {
      proto::Hello h{id_.public_key(), {}};
      proto::GroupWant want{ref_.name, {}, {}, {}, {}};
      std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
      want.request = JoinRequest{ref_.group, now, id_.public_key(), o_.note}.sign(id_);
      if (!o_.hold.empty()) {
        std::size_t colon = o_.hold.find(':');
        want.epoch = Epoch(static_cast<std::uint32_t>(std::stoul(o_.hold.substr(0, colon))));
        auto head = base64_decode(o_.hold.substr(colon + 1), Base64::url_unpadded);
        StateHash hh{};
        std::copy(head.begin(), head.end(), hh.begin());
        want.head = hh;
      }
      h.groups.push_back(want);
      for (const std::string& g : o_.also) h.groups.push_back({g, {}, {}, {}, {}});
      // Padding goes first, so that the session ends with the real group's
      // "synced".
      for (int i = static_cast<int>(h.groups.size()); i < o_.groups; ++i)
        h.groups.insert(h.groups.begin(), proto::GroupWant{"g" + std::to_string(i), {}, {}, {}, {}});
      std::vector<std::uint8_t> f = frame(proto::encode(proto::FromMember{h}));
      if (o_.timing) hello_sent = Clock::now();
      co_await s.write_all(f);
    }
    for (;;) {
      std::optional<proto::FromServer> m;
      try {
        m = co_await next();
      } catch (const ProtocolError& e) {
        event({{"event", "bad-frame"}, {"why", e.what()}});
        status = exit_error;
        co_return;
      }
      if (!m) {
        event({{"event", "closed"}});
        co_return;
      }
      if (const auto* st = std::get_if<proto::State>(&*m)) {
        Json j = {{"event", "state"}, {"group", st->group}, {"epoch", st->epoch.value()}, {"key", !st->box.empty()}};
        if (st->group != ref_.name) {
          event(j);
          continue;
        }
        Placed p = chain_.take({st->state, st->ephemeral, st->box}, id_);
        j["check"] = state_fault_text(p.fault);
        if (p.fault != StateFault::none) {
          event(j);
          status = exit_no;
          co_return;
        }
        j["head"] = base64_encode(chain_.hash(st->epoch), Base64::url_unpadded);
        event(j);
      } else if (const auto* h = std::get_if<proto::History>(&*m)) {
        bool ok = chain_.take_history(h->grant, h->epoch, h->box, id_);
        event({{"event", "history"}, {"group", h->group}, {"grant", h->grant.value()}, {"epoch", h->epoch.value()},
               {"check", ok ? "accepted" : "refused"}});
      } else if (const auto* sy = std::get_if<proto::Synced>(&*m)) {
        event({{"event", "synced"}, {"group", sy->group}, {"epoch", sy->epoch.value()}});
        if (!o_.leave.empty() && sy->group == ref_.name) {
          JoinRequest q{ref_.group, static_cast<std::int64_t>(std::time(nullptr)), id_.public_key(), "",
                        JoinRequest::Kind::leave};
          std::string group = sy->group;
          if (o_.leave == "join-request") q.kind = JoinRequest::Kind::join;
          if (o_.leave == "stale") q.time -= 2 * 86400;
          if (o_.leave == "other-group") q.group[0] ^= 1;
          if (o_.leave == "unfollowed") group = "unfollowed";
          std::vector<std::uint8_t> f = frame(proto::encode(proto::FromMember{proto::Leave{group, q.sign(id_)}}));
          co_await s.write_all(f);
          continue;
        }
        if (o_.pending && sy->group == ref_.name) {
          std::vector<std::uint8_t> f = frame(proto::encode(proto::FromMember{proto::PendingRequest{sy->group}}));
          co_await s.write_all(f);
          continue;
        }
        if (o_.until_epoch && sy->epoch.value() >= o_.until_epoch) co_return;
        if (!o_.stay && !o_.until_epoch) co_return;
      } else if (const auto* pe = std::get_if<proto::Pending>(&*m)) {
        Json notes = Json::array();
        for (const proto::PendingEntry& e : pe->requests) {
          JoinRequest r = JoinRequest::decode(e.request);
          notes.push_back({{"number", e.number}, {"kind", r.kind == JoinRequest::Kind::leave ? "leave" : "join"},
                           {"key", r.key.to_string()}, {"note", r.note}});
        }
        event({{"event", "pending"}, {"group", pe->group}, {"requests", notes}});
        co_return;
      } else if (const auto* rf = std::get_if<proto::Refused>(&*m)) {
        event({{"event", "refused"}, {"group", rf->group}, {"code", rf->code}, {"message", rf->message}});
        status = exit_no;
        co_return;
      } else if (const auto* n = std::get_if<proto::NotMember>(&*m)) {
        event({{"event", "not-member"}, {"group", n->group}});
        status = exit_no;
      } else if (const auto* l = std::get_if<proto::Left>(&*m)) {
        event({{"event", "left"}, {"group", l->group}});
        if (!o_.stay) co_return;
      } else if (const auto* rm = std::get_if<proto::Removed>(&*m)) {
        event({{"event", "removed"}, {"group", rm->group}});
        status = exit_no;
      } else if (const auto* e = std::get_if<proto::ErrorReply>(&*m)) {
        event({{"event", "error"}, {"code", e->code}, {"message", e->message}});
        if (status == exit_ok) status = exit_error;
      } else if (std::holds_alternative<proto::Ping>(*m)) {
        std::vector<std::uint8_t> f = frame(proto::encode(proto::FromMember{proto::Pong{}}));
        co_await s.write_all(f);
      }
    }
  }

  int status = exit_ok;

 private:
  awaitable<std::optional<proto::FromServer>> next() {
    for (;;) {
      if (auto body = in_.next()) co_return proto::decode_from_server(*body);
      std::vector<std::uint8_t> buf(16384);
      std::size_t n = co_await stream_->read_some(buf);
      if (n == 0) co_return std::nullopt;
      in_.feed(std::span(buf.data(), n));
    }
  }

  TlsStream* stream_ = nullptr;
  FrameBuffer in_;
  asio::io_context& io_;
  Options o_;
  GroupReference ref_;
  Identity id_;
  TlsContext tls_;
  std::optional<PublicKey> server_;
  GroupChain chain_;
};

int body(int argc, char** argv) {
  cxxopts::Options opts("grypt-testclient", "A group protocol client for the tests");
  Options o;
  opts.add_options()
      ("i,identity", "identity file (no passphrase)", cxxopts::value<std::string>())
      ("r,reference", "group reference", cxxopts::value<std::string>())
      ("note", "a note for the administrator", cxxopts::value<std::string>())
      ("stay", "keep the session and print pushes")
      ("until-epoch", "stop once synced at this epoch", cxxopts::value<std::uint32_t>())
      ("pending", "once synced, ask for the group's pending requests (an admin's)")
      ("leave", "once synced, send a leave: request, join-request, stale, other-group or unfollowed",
       cxxopts::value<std::string>())
      ("no-pin", "do not pin the server's key in the handshake (check it after)")
      ("also", "another group of the server in the hello", cxxopts::value<std::vector<std::string>>())
      ("groups", "pad the hello to N groups", cxxopts::value<int>())
      ("timing", "each event says how many ms after the hello it came")
      ("hold", "claim to hold EPOCH:HEAD", cxxopts::value<std::string>())
      ("raw", "after the welcome, send these bytes (hex) instead of a hello",
       cxxopts::value<std::string>())
      ("no-hello", "after the welcome, say nothing")
      ("stop-after-handshake", "hold the connection silently after the TLS handshake")
      ("timeout", "give up after S seconds", cxxopts::value<int>());
  auto r = opts.parse(argc, argv);
  o.identity = r["identity"].as<std::string>();
  o.reference = r["reference"].as<std::string>();
  if (r.count("note")) o.note = r["note"].as<std::string>();
  o.stay = r.count("stay") > 0;
  if (r.count("until-epoch")) o.until_epoch = r["until-epoch"].as<std::uint32_t>();
  o.pending = r.count("pending") > 0;
  if (r.count("leave")) o.leave = r["leave"].as<std::string>();
  o.no_pin = r.count("no-pin") > 0;
  if (r.count("also")) o.also = r["also"].as<std::vector<std::string>>();
  if (r.count("groups")) o.groups = r["groups"].as<int>();
  o.timing = r.count("timing") > 0;
  if (r.count("hold")) o.hold = r["hold"].as<std::string>();
  if (r.count("raw")) o.raw = r["raw"].as<std::string>();
  o.no_hello = r.count("no-hello") > 0;
  o.stop_after_handshake = r.count("stop-after-handshake") > 0;
  if (r.count("timeout")) o.timeout = r["timeout"].as<int>();

  asio::io_context io;
  Client c(io, o);
  std::exception_ptr failure;
  bool done = false;
  asio::co_spawn(io, c.run(), [&](std::exception_ptr e) {
    failure = e;
    done = true;
    io.stop();
  });
  asio::steady_timer t(io, std::chrono::seconds(o.timeout));
  t.async_wait([&](const asio::error_code& ec) {
    if (!ec && !done) {
      event({{"event", "timeout"}});
      io.stop();
    }
  });
  io.run();
  if (!done) return exit_error;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      event({{"event", "failed"}, {"why", e.what()}});
      return exit_error;
    }
  }
  return c.status;
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) {
  return grypt::run_tool("grypt-testclient", argc, argv, grypt::body);
}
