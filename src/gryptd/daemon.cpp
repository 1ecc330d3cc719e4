#include "gryptd/daemon.h"

#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <map>
#include <set>

#include "core/encoding.h"
#include "core/error.h"
#include "core/text.h"
#include "core/vault_format.h"
#include "ipc/daemon.h"
#include "ipc/frame.h"
#include "ipc/protocol.h"
#include "net/tls.h"

namespace grypt {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto connect_timeout = 10s;
constexpr auto ping_every = 60s;
constexpr auto pong_within = 30s;
constexpr auto tool_idle = 30s;
constexpr auto min_backoff = 1s;
constexpr auto max_backoff = 300s;
constexpr auto catch_up_wait = 3s;
constexpr std::size_t max_roster = 1'000'000;
constexpr auto in_flight_wait = 300ms;

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// A server's last word on a group ("not a member", "not the pinned key")
// stays shown while the daemon tries again.
bool is_verdict(const std::string& state) { return state == "not-member" || state == "wrong-server"; }

struct GroupLive {
  std::string state = "offline";  // connecting, connected, offline, not-member, wrong-server
  bool synced = false;
  std::uint64_t answers = 0;  // the server's answers about this group (synced, not a member)
};

class Daemon;

// One TLS session per group server: the groups of one reference's host,
// port and pinned key share it.
class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(Daemon& d, const GroupReference& ref) : d_(d), host_(ref.host), port_(ref.port), pin_(ref.server) {}
  bool serves(const GroupReference& r) const {
    return r.host == host_ && r.port == port_ && r.server == pin_;
  }
  void add(KnownGroup* g) { groups_.push_back(g); }
  awaitable<void> run();
  void send(const proto::FromMember& m);
  void restart() {
    if (stream_) stream_->close();
  }
  void stop() {
    stopping_ = true;
    if (stream_) stream_->close();
  }
  // Ends a wait between attempts now: a tool needs what only the server can
  // tell (an epoch newer than ours, or whether we were admitted).
  void wake() {
    backoff_ = min_backoff;
    if (pause_) pause_->cancel();
  }
  bool connected() const { return connected_; }

 private:
  awaitable<void> session();
  awaitable<std::optional<proto::FromServer>> next();
  awaitable<void> writer();
  awaitable<void> pinger();
  void handle(const proto::FromServer& m);
  void fetch_rosters(KnownGroup* g);

  Daemon& d_;
  std::string host_;
  std::uint16_t port_;
  Fingerprint pin_;
  std::vector<KnownGroup*> groups_;
  std::unique_ptr<TlsStream> stream_;
  std::optional<PublicKey> server_;
  FrameBuffer in_;
  std::deque<std::vector<std::uint8_t>> out_;
  std::string where() const { return host_ + ":" + std::to_string(port_); }

  bool writing_ = false, connected_ = false, stopping_ = false, timed_out_ = false;
  std::chrono::milliseconds backoff_ = min_backoff;
  asio::steady_timer* pause_ = nullptr;
  std::chrono::steady_clock::time_point last_pong_;
  std::map<std::string, std::vector<RosterEntry>> roster_parts_;
  std::map<KnownGroup*, std::uint32_t> fetching_;  // the roster asked for, one per group
};

class Daemon {
 public:
  Daemon(Keyring& k, int listen_fd, const DaemonOptions& o)
      : keyring(k), options(o), tls(TlsContext::Role::client, k.identity()),
        acceptor(io, asio::local::stream_protocol(), listen_fd), signals(io, SIGTERM, SIGINT) {}

  int run();
  void log(const std::string& line) {
    if (options.log) options.log(printable(line));
  }
  Link& link_for(KnownGroup* g);
  void stop();

