#include "gryptd/commits.h"

#include <thread>

#include "core/crypto.h"

namespace grypt {
namespace {

// One box per member, in roster (key) order, on both cores for a large
// roster: each costs an X25519.
std::vector<EpochBox> boxes_for(const std::vector<RosterEntry>& members, const EphemeralKey& e,
                                const StateHash& state, std::span<const std::uint8_t> key) {
  std::vector<EpochBox> out(members.size());
  auto run = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) out[i] = e.box(members[i].key, state, key);
  };
  std::size_t half = members.size() / 2;
  if (members.size() < 256) {
    run(0, members.size());
    return out;
  }
  std::thread other(run, half, members.size());
  run(0, half);
  other.join();
  return out;
}

void apply_change(Roster& r, const Proposal& p) {
  switch (p.change) {
    case Change::add:
      r.add(*p.subject);
      break;
    case Change::remove:
      r.remove(p.subject->key);
      break;
    case Change::promote:
    case Change::demote:
      r.set_role(p.subject->key, p.subject->role);
      break;
    case Change::move:
      r.remove(r.find(p.subject->name)->key);
      r.add(*p.subject);
      break;
    case Change::create:
    case Change::rotate:
    case Change::grant:
      break;
  }
}

// The state after `head` that makes change `p`, `roster` already changed,
// committing to `key`.
GroupState next_state(const GroupChain& chain, const GroupState& head, const StateHash& head_hash,
                      const Roster& roster, std::span<const std::uint8_t> key, const Proposal& p, std::int64_t now,
                      std::int64_t lifetime) {
  GroupState s;
  s.group = chain.group();
  s.epoch = head.epoch.next();
  s.time = std::max(now, head.time);
  s.expires = lifetime > 0 ? s.time + lifetime : 0;
  s.previous = head_hash;
  s.roster = roster.digest();
  s.commitment = epoch_commitment(key, s.group, s.epoch);
  s.change = p.change;
  if (p.subject) {
    const RosterEntry* now_entry = roster.find(p.subject->key);
    s.subject = p.subject->key;
    s.subject_name = p.subject->name;
    s.role = now_entry ? now_entry->role : p.subject->role;
  }
  s.group_name = chain.name();
  return s;
}

// Which past epochs' keys go to the subject of `p` in history boxes: every
// one for an add with history or a grant; for a move, those the old key
// could open (grypt-protocol.7, MOVE STATEMENTS), or every one with
// history. Worked out once per commit: a chain may be 10,000 states long.
class HistoryGiven {
 public:
  HistoryGiven(const GroupChain& chain, const Proposal& p) : chain_(chain) {
    if (!p.subject) return;
    all_ = p.change == Change::grant || (p.history && (p.change == Change::add || p.change == Change::move));
    if (all_ || p.change != Change::move) return;
    if (const RosterEntry* e = chain.roster().find(p.subject->name)) old_ = e->key;
    if (!old_) return;
    // A grant to the old key gave it every epoch before the grant.
    for (std::uint32_t e = 1; e <= chain.head().epoch.value(); ++e)
      if (const GroupState* g = chain.state(Epoch(e)); g && g->change == Change::grant && g->subject == *old_)
        granted_before_ = e;
  }
  bool operator()(Epoch past) const {
    if (all_) return true;
    if (!old_) return false;
    if (past.value() < granted_before_) return true;
    for (const Membership& m : chain_.members_at(past, old_->key_id()))
      if (m.key == *old_) return true;
    return false;
  }

 private:
  const GroupChain& chain_;
  bool all_ = false;
  std::optional<PublicKey> old_;
  std::uint32_t granted_before_ = 0;
};

MadeCommit finish(GroupState s, const Identity& admin, const Roster& roster, SecretBytes key,
                  const GroupChain* chain, const Proposal& p, const EphemeralKey& e) {
  auto bytes = s.sign(admin);
  StateHash hash = s.hash();
  MadeCommit m;
  m.state = s;
  m.commit.group = s.epoch == Epoch(1) ? "" : s.group_name;
  m.commit.state.assign(bytes.begin(), bytes.end());
  m.commit.ephemeral = e.public_key();
  m.commit.boxes = boxes_for(roster.entries(), e, hash, key.span());
  if (chain) {
    const HistoryGiven given(*chain, p);
    for (std::uint32_t past = 1; past < s.epoch.value(); ++past)
      if (const SecretBytes* k = chain->key(Epoch(past)); k && given(Epoch(past)))
        m.commit.history.push_back({Epoch(past), e.box(p.subject->key, hash, k->span(), Epoch(past))});
  }
  return m;
}

}  // namespace

