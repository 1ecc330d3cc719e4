// An administrator's requests (grypt-admin.1, grypt-protocol.7 DAEMON
// PROTOCOL): the daemon makes the new epoch's key, boxes it, signs the
// state and commits it through its link; the server relays. A commit that
// lost a race to another admin is made again on the new head.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "core/join_request.h"
#include "core/move_statement.h"
#include "core/text.h"
#include "gryptd/agent.h"
#include "gryptd/commits.h"

namespace grypt {
namespace {

using asio::awaitable;
constexpr int commit_attempts = 3;
constexpr auto held_wait = 10s;
// How long a change waits for a link that is not connected.
constexpr auto connect_wait = 5s;

daemon::Failure fail(daemon::Code c, const std::string& m) { return {c, m}; }

// The creator's name in its new group: its login name where that is a
// valid member name.
std::string my_name() {
  struct passwd* pw = ::getpwuid(::geteuid());
  std::string n = pw && pw->pw_name ? pw->pw_name : "";
  return group_name_defect(n).empty() ? n : "admin";
}

}  // namespace

// Until the group's chain holds epoch `e` (the server pushes every commit
// to its committer too), or the wait ends.
static awaitable<bool> hold(Agent& a, KnownGroup* g, Epoch e) {
  auto deadline = std::chrono::steady_clock::now() + held_wait;
  while (g->chain.empty() || g->chain.head().epoch < e)
    if (!co_await a.signal_of(g).wait_until(deadline)) co_return false;
  co_return true;
}

// The server's pending requests of `g`, or nothing when no link follows it
// or the server did not answer.
static awaitable<std::optional<std::variant<proto::Pending, proto::Refused>>> pending_of(Agent& a, KnownGroup* g) {
  Link* link = a.link(g);
  if (!link) co_return std::nullopt;
  co_return co_await link->pending(g->entry.reference.name);
}

// A proposal made, committed and held, again on the new head when another
// admin's commit came first.
static awaitable<daemon::Reply> propose(Agent& a, KnownGroup* g, std::span<const Proposal> changes,
                                        int attempts = commit_attempts) {
  // Connected and caught up (an expired epoch is still one to change from),
  // as the link says, not only as the group's standing says.
  auto ready = [&] {
    Link* link = a.link(g);
    Standing s = a.standing(g);
    return link && link->connected() && (s == Standing::connected || s == Standing::expired);
  };
  if (!ready() && !standing_is_verdict(a.live(g).standing)) {
    // A server that has just come back, or a daemon that has just started:
    // the link is woken and given a moment to connect and catch up. A
    // verdict (forked, rolled back, not a member, the wrong server) does
    // not clear by waiting, and is answered at once.
    if (Link* link = a.link(g); link && !link->connected()) link->wake();
    auto deadline = std::chrono::steady_clock::now() + connect_wait;
    while (!ready() && !a.stopping && !standing_is_verdict(a.live(g).standing))
      if (!co_await a.signal_of(g).wait_until(deadline)) break;
  }
  for (int attempt = 1;; ++attempt) {
    // Locked while the server was waited for: no identity to sign with.
    if (a.locked()) co_return locked_failure();
    if (!ready()) {
      // The link's own standing: an expired epoch with its server away is
      // a server that cannot be reached, not a verdict.
      Standing s = a.live(g).standing;
      if (s == Standing::not_member) co_return fail(daemon::Code::not_member, "you are not a member of " + g->entry.name);
      if (s == Standing::offline || s == Standing::connecting || a.why(g).empty())
        co_return fail(daemon::Code::offline, "the server of " + g->entry.name + " cannot be reached now (see gryptd status)");
      // A verdict on the server or the history: no change is made on it.
      co_return fail(s == Standing::forked ? daemon::Code::forked : daemon::Code::refused,
                     "not changing " + g->entry.name + ": " + a.why(g) + " (see gryptd status)");
    }
    const RosterEntry* me = g->chain.roster().find(a.keyring.public_key());
    if (!me || me->role != Role::admin)
      co_return fail(daemon::Code::not_admin, "you are not an administrator of " + g->entry.name);
    if (std::string d = run_defect(g->chain.roster(), changes); !d.empty())
      co_return fail(daemon::Code::usage, g->entry.name + ": " + d);
    MadeCommit m = make_run(g->chain, a.keyring.identity(), changes, a.now(), a.options.state_lifetime,
                            a.next_ephemeral[g].take());
    Epoch wanted = m.state.epoch;
    const bool stays = m.committer_stays;
    auto answer = co_await a.link(g)->commit(std::move(m.commit));
    if (!answer) co_return fail(daemon::Code::offline, "the server of " + g->entry.name + " did not answer the commit");
    if (std::holds_alternative<proto::Committed>(*answer)) {
      // Out of the group by its own change: the server sends it nothing
      // more of it (grypt-protocol.7, committed).
      if (!stays) co_return daemon::EpochReply{wanted.value()};
      if (!co_await hold(a, g, wanted))
        co_return fail(daemon::Code::offline, "the server took epoch " + wanted.to_string() + " of " + g->entry.name +
                                                  " but did not send it back");
      a.prepare_next(g);
      co_return daemon::EpochReply{wanted.value()};
    }
    const proto::Refused& no = std::get<proto::Refused>(*answer);
    if (no.code != "stale" || attempt >= attempts)
      co_return fail(no.code == "not-admin" ? daemon::Code::not_admin : daemon::Code::refused,
                     "the server refused the commit to " + g->entry.name + ": " + no.message);
    // Another admin's epoch came first: made again on it once it is here.
    co_await hold(a, g, no.head);
  }
}

static awaitable<daemon::Reply> propose(Agent& a, KnownGroup* g, const Proposal& p, int attempts = commit_attempts) {
  return propose(a, g, std::span(&p, 1), attempts);
}

// A member by name or by key string, in the group's current roster.
static const RosterEntry* member(KnownGroup* g, const std::string& who) {
  if (who.rfind("grypt-pk:", 0) == 0) return g->chain.roster().find(PublicKey::parse(who));
  return g->chain.roster().find(who);
}

awaitable<daemon::Reply> ToolSession::create(const daemon::Create& c) {
  ServerReference server = ServerReference::parse(c.server);
  if (a_.keyring.find(c.group))
    co_return fail(daemon::Code::usage, "a group named " + c.group + " is known already (gryptd status)");
  MadeCommit m = make_genesis(c.group, c.name.empty() ? my_name() : c.name, a_.keyring.identity(), a_.now(),
                              a_.options.state_lifetime);
  GroupReference ref{server.server, group_id_of(m.state), server.endpoints, c.group};
  KnownGroup& g = a_.keyring.join(c.group, ref);
  Link& link = a_.link_for(&g);
  auto answer = co_await link.commit(std::move(m.commit));
  if (!answer || std::holds_alternative<proto::Refused>(*answer)) {
    a_.forget(&g);
    // A server closes the connection of a key it does not let create
    // groups, as it closes any non-member's: the two look alike from here.
    if (!answer)
      co_return fail(daemon::Code::offline, "the server did not answer the creation of " + c.group +
                                                ": it cannot be reached, or does not let your key create groups"
                                                " (gryptserver admins)");
    const proto::Refused& no = std::get<proto::Refused>(*answer);
    co_return fail(no.code == "not-admin" ? daemon::Code::not_admin : daemon::Code::refused,
                   "the server refused to create " + c.group + ": " + no.message);
  }
  if (!co_await hold(a_, &g, Epoch(1)))
    co_return fail(daemon::Code::offline, "the server created " + c.group + " but did not send it back");
  co_return daemon::CreateReply{ref.to_string()};
}

awaitable<daemon::Reply> ToolSession::add(const daemon::Add& q) {
  KnownGroup* g = a_.keyring.find(q.group);
  if (!g) throw UnknownGroupError("no group named " + q.group + " (see gryptd join)");
  PublicKey key;
  if (!q.who.empty() && q.who.find_first_not_of("0123456789") == std::string::npos) {
    // A pending request, by its number: signed by the key it names.
    auto listed = co_await pending_of(a_, g);
    if (!listed) co_return fail(daemon::Code::offline, "the server of " + q.group + " did not answer");
    if (const auto* no = std::get_if<proto::Refused>(&*listed))
      co_return fail(daemon::Code::not_admin, no->message);
    bool found = false;
    for (const proto::PendingEntry& e : std::get<proto::Pending>(*listed).requests)
      if (std::to_string(e.number) == q.who) {
        JoinRequest r = JoinRequest::decode(e.request);
        if (r.group != g->id()) throw UsageError("pending request " + q.who + " is for another group");
        if (r.kind == JoinRequest::Kind::leave)
          throw UsageError("pending request " + q.who + " asks to leave, not to join (remove the member instead)");
        key = r.key;
        found = true;
      }
    if (!found) co_return fail(daemon::Code::usage, "the group " + q.group + " has no pending request " + q.who);
  } else {
    key = PublicKey::parse(q.who);
  }
  Proposal p{Change::add, RosterEntry{q.name, key, q.admin ? Role::admin : Role::member}, q.history};
  co_return co_await propose(a_, g, p);
}

awaitable<daemon::Reply> ToolSession::add_many(const daemon::AddMany& q) {
  KnownGroup* g = a_.keyring.find(q.group);
  if (!g) throw UnknownGroupError("no group named " + q.group + " (see gryptd join)");
  std::vector<Proposal> run;
  for (const auto& [name, key] : q.members)
    run.push_back(Proposal{Change::add, RosterEntry{name, key, Role::member}, false});
  co_return co_await propose(a_, g, run);
}

awaitable<daemon::Reply> ToolSession::change(const daemon::Change& q) {
  KnownGroup* g = a_.keyring.find(q.group);
  if (!g) throw UnknownGroupError("no group named " + q.group + " (see gryptd join)");
  Proposal p{q.change, std::nullopt, false};
  if (q.change != Change::rotate) {
    const RosterEntry* m = member(g, q.member);
    if (!m) co_return fail(daemon::Code::usage, "the group " + q.group + " has no member " + q.member);
    RosterEntry e = *m;
    if (q.change == Change::promote) e.role = Role::admin;
    if (q.change == Change::demote) e.role = Role::member;
    p.subject = e;
  }
  co_return co_await propose(a_, g, p);
}

namespace {

MoveStatement parse_move(const std::string& text) {
  try {
    return MoveStatement::parse(text);
  } catch (const FormatError& e) {
    throw UsageError(e.what());  // the request is well formed; the statement is what is wrong
  }
}

}  // namespace

awaitable<daemon::Reply> ToolSession::move(const daemon::Move& q) {
  KnownGroup* g = a_.keyring.find(q.group);
  if (!g) throw UnknownGroupError("no group named " + q.group + " (see gryptd join)");
  MoveStatement s = parse_move(q.statement);
  const RosterEntry* old = g->chain.roster().find(s.from);
  if (!old) co_return fail(daemon::Code::usage, "the key that moves is not a member of " + q.group);
  Proposal p{Change::move, RosterEntry{old->name, s.to, old->role}, q.history};
  co_return co_await propose(a_, g, p);
}

awaitable<daemon::Reply> ToolSession::listing(const daemon::Listing& l) {
  KnownGroup* g = a_.keyring.find(l.group);
  if (!g) throw UnknownGroupError("no group named " + l.group + " (see gryptd join)");
  switch (l.what) {
    case daemon::Listing::What::invite:
      co_return daemon::InviteReply{g->entry.reference.to_string()};
    case daemon::Listing::What::roster: {
      daemon::RosterReply r;
      for (const Membership& m : g->chain.memberships())
        if (!m.until) r.members.push_back({m.name, m.key, role_name(m.role), m.since.value()});
      co_return r;
    }
    case daemon::Listing::What::log: {
      daemon::LogReply r;
      for (std::uint32_t e = 1; g->chain.state(Epoch(e)); ++e) {
        const GroupState& s = *g->chain.state(Epoch(e));
        daemon::LogOut o;
        o.epoch = e;
        o.time = s.time;
        o.change = change_name(s.change);
        o.subject = s.subject;
        o.subject_name = s.subject_name;
        o.role = s.role ? role_name(*s.role) : "";
        o.signer = s.signer;
        for (const Membership& m : g->chain.members_at(Epoch(e > 1 ? e - 1 : 1), s.signer.key_id()))
          if (m.key == s.signer) o.signer_name = m.name;
        r.entries.push_back(std::move(o));
      }
      co_return r;
    }
    case daemon::Listing::What::pending: {
      auto listed = co_await pending_of(a_, g);
      if (!listed) co_return fail(daemon::Code::offline, "the server of " + l.group + " did not answer");
      if (const auto* no = std::get_if<proto::Refused>(&*listed)) co_return fail(daemon::Code::not_admin, no->message);
      daemon::PendingReply r;
      // Only what its key signed, for this group, is shown: a join request
      // of a key that is not a member, a leave request of one that is.
      for (const proto::PendingEntry& e : std::get<proto::Pending>(*listed).requests) {
        try {
          JoinRequest req = JoinRequest::decode(e.request);
          if (req.group != g->id()) continue;
          const RosterEntry* member = g->chain.roster().find(req.key);
          const bool leave = req.kind == JoinRequest::Kind::leave;
          if (leave != (member != nullptr)) continue;
          r.requests.push_back({e.number, leave, member ? std::optional<std::string>(member->name) : std::nullopt,
                                req.key, req.note, req.time, e.first, e.last, e.count});
        } catch (const FormatError&) {
        }
      }
      co_return r;
    }
  }
  co_return daemon::Done{};
}

// An administrator keeps its groups from expiring: once a quarter of an
// epoch's lifetime is left (or it has expired), it rotates, as grypt-admin
// rotate would. A member sees an expired epoch when no administrator was
// online to do this, or when the server withholds the rotation.
awaitable<void> renew_epochs(Agent& a) {
  const std::int64_t lifetime = a.options.state_lifetime;
  asio::steady_timer timer(a.io);
  std::set<std::string> failed;  // logged once until it succeeds
  while (!a.stopping) {
    timer.expires_after(std::chrono::seconds(std::clamp<std::int64_t>(lifetime / 8, 1, 3600)));
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (a.stopping) break;
    if (a.locked()) continue;  // renewed once unlocked (gryptd.1, Locking)
    // By name: a group may be forgotten while a renewal waits.
    std::vector<std::string> names;
    for (KnownGroup* g : a.keyring.groups()) names.push_back(g->entry.name);
    for (const std::string& name : names) {
      KnownGroup* g = a.keyring.find(name);
      if (!g || g->chain.empty() || g->fork) continue;
      const Epoch epoch = g->chain.head().epoch;
      const std::int64_t expires = g->chain.head().expires;
      const RosterEntry* me = g->chain.roster().find(a.keyring.public_key());
      if (!me || me->role != Role::admin || expires == 0 || expires - a.now() > lifetime / 4) continue;
      Link* link = a.link(g);
      Standing s = a.standing(g);
      if (!link || !link->connected() || (s != Standing::connected && s != Standing::expired)) continue;
      // One attempt: a commit that lost the race was another admin's
      // renewal, and the next round sees its new expiry.
      daemon::Reply r = co_await propose(a, g, Proposal{Change::rotate, std::nullopt, false}, 1);
      std::string at = name + ": epoch " + epoch.to_string() + " expires at " + utc_time(expires);
      if (const auto* e = std::get_if<daemon::EpochReply>(&r)) {
        a.log(at + ": rotated to epoch " + std::to_string(e->epoch));
        failed.erase(name);
      } else if (failed.insert(name).second) {
        a.log(at + " and cannot be renewed: " + std::get<daemon::Failure>(r).message);
      }
    }
  }
}

}  // namespace grypt