  asio::io_context io{1};
  Keyring& keyring;
  DaemonOptions options;
  TlsContext tls;
  asio::local::stream_protocol::acceptor acceptor;
  asio::signal_set signals;
  std::vector<std::shared_ptr<Link>> links;
  std::map<std::string, GroupLive> live;
  std::map<KnownGroup*, Link*> link_of;
  bool stopping = false;

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve_tool(asio::local::stream_protocol::socket s);
  // `asked`: the groups this tool's requests already asked the server about.
  awaitable<daemon::Reply> handle(const daemon::Request& r, std::set<KnownGroup*>& asked);
  awaitable<daemon::Reply> members(const daemon::Members& m);
  static daemon::Failure wrong_server(const KnownGroup* g);
  awaitable<void> catch_up(KnownGroup* g, Epoch wanted, std::set<KnownGroup*>& asked);
  daemon::Reply vault(const daemon::Vault& v);
  std::map<std::string, SecretBytes> vault_keys_;  // by the sha256 of vault.key
};

// ---- the server side ---------------------------------------------------------

awaitable<void> Link::run() {
  auto self = shared_from_this();
  while (!stopping_ && !d_.stopping) {
    auto began = std::chrono::steady_clock::now();
    try {
      co_await session();
    } catch (const std::exception& e) {
      // A server that said "not a member" of every group closes: no news.
      bool refused = std::all_of(groups_.begin(), groups_.end(), [&](KnownGroup* g) {
        return d_.live[g->entry.name].state == "not-member";
      });
      std::string why = timed_out_ ? "no answer within " + std::to_string(connect_timeout.count()) + " s"
                                   : std::string(e.what());
      if (!stopping_ && !d_.stopping && !(refused && !timed_out_)) d_.log(where() + ": " + why);
    }
    connected_ = false;
    fetching_.clear();
    roster_parts_.clear();
    stream_.reset();
    in_.clear();
    out_.clear();
    for (KnownGroup* g : groups_) {
      GroupLive& l = d_.live[g->entry.name];
      if (!is_verdict(l.state)) l.state = "offline";
      l.synced = false;
    }
    if (stopping_ || d_.stopping) break;
    // A session that lasted resets the backoff; a failing one doubles it.
    if (std::chrono::steady_clock::now() - began > 60s) backoff_ = min_backoff;
    std::uint32_t jitter = 0;
    random_bytes(std::span(reinterpret_cast<std::uint8_t*>(&jitter), sizeof jitter));
    auto wait = backoff_ / 2 + std::chrono::milliseconds(jitter % (backoff_.count() / 2 + 1));
    asio::steady_timer t(d_.io, wait);
    pause_ = &t;
    asio::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    pause_ = nullptr;
    backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, max_backoff);
  }
}

awaitable<void> Link::session() {
  for (KnownGroup* g : groups_)
    if (!is_verdict(d_.live[g->entry.name].state)) d_.live[g->entry.name].state = "connecting";
  tcp::resolver resolver(d_.io);
  std::string port = std::to_string(port_);
  auto endpoints = co_await resolver.async_resolve(host_, port, use_awaitable);
  tcp::socket socket(d_.io);
  // Every wait has a deadline: a server that does not answer costs a
  // timeout, not a hung daemon.
  timed_out_ = false;
  asio::steady_timer deadline(d_.io, connect_timeout);
  deadline.async_wait([this, &socket](const asio::error_code& ec) {
    if (ec) return;
    timed_out_ = true;
    socket.close();
  });
  co_await asio::async_connect(socket, endpoints, use_awaitable);
  stream_ = std::make_unique<TlsStream>(d_.tls, std::move(socket));
  deadline.expires_after(connect_timeout);
  deadline.async_wait([this](const asio::error_code& ec) {
    if (ec || connected_ || !stream_) return;
    timed_out_ = true;
    stream_->close();
  });
  co_await stream_->handshake();
  auto first = co_await next();
  const auto* welcome = first ? std::get_if<proto::Welcome>(&*first) : nullptr;
  if (!welcome) throw TlsError("the server did not say welcome");
  if (welcome->server.fingerprint() != pin_ ||
      !std::equal(welcome->server.ed25519().begin(), welcome->server.ed25519().end(),
                  stream_->peer_key().begin())) {
    for (KnownGroup* g : groups_) {
      d_.live[g->entry.name].state = "wrong-server";
      ++d_.live[g->entry.name].answers;
    }
    throw TlsError("the server's key does not match the reference's fingerprint: refusing it");
  }
  server_ = welcome->server;
  connected_ = true;
  deadline.cancel();
  proto::Hello h{d_.keyring.identity().public_key(), {}, ""};
  for (KnownGroup* g : groups_) {
    proto::GroupWant w{g->entry.name, {}, {}};
    if (!g->chain.empty()) {
      w.epoch = g->chain.head().epoch;
      w.head = g->chain.head().hash();
    }
    h.groups.push_back(w);
  }
  send(h);
  last_pong_ = std::chrono::steady_clock::now();
  asio::co_spawn(d_.io, pinger(), asio::detached);
  for (;;) {
    std::optional<proto::FromServer> m = co_await next();
    if (!m) throw TlsError("the server closed the connection");
    handle(*m);
  }
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
    last_pong_ = std::chrono::steady_clock::now();
  }
}