std::string proposal_defect(const GroupChain& chain, const Proposal& p) { return proposal_defect(chain.roster(), p); }

std::string proposal_defect(const Roster& r, const Proposal& p) {
  const RosterEntry* who = p.subject ? r.find(p.subject->key) : nullptr;
  switch (p.change) {
    case Change::add:
      return r.add_defect(*p.subject);
    case Change::remove:
      if (!who) return "not a member";
      if (who->role == Role::admin && r.admins() == 1) return "the last administrator cannot be removed";
      return "";
    case Change::promote:
      if (!who) return "not a member";
      return who->role == Role::admin ? who->name + " is an administrator already" : "";
    case Change::demote:
      if (!who) return "not a member";
      if (who->role != Role::admin) return who->name + " is not an administrator";
      return r.admins() == 1 ? "the last administrator cannot be demoted" : "";
    case Change::grant:
      return who ? "" : "not a member";
    case Change::move: {
      const RosterEntry* old = r.find(p.subject->name);
      if (!old) return "not a member";
      if (const RosterEntry* m = r.find(p.subject->key)) return "the new key is a member already, as " + m->name;
      if (old->key.same_signer(p.subject->key))
        return "the new key's signing half is the key of " + old->name;
      Roster without = r;
      without.remove(old->key);
      return without.add_defect(*p.subject);
    }
    case Change::create:
    case Change::rotate:
      return "";
  }
  return "";
}

std::string run_defect(const Roster& roster, std::span<const Proposal> changes) {
  if (changes.size() == 1) return proposal_defect(roster, changes[0]);
  Roster r = roster;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const Proposal& p = changes[i];
    if (std::string d = proposal_defect(r, p); !d.empty())
      return "change " + std::to_string(i + 1) + " of " + std::to_string(changes.size()) +
             (p.subject ? " (" + p.subject->name + ")" : "") + ": " + d;
    apply_change(r, p);
  }
  return "";
}

MadeCommit make_commit(const GroupChain& chain, const Identity& admin, const Proposal& p, std::int64_t now,
                       std::int64_t lifetime, EphemeralKey ephemeral) {
  return make_run(chain, admin, std::span(&p, 1), now, lifetime, std::move(ephemeral));
}

MadeCommit make_run(const GroupChain& chain, const Identity& admin, std::span<const Proposal> changes,
                    std::int64_t now, std::int64_t lifetime, EphemeralKey ephemeral) {
  if (changes.empty() || changes.size() > proto::max_run + 1) throw std::logic_error("a run of 1 to 1001 changes");
  Roster roster = chain.roster();
  GroupState head = chain.head();
  StateHash head_hash = chain.hash(head.epoch);
  std::vector<std::vector<std::uint8_t>> run;
  for (std::size_t i = 0; i + 1 < changes.size(); ++i) {
    // A key no one is given: the state must commit to one.
    SecretBytes thrown(key_bytes);
    random_bytes(thrown.span());
    apply_change(roster, changes[i]);
    GroupState s = next_state(chain, head, head_hash, roster, thrown.span(), changes[i], now, lifetime);
    auto bytes = s.sign(admin);
    run.emplace_back(bytes.begin(), bytes.end());
    head_hash = s.hash();
    head = std::move(s);
  }
  const Proposal& last = changes.back();
  apply_change(roster, last);
  SecretBytes key(key_bytes);
  random_bytes(key.span());
  GroupState s = next_state(chain, head, head_hash, roster, key.span(), last, now, lifetime);
  MadeCommit m = finish(std::move(s), admin, roster, std::move(key), &chain, last, ephemeral);
  m.commit.run = std::move(run);
  m.committer_stays = roster.find(admin.public_key()) != nullptr;
  return m;
}

MadeCommit make_genesis(const std::string& group, const std::string& admin_name, const Identity& admin,
                        std::int64_t now, std::int64_t lifetime) {
  Roster roster;
  roster.add({admin_name, admin.public_key(), Role::admin});
  SecretBytes key(key_bytes);
  random_bytes(key.span());
  GroupState s;
  s.epoch = Epoch(1);
  s.time = now;
  s.expires = lifetime > 0 ? now + lifetime : 0;
  s.roster = roster.digest();
  s.commitment = epoch_commitment(key.span(), GroupId{}, s.epoch);
  s.change = Change::create;
  s.subject = admin.public_key();
  s.subject_name = admin_name;
  s.role = Role::admin;
  s.group_name = group;
  return finish(std::move(s), admin, roster, std::move(key), nullptr, {}, EphemeralKey::generate());
}

}  // namespace grypt
