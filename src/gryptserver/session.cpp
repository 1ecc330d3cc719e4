// A member's session (grypt-protocol.7, SERVER PROTOCOL): its hello, the
// states and boxes it lacks, the commits and creations of an admin, the
// pending requests an admin asks for, and what is pushed to it.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <algorithm>
#include <ctime>

#include "core/encoding.h"
#include "core/join_request.h"
#include "core/overloaded.h"
#include "core/text.h"
#include "gryptserver/server_impl.h"

namespace grypt {
namespace {

using asio::awaitable;

constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto hello_timeout = std::chrono::seconds(10);
constexpr std::size_t max_unsent = 4 << 20;
// A join request more than this far from the server's clock is not kept.
constexpr std::int64_t request_skew = 24 * 3600;

std::string peer_text(const asio::ip::tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// The box of `key` in a commit's boxes (in key order), if it has one.
const EpochBox* box_of(const CheckedCommit& c, const PublicKey& key) {
  auto it = std::lower_bound(c.row.boxes.begin(), c.row.boxes.end(), key,
                             [](const auto& b, const PublicKey& k) { return b.first < k; });
  return it != c.row.boxes.end() && it->first == key ? &it->second : nullptr;
}

}  // namespace

Session::Session(Server& server, const TlsContext& tls, asio::ip::tcp::socket socket)
    : deadline(server.now() + handshake_timeout), last_read(server.now()), server_(server),
      peer_(peer_text(socket)), stream_(tls, std::move(socket)) {}

awaitable<void> Session::run() {
  auto self = shared_from_this();
  try {
    co_await stream_.handshake();
    std::memcpy(ed.data(), stream_.peer_key().data(), 32);
    phase = Phase::hello;
    deadline = server_.now() + hello_timeout;
    send(proto::Welcome{server_.identity.public_key()});
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
      last_read = server_.now();
      while (auto body = in_.next()) {
        receive(proto::decode_from_member(*body));
        if (phase == Phase::closing) break;
      }
      if (in_.pending() == 0) in_.clear();
    }
  } catch (const ProtocolError& e) {
    fail(e.code(), e.what());
    co_return;  // the writer closes once the error is out
  } catch (const std::exception& e) {
    if (phase != Phase::closing && !server_.stopping)
      server_log(peer_ + ": " + (phase == Phase::handshake ? "handshake failed: " : "") + e.what());
  }
  close();
}

void Session::receive(const proto::FromMember& m) {
  if (phase == Phase::hello) {
    const auto* h = std::get_if<proto::Hello>(&m);
    if (!h) throw ProtocolError("protocol", "the first frame must be a hello");
    hello(*h);
    return;
  }
  std::visit(overloaded{
                 [](const proto::Hello&) { throw ProtocolError("protocol", "a second hello"); },
                 [this](const proto::Ask& a) { ask(a); },
                 [this](const proto::Commit& c) { commit(c); },
                 [this](const proto::PendingRequest& p) { pending(p); },
                 [this](const proto::Leave& l) { leave(l); },
                 [this](const proto::Ping&) {
                   if (!server_.feed) return send(proto::Pong{});
                   ++pongs_owed;
                   server_.pong_when_fresh(this);
                 },
                 [](const proto::Pong&) {},
             },
             m);
}

void Session::hello(const proto::Hello& h) {
  if (!std::equal(ed.begin(), ed.end(), h.key.ed25519().begin()))
    throw ProtocolError("protocol", "the hello's key is not the certificate's key");
  key = h.key;
  phase = Phase::active;
  for (const proto::GroupWant& w : h.groups) want(w);
  // A key that is a member of nothing asked is told so and closed; but a
  // key the server lets create groups stays, to create one.
  bool creator = std::find(server_.admins.begin(), server_.admins.end(), *key) != server_.admins.end();
  if (groups.empty() && !creator) close_when_sent();
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
  GroupLive* g = server_.relay.find(w.name);
  if (g && g->roster.find(*key)) {
    sync(*g, w);
    return;
  }
  // Unknown group and non-member look alike, and take the same time.
  send(proto::NotMember{w.name});
  asked[w.name] = w;
  server_.ask(w.name, this);
  if (g && !w.request.empty()) server_.record_pending_later(*g, *key, w.request, JoinRequest::Kind::join);
}

void Session::send_state(const GroupLive& g, Epoch e, const EpochBox* box) {
  const StateRow& r = g.states[e.value() - 1];
  proto::State s{g.name(), e, r.state, r.ephemeral, {}};
  if (box) s.box.assign(box->begin(), box->end());
  send(s);
}

// What the member lacks (grypt-protocol.7, state): the states after its
// head when its head is on this chain, else every state from the genesis,
// each with its box; the boxes of its lacking ranges; then the pushes that
// came meanwhile and "synced". The boxes come from the store.
void Session::sync(GroupLive& g, const proto::GroupWant& w) {
  if (asked.erase(g.name())) server_.unask(g.name(), this);
  groups.insert(g.name());
  server_.subscribe(g.name(), this);
  const std::string name = g.name();
  const Epoch head = g.head();
  bool on_chain = w.epoch && *w.epoch <= head && g.hashes.at(w.epoch->value() - 1) == *w.head;
  Epoch after = on_chain ? *w.epoch : Epoch(0);
  // A member that holds nothing gets, with the states, every key granted to
  // it from the past; one that holds a chain says which keys it lacks.
  std::vector<std::pair<Epoch, Epoch>> lacking =
      on_chain ? w.lacking : std::vector<std::pair<Epoch, Epoch>>{{Epoch(1), head}};
  syncing_[name];
  std::int64_t row = g.row.id;
  PublicKey member = *key;
  auto self = shared_from_this();
  struct Found {
    std::vector<BoxRow> boxes, history;
  };
  server_.worker.submit(
      [row, member, after, lacking](Store& s) { return Found{s.boxes(row, member, after), s.history(row, member, lacking)}; },
      [self, this, name, after, head](std::optional<Found> found, std::exception_ptr error) {
        GroupLive* g = server_.relay.find(name);
        if (phase == Phase::closing || !g || !groups.count(name)) {
          syncing_.erase(name);
          return;
        }
        if (error) {
          syncing_.erase(name);
          fail("store", "the server cannot read its store now");
          return;
        }
        Owed o{name, after.next(), head, {}, {}, 0};
        for (const BoxRow& b : found->boxes) o.own[b.epoch.value()] = b.box;
        // Its own box of an epoch after `after` goes with its state.
        for (BoxRow& b : found->history)
          if (b.grant != b.epoch || b.epoch <= after) o.history.push_back(std::move(b));
        owed_.push_back(std::move(o));
        pump();
      });
}

// The syncs owed, in order, a frame at a time while less than a quarter of
// the queue's limit waits; the writer calls again as the queue drains.
void Session::pump() {
  while (!owed_.empty() && unsent_ < max_unsent / 4 && phase != Phase::closing) {
    Owed& o = owed_.front();
    GroupLive* g = server_.relay.find(o.group);
    if (!g || !groups.count(o.group)) {
      syncing_.erase(o.group);
      owed_.pop_front();
      continue;
    }
    if (o.next <= o.head) {
      auto it = o.own.find(o.next.value());
      send_state(*g, o.next, it != o.own.end() ? &it->second : nullptr);
      o.next = o.next.next();
    } else if (o.history_at < o.history.size()) {
      const BoxRow& b = o.history[o.history_at++];
      if (b.grant == b.epoch) send_state(*g, b.epoch, &b.box);
      else send(proto::History{o.group, b.grant, b.epoch, b.box});
    } else {
      std::string name = o.group;
      owed_.pop_front();
      end_sync(name);
    }
  }
}

// A sync sent: the pushes that came meanwhile, then "synced". Another sync
// of the group still owed sends them, after its states.
void Session::end_sync(const std::string& name) {
  if (std::any_of(owed_.begin(), owed_.end(), [&](const Owed& o) { return o.group == name; })) return;
  auto waiting = std::move(syncing_[name]);
  syncing_.erase(name);
  GroupLive* g = server_.relay.find(name);
  if (!g) return;
  for (auto& [commit, group] : waiting) pushed(*group, *commit);
  send(proto::Synced{name, g->head()});
}

PushFrames::PushFrames(const std::string& group, const CheckedCommit& c) {
  for (std::size_t i = 0; i < c.run.size(); ++i)
    run.push_back(std::make_shared<const std::vector<std::uint8_t>>(frame(proto::encode(
        proto::FromServer{proto::State{group, c.run[i].epoch, c.row.run[i].state, c.row.run[i].ephemeral, {}}}))));
  proto::State s{group, c.state.epoch, c.row.state.state, c.row.state.ephemeral, {}};
  unboxed = std::make_shared<const std::vector<std::uint8_t>>(frame(proto::encode(proto::FromServer{s})));
  // The body with a box of zeros, cut around its base64: the same encoder
  // writes every session's frame, only the box differs.
  s.box.assign(box_bytes, 0);
  auto body = proto::encode(proto::FromServer{s});
  const std::string text(body.begin(), body.end());
  const std::string zeros = "\"box\":\"" + base64_encode(s.box, Base64::url_unpadded) + "\"";
  const std::size_t at = text.find(zeros);
  if (at == std::string::npos || text.find(zeros, at + 1) != std::string::npos)
    throw std::logic_error("a state frame without one box field");
  boxed_head = text.substr(0, at + 7);
  boxed_tail = text.substr(at + zeros.size() - 1);
  synced = std::make_shared<const std::vector<std::uint8_t>>(
      frame(proto::encode(proto::FromServer{proto::Synced{group, c.state.epoch}})));
}

SharedFrame PushFrames::boxed(const EpochBox& box) const {
  std::string body = boxed_head + base64_encode(box, Base64::url_unpadded) + boxed_tail;
  return std::make_shared<const std::vector<std::uint8_t>>(frame(as_bytes(body)));
}

void Session::pushed(GroupLive& g, const CheckedCommit& c, const PushFrames* frames) {
  const std::string& name = g.name();
  if (auto it = syncing_.find(name); it != syncing_.end()) {
    it->second.emplace_back(std::make_shared<const CheckedCommit>(c), &g);
    return;
  }
  if (std::find(c.removed.begin(), c.removed.end(), *key) != c.removed.end()) {
    groups.erase(name);
    server_.subscribers[name].erase(this);
    send(proto::Removed{name});
    // Asked for again with what it held: told at once if added back.
    Epoch held(c.row.first().value() - 1);
    // If added back with history, the keys of what it held come again
    // with the states (it may lack any of them).
    asked[name] = proto::GroupWant{name, held, g.hashes.at(held.value() - 1), {{Epoch(1), held}}, {}};
    server_.ask(name, this);
    if (groups.empty()) close_when_sent();
    return;
  }
  std::optional<PushFrames> own;
  if (!frames) frames = &own.emplace(name, c);
  for (const auto& f : frames->run) send_frame(f);
  const EpochBox* box = box_of(c, *key);
  send_frame(box ? frames->boxed(*box) : frames->unboxed);
  // The keys of past epochs an add, a grant or a move gives this member.
  for (const auto& [k, b] : c.row.history)
    if (k == *key) send(proto::History{name, b.grant, b.epoch, b.box});
  send_frame(frames->synced);
}

void Session::pay_pongs() {
  for (; pongs_owed > 0; --pongs_owed) send(proto::Pong{});
}

void Session::admitted(GroupLive& g) {
  auto it = asked.find(g.name());
  if (it == asked.end() || phase != Phase::active || !g.roster.find(*key)) return;
  proto::GroupWant w = it->second;
  sync(g, w);
}

// A commit arrives in parts; checked once whole, written by the store,
// then pushed and answered (grypt-protocol.7, commit).
void Session::commit(const proto::Commit& part) {
  if (!commit_) {
    commit_ = part;
  } else {
    if (part.group != commit_->group || part.state != commit_->state || part.ephemeral != commit_->ephemeral)
      throw ProtocolError("protocol", "a part of another commit");
    if (!part.run.empty()) throw ProtocolError("protocol", "a run in a later part of a commit");
    if (commit_->boxes.size() + part.boxes.size() > proto::max_members)
      throw ProtocolError("protocol", "a commit of more than a million boxes");
    commit_->boxes.insert(commit_->boxes.end(), part.boxes.begin(), part.boxes.end());
    commit_->more = part.more;
  }
  if (commit_->more) return;
  proto::Commit c = std::move(*commit_);
  commit_.reset();
  auto self = shared_from_this();
  if (c.group.empty()) {
    auto checked = server_.relay.check_create(c, server_.admins);
    if (auto* r = std::get_if<proto::Refused>(&checked)) {
      // Without a state there is no group name to answer about.
      if (r->group.empty()) throw ProtocolError("protocol", "a create whose state is not a group state: " + r->message);
      send(*r);
      return;
    }
    auto cc = std::make_shared<const CheckedCommit>(std::get<CheckedCommit>(std::move(checked)));
    GroupId id = group_id_of(cc->state);
    server_.worker.submit(
        [cc, id](Store& s) {
          return s.create_group(cc->state.group_name, id, cc->row.state, cc->row.boxes[0].first,
                                cc->row.boxes[0].second);
        },
        [self, this, cc](std::optional<GroupRow> row, std::exception_ptr error) {
          const std::string& name = cc->state.group_name;
          try {
            if (error) std::rethrow_exception(error);
          } catch (const UsageError& e) {
            send(proto::Refused{name, "name-taken", Epoch(0), e.what()});
            return;
          } catch (const std::exception& e) {
            server_log("cannot create " + name + ": " + e.what());
            send(proto::Refused{name, "store", Epoch(0), "the server could not write its store"});
            return;
          }
          GroupLive& g = server_.relay.add(std::move(*row), *cc);
          server_log(name + ": created by " + cc->state.signer.to_string());
          send(proto::Committed{name, Epoch(1)});
          server_.admit_askers(g);
        });
    return;
  }
  GroupLive* g = server_.relay.find(c.group);
  if (!g || !groups.count(c.group)) {
    send(proto::Refused{c.group, "not-admin", Epoch(0), "a group this connection does not follow"});
    return;
  }
  auto checked = server_.relay.check(*g, c);
  if (auto* r = std::get_if<proto::Refused>(&checked)) {
    // Beyond the head this server holds: another front end's commits may
    // be on their way here.
    if (r->code == "stale" && server_.feed) server_.catch_up(g->row.id);
    send(*r);
    return;
  }
  auto cc = std::make_shared<const CheckedCommit>(std::get<CheckedCommit>(std::move(checked)));
  std::string name = c.group;
  server_.worker.submit([cc](Store& s) { s.commit(cc->row); return true; },
                        [self, this, cc, name](std::optional<bool>, std::exception_ptr error) {
                          GroupLive* g = server_.relay.find(name);
                          try {
                            if (error) std::rethrow_exception(error);
                          } catch (const StaleCommit& e) {
                            // Another front end's commit won the epoch: it
                            // comes here as theirs do, and the committer
                            // retries on it (grypt-protocol.7, stale).
                            if (g) server_.catch_up(g->row.id);
                            server_log(name + ": another front end's commit took epoch " + cc->state.epoch.to_string() +
                                       " first; the committer is told to retry");
                            const auto head = std::max<std::int64_t>(e.head(), g ? g->head().value() : 0);
                            send(proto::Refused{name, "stale", Epoch(static_cast<std::uint32_t>(head)), e.what()});
                            return;
                          } catch (const std::exception& e) {
                            server_log("cannot commit to " + name + ": " + e.what());
                            send(proto::Refused{name, "store", g ? g->head() : Epoch(0),
                                                "the server could not write its store"});
                            return;
                          }
                          // A committer its own commit removes (leaving, or
                          // moving to a new key) is sent no state: its answer
                          // goes before "removed", which may close it.
                          const bool leaves = std::find(cc->removed.begin(), cc->removed.end(), *key) != cc->removed.end();
                          if (leaves && phase != Phase::closing) send(proto::Committed{name, cc->state.epoch});
                          if (g) server_.committed(*g, cc);
                          if (!leaves && phase != Phase::closing) send(proto::Committed{name, cc->state.epoch});
                        });
}

// A member's leave request (grypt-protocol.7, leave): kept for the
// administrators; the group is followed no more on this connection.
void Session::leave(const proto::Leave& l) {
  GroupLive* g = server_.relay.find(l.group);
  if (!g || !groups.count(l.group) || !g->roster.find(*key)) {
    send(proto::Refused{l.group, "not-member", g ? g->head() : Epoch(0),
                        "a leave for a group this connection does not follow as a member"});
    return;
  }
  if (!server_.record_pending_later(*g, *key, l.request, JoinRequest::Kind::leave)) {
    send(proto::Refused{l.group, "bad-request", g->head(),
                        "not a leave request of this key for the group, made within 24 hours of the server's clock"});
    return;
  }
  groups.erase(l.group);
  server_.subscribers[l.group].erase(this);
  send(proto::Left{l.group});
  if (groups.empty() && asked.empty()) close_when_sent();
}

void Session::pending(const proto::PendingRequest& p) {
  GroupLive* g = server_.relay.find(p.group);
  const RosterEntry* me = g && groups.count(p.group) ? g->roster.find(*key) : nullptr;
  if (!me || me->role != Role::admin) {
    send(proto::Refused{p.group, "not-admin", g ? g->head() : Epoch(0),
                        "pending requests are for the group's administrators"});
    return;
  }
  auto self = shared_from_this();
  std::int64_t row = g->row.id;
  std::string name = p.group;
  server_.worker.submit([row](Store& s) { return s.pending(row); },
                        [self, this, name](std::optional<std::vector<PendingRow>> rows, std::exception_ptr error) {
                          if (error || phase == Phase::closing) return;
                          proto::Pending out{name, {}};
                          for (PendingRow& r : *rows)
                            out.requests.push_back({r.number, std::move(r.request), r.first, r.last, r.count});
                          send(out);
                        });
}

void Session::send(const proto::FromServer& m) {
  if (phase == Phase::closing && !close_after_write_) return;
  send_frame(std::make_shared<const std::vector<std::uint8_t>>(frame(proto::encode(m))));
}

void Session::send_frame(SharedFrame f) {
  if (phase == Phase::closing && !close_after_write_) return;
  unsent_ += f->size();
  out_.push_back(std::move(f));
  if (unsent_ > max_unsent) {
    // Nothing more can reach a peer that does not read, not even an error.
    server_log(peer_ + ": reads too slowly, closing");
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
      while (!out_.empty() && (batch.empty() || batch.size() + out_.front()->size() <= 64 * 1024)) {
        batch.insert(batch.end(), out_.front()->begin(), out_.front()->end());
        out_.pop_front();
      }
      co_await stream_.write_all(batch);
      unsent_ -= batch.size();
      pump();
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
  if (!server_.stopping) server_log(peer_ + ": " + code + ": " + message);
  send(proto::ErrorReply{code, message});
  close_when_sent();
}

// The queue may be written already (a write to a socket with room completes
// at once): then close now, else once the writer is done, or at the sweep
// after the deadline if the peer does not read.
void Session::close_when_sent() {
  phase = Phase::closing;
  deadline = server_.now() + std::chrono::seconds(5);
  if (writing_)
    close_after_write_ = true;
  else
    close();
}

void Session::close() {
  phase = Phase::closing;
  close_after_write_ = false;
  out_.clear();
  owed_.clear();
  unsent_ = 0;
  stream_.close();
  server_.forget(this);
}

// Join and leave requests: kept only if of the kind asked for, signed by
// the session's own key, for this group, and near the server's time.
bool Server::record_pending_later(GroupLive& g, const PublicKey& key, std::vector<std::uint8_t> request,
                                  JoinRequest::Kind kind) {
  JoinRequest r;
  try {
    r = JoinRequest::decode(request);
  } catch (const FormatError&) {
    return false;
  }
  std::int64_t now = unix_now();
  if (r.kind != kind || !(r.key == key) || r.group != g.row.group_id || r.time < now - request_skew ||
      r.time > now + request_skew)
    return false;
  if (!may_record_pending()) return true;  // dropped by the limits: answered as kept
  std::int64_t row = g.row.id;
  std::string name = g.name();
  // Submitted after the answer's writer was posted: it runs after it.
  asio::post(io, [this, row, name, key, request = std::move(request), now] {
    worker.submit([row, key, request, now](Store& s) {
      s.record_pending(row, key, request, now, 100);
      return true;
    },
                  [name](std::optional<bool>, std::exception_ptr error) {
                    if (!error) return;
                    try {
                      std::rethrow_exception(error);
                    } catch (const std::exception& e) {
                      server_log("cannot record a pending request of " + name + ": " + e.what());
                    }
                  });
  });
  return true;
}

}  // namespace grypt