void Link::handle(const proto::FromServer& m) {
  if (const auto* s = std::get_if<proto::State>(&m)) {
    KnownGroup* g = d_.keyring.find(s->group);
    if (!g || d_.link_of[g] != this) throw ProtocolError("protocol", "a state of a group not asked for");
    // A state the member holds already (a resent chain) is skipped.
    if (!g->chain.empty() && s->epoch <= g->chain.head().epoch) return;
    ChainCheck::Result r = g->chain.append(s->state, s->key, d_.keyring.identity());
    if (r != ChainCheck::Result::accepted)
      throw ProtocolError("protocol", g->entry.name + " epoch " + s->epoch.to_string() +
                                          ": refused: " + chain_result_text(r));
    return;
  }
  if (const auto* s = std::get_if<proto::Synced>(&m)) {
    KnownGroup* g = d_.keyring.find(s->group);
    if (!g) return;
    g->chain.confirmed = now();
    d_.keyring.save_chain(*g);
    GroupLive& l = d_.live[g->entry.name];
    l.state = "connected";
    l.synced = true;
    ++l.answers;
    d_.log(g->entry.name + ": epoch " + s->epoch.to_string());
    fetch_rosters(g);
    return;
  }
  if (const auto* n = std::get_if<proto::NotMember>(&m)) {
    d_.live[n->group].state = "not-member";
    ++d_.live[n->group].answers;
    d_.log(n->group + ": not a member; send your key to the group's administrator: " +
           d_.keyring.identity().public_key().to_string());
    return;
  }
  if (const auto* rm = std::get_if<proto::Removed>(&m)) {
    d_.live[rm->group].state = "not-member";
    d_.log(rm->group + ": removed from the group");
    return;
  }
  if (const auto* r = std::get_if<proto::Roster>(&m)) {
    auto& parts = roster_parts_[r->group + "/" + r->epoch.to_string()];
    parts.insert(parts.end(), r->members.begin(), r->members.end());
    if (parts.size() > max_roster) throw ProtocolError("protocol", "a roster of more than a million members");
    if (r->more) return;
    KnownGroup* g = d_.keyring.find(r->group);
    std::vector<RosterEntry> all = std::move(parts);
    roster_parts_.erase(r->group + "/" + r->epoch.to_string());
    if (!g) return;
    if (!d_.keyring.add_roster(*g, r->epoch, std::move(all)))
      throw ProtocolError("protocol", r->group + ": the roster of epoch " + r->epoch.to_string() +
                                          " does not match its state: refused");
    if (auto f = fetching_.find(g); f != fetching_.end() && f->second == r->epoch.value()) {
      fetching_.erase(f);
      fetch_rosters(g);
    }
    return;
  }
  if (std::holds_alternative<proto::Ping>(m)) {
    send(proto::Pong{});
    return;
  }
  if (const auto* e = std::get_if<proto::ErrorReply>(&m))
    throw TlsError("the server said " + e->code + ": " + e->message);
}

// Every epoch whose key this member holds gets its roster cached, newest
// first, one request at a time: a post of any of them can then be checked
// with the server down, or after this member was removed.
void Link::fetch_rosters(KnownGroup* g) {
  if (fetching_.count(g) || g->chain.empty()) return;
  for (Epoch e = g->chain.head().epoch; e.value() >= 1; e = Epoch(e.value() - 1)) {
    if (g->chain.key(e) && !d_.keyring.roster(*g, e)) {
      fetching_[g] = e.value();
      send(proto::RosterRequest{g->entry.name, e});
      return;
    }
  }
}

void Link::send(const proto::FromMember& m) {
  if (!connected_ || !stream_) return;
  out_.push_back(frame(proto::encode(m)));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(d_.io, writer(), asio::detached);
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
    asio::steady_timer t(d_.io, ping_every);
    asio::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    if (stream_.get() != mine || !connected_) co_return;
    if (std::chrono::steady_clock::now() - last_pong_ > ping_every + pong_within) {
      d_.log(where() + ": the server stopped answering; reconnecting");
      stream_->close();
      co_return;
    }
    send(proto::Ping{});
  }
}

// ---- the tools' side -----------------------------------------------------------

Link& Daemon::link_for(KnownGroup* g) {
  for (auto& l : links)
    if (l->serves(g->entry.reference)) {
      l->add(g);
      link_of[g] = l.get();
      return *l;
    }
  auto l = std::make_shared<Link>(*this, g->entry.reference);
  l->add(g);
  link_of[g] = l.get();
  links.push_back(l);
  asio::co_spawn(io, l->run(), asio::detached);
  return *l;
}

void Daemon::stop() {
  if (stopping) return;
  stopping = true;
  asio::error_code ignored;
  acceptor.close(ignored);
  for (auto& l : links) l->stop();
  auto t = std::make_shared<asio::steady_timer>(io, 200ms);
  t->async_wait([this, t](const asio::error_code&) { io.stop(); });
}

daemon::Reply Daemon::vault(const daemon::Vault& v) {
  daemon::VaultReply r;
  std::vector<std::uint8_t> file = v.vault_key_file;
  if (v.create) {
    // A new vault: its key is made here and never leaves, sealed to the
    // identity; the tool writes the file.
    SecretBytes key(key_bytes);
    random_bytes(key.span());
    file = encode_vault_key_file(key, {keyring.identity().public_key()});
    r.vault_key_file = file;
  }
  std::array<std::uint8_t, 32> digest;
  sha256(file, digest);
  std::string id = base64_encode(digest, Base64::url_unpadded);
  auto it = vault_keys_.find(id);
  if (it == vault_keys_.end()) {
    try {
      it = vault_keys_.emplace(id, open_vault_key_file(file, keyring.identity())).first;
    } catch (const OpenError& e) {
      return daemon::Failure{"vault", e.what()};
    }
  }
  if (!v.reseal.empty()) {
    try {
      r.vault_key_file = encode_vault_key_file(it->second, v.reseal);
    } catch (const UsageError& e) {
      return daemon::Failure{"protocol", e.what()};
    }
  }
  LocalVaultKeys keys(SecretBytes::copy_of(it->second.span()));
  for (const std::string& n : v.locators) r.locators.push_back(keys.locator(n));
  for (const daemon::EntryHead& h : v.name_keys) r.name_keys.push_back(keys.name_key(h));
  for (const auto& [h, n] : v.entry_keys) r.entry_keys.push_back(keys.entry_key(h, n));
  return r;
}

awaitable<daemon::Reply> Daemon::members(const daemon::Members& m) {
  KnownGroup* g = keyring.find(m.group);
  if (!g) co_return daemon::Failure{"unknown-group", "a group you do not know"};
  MessageHeader h;
  h.group = m.group;
  h.epoch = m.epoch;
  if (!keyring.roster(*g, m.epoch)) {
    Link* l = link_of[g];
    if (!l || !l->connected() || !g->chain.state(m.epoch))
      co_return daemon::Failure{"no-roster", "the roster of " + g->entry.name + " epoch " +
                                                 m.epoch.to_string() +
                                                 " is not cached and its server cannot be reached"};
    l->send(proto::RosterRequest{g->entry.name, m.epoch});
    for (int i = 0; i < 200 && !keyring.roster(*g, m.epoch); ++i) {
      asio::steady_timer t(io, 50ms);
      co_await t.async_wait(use_awaitable);
    }
    if (!keyring.roster(*g, m.epoch))
      co_return daemon::Failure{"no-roster", "the server did not send the roster of " +
                                                 g->entry.name + " epoch " + m.epoch.to_string()};
  }
  daemon::MembersReply r;
  for (Member& x : keyring.lookup(h, m.key_id)) r.members.push_back({x.name, x.key, x.current});
  co_return r;
}

// Before saying "not a member" or "no such epoch", ask the server once more:
// a member just admitted, or an epoch made a moment ago, is known to it
// before this daemon's next attempt. Waits at most catch_up_wait, once per
// tool and group: a feed of posts of a group we left costs one ask.
awaitable<void> Daemon::catch_up(KnownGroup* g, Epoch wanted, std::set<KnownGroup*>& asked) {
  GroupLive& l = live[g->entry.name];
  bool have = !g->chain.empty() && g->chain.head().epoch >= wanted;
  if (have && l.state != "not-member") co_return;
  Link* link = link_of[g];
  if (!link) co_return;
  if (!asked.insert(g).second) co_return;
  // Connected and synced: a newer epoch we are owed is pushed at once, so
  // only one already on its way is worth a short wait.
  auto limit = l.synced && l.state == "connected" ? in_flight_wait : catch_up_wait;
  std::uint64_t answers = l.answers;
  if (!l.synced) link->wake();
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until && !stopping) {
    if (l.state != "not-member" && !g->chain.empty() && g->chain.head().epoch >= wanted) co_return;
    if (l.answers != answers) co_return;  // the server answered: what we hold is all we get
    asio::steady_timer t(io, 20ms);
    co_await t.async_wait(use_awaitable);
  }
}

daemon::Failure Daemon::wrong_server(const KnownGroup* g) {
  return {"wrong-server", "the server of " + g->entry.name +
                              " is not the one its reference names (its key does not match the "
                              "reference's fingerprint): check the reference"};
}

awaitable<daemon::Reply> Daemon::handle(const daemon::Request& req, std::set<KnownGroup*>& asked) {
  try {
    if (std::holds_alternative<daemon::Status>(req)) {
      daemon::StatusReply s{keyring.identity().public_key().to_string(),
                            static_cast<std::uint64_t>(::getpid()), {}};
      for (KnownGroup* g : keyring.groups()) {
        GroupLive& l = live[g->entry.name];
        std::uint64_t n = 0;
        if (!g->chain.empty())
          if (const auto* r = keyring.roster(*g, g->chain.head().epoch)) n = r->size();
        s.groups.push_back({g->entry.name, g->entry.reference.to_string(), l.state,
                            g->chain.empty() ? 0 : g->chain.head().epoch.value(), g->chain.confirmed, n});
      }
      co_return s;
    }
    if (const auto* s = std::get_if<daemon::Seal>(&req)) {
      KnownGroup* g = keyring.find(s->group);
      if (g && (g->chain.empty() || live[g->entry.name].state == "not-member"))
        co_await catch_up(g, Epoch(1), asked);
      if (g && live[g->entry.name].state == "wrong-server" && g->chain.newest_key() == std::nullopt)
        co_return wrong_server(g);
      if (g && live[g->entry.name].state == "not-member")
        co_return daemon::Failure{"not-member", "you are not a member of " + s->group +
                                                    ": send your key to its administrator: " +
                                                    keyring.identity().public_key().to_string()};
      auto [h, key] = keyring.seal(s->group, s->is_signed);
      daemon::SealReply r;
      r.header = h.encode();
      r.key = std::move(key);
      r.epoch = h.epoch.value();
      r.fresh = live[s->group].synced;
      r.confirmed = g->chain.confirmed;
      if (s->digest) {
        SignedDigest sd = IdentitySigner(keyring.identity()).sign(h, *s->digest);
        r.signature = daemon::SignReply{sd.key_id, sd.signature};
      }
      co_return r;
    }
    if (const auto* s = std::get_if<daemon::Sign>(&req)) {
      MessageHeader h = MessageHeader::decode(s->header);
      SignedDigest sd = IdentitySigner(keyring.identity()).sign(h, s->digest);
      co_return daemon::SignReply{sd.key_id, sd.signature};
    }
    if (const auto* o = std::get_if<daemon::Open>(&req)) {
      MessageHeader h = MessageHeader::decode(o->header);
      if (KnownGroup* g = keyring.find(h.group)) {
        co_await catch_up(g, h.epoch, asked);
        if (live[g->entry.name].state == "wrong-server" && !g->chain.key(h.epoch)) co_return wrong_server(g);
      }
      daemon::OpenReply r;
      r.key = keyring.message_key(h);
      r.group = keyring.find(h.group)->entry.name;
      r.epoch = h.epoch.value();
      co_return r;
    }
    if (const auto* m = std::get_if<daemon::Members>(&req)) co_return co_await members(*m);
    if (const auto* v = std::get_if<daemon::Vault>(&req)) co_return vault(*v);
    if (const auto* j = std::get_if<daemon::Join>(&req)) {
      GroupReference ref = GroupReference::parse(j->reference);
      bool known = keyring.find(j->name) != nullptr;
      KnownGroup& g = keyring.join(j->name, ref);
      if (!known) {
        Link& l = link_for(&g);
        l.restart();  // say hello again, now with this group
      }
      co_return daemon::Done{};
    }
    if (std::holds_alternative<daemon::Stop>(req)) co_return daemon::Done{};
  } catch (const OpenError& e) {
    std::string what = e.what();
    co_return daemon::Failure{what.find("no group") != std::string::npos ||
                                      what.find("do not know") != std::string::npos
                                  ? "unknown-group"
                                  : "unknown-epoch",
                              what};
  } catch (const UsageError& e) {
    co_return daemon::Failure{"usage", e.what()};
  } catch (const Error& e) {
    co_return daemon::Failure{"protocol", e.what()};
  }
  co_return daemon::Failure{"protocol", "unknown request"};
}

awaitable<void> Daemon::serve_tool(asio::local::stream_protocol::socket s) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      cred.uid != ::geteuid()) {
    log("refused a tool of another user (uid " + std::to_string(cred.uid) + ")");
    co_return;
  }
  FrameBuffer in;
  std::set<KnownGroup*> asked;
  asio::steady_timer idle(io);
  auto arm = [&] {
    idle.expires_after(tool_idle);
    idle.async_wait([&s](const asio::error_code& ec) {
      if (!ec) s.close();
    });
  };
  arm();
  try {
    for (;;) {
      std::optional<std::vector<std::uint8_t>> body;
      while (!(body = in.next())) {
        std::array<std::uint8_t, 4096> buf;
        std::size_t n = co_await s.async_read_some(asio::buffer(buf), use_awaitable);
        in.feed(std::span(buf.data(), n));
      }
      arm();
      daemon::Request req = daemon::decode_request(*body);
      wipe(body->data(), body->size());
      daemon::Reply reply = co_await handle(req, asked);
      std::vector<std::uint8_t> out = frame(daemon::encode(reply));
      co_await asio::async_write(s, asio::buffer(out), use_awaitable);
      wipe(out.data(), out.size());
      if (std::holds_alternative<daemon::Stop>(req)) {
        log("stopping on request");
        stop();
        break;
      }
    }
  } catch (const ProtocolError& e) {
    log(std::string("a tool sent a bad frame: ") + e.what());
  } catch (const std::exception&) {
    // The tool went away, or was silent too long.
  }
  idle.cancel();
}

awaitable<void> Daemon::accept_loop() {
  for (;;) {
    asio::local::stream_protocol::socket s(io);
    asio::error_code ec;
    co_await acceptor.async_accept(s, asio::redirect_error(use_awaitable, ec));
    if (stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(io, serve_tool(std::move(s)), asio::detached);
  }
}

int Daemon::run() {
  signals.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    log("stopping");
    stop();
  });
  for (KnownGroup* g : keyring.groups()) link_for(g);
  asio::co_spawn(io, accept_loop(), asio::detached);
  if (options.ready) options.ready();
  io.run();
  return exit_ok;
}

}  // namespace

int run_daemon(Keyring& keyring, int listen_fd, const DaemonOptions& options) {
  Daemon d(keyring, listen_fd, options);
  return d.run();
}

}  // namespace grypt
