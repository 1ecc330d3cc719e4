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

Roster after(const GroupChain& chain, const Proposal& p) {
  Roster r = chain.roster();
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
    case Change::create:
    case Change::rotate:
    case Change::grant:
      break;
  }
  return r;
}

MadeCommit finish(GroupState s, const Identity& admin, const Roster& roster, SecretBytes key,
                  const GroupChain* chain, const Proposal& p) {
  auto bytes = s.sign(admin);
  StateHash hash = s.hash();
  EphemeralKey e = EphemeralKey::generate();
  MadeCommit m;
  m.state = s;
  m.commit.group = s.epoch == Epoch(1) ? "" : s.group_name;
  m.commit.state.assign(bytes.begin(), bytes.end());
  m.commit.ephemeral = e.public_key();
  m.commit.boxes = boxes_for(roster.entries(), e, hash, key.span());
  if (chain && p.subject && (p.change == Change::grant || (p.change == Change::add && p.history)))
    for (std::uint32_t past = 1; past < s.epoch.value(); ++past)
      if (const SecretBytes* k = chain->key(Epoch(past)))
        m.commit.history.push_back({Epoch(past), e.box(p.subject->key, hash, k->span(), Epoch(past))});
  return m;
}

}  // namespace

std::string proposal_defect(const GroupChain& chain, const Proposal& p) {
  const Roster& r = chain.roster();
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
    case Change::create:
    case Change::rotate:
      return "";
  }
  return "";
}

MadeCommit make_commit(const GroupChain& chain, const Identity& admin, const Proposal& p, std::int64_t now,
                       std::int64_t lifetime) {
  const GroupState& head = chain.head();
  Roster roster = after(chain, p);
  SecretBytes key(key_bytes);
  random_bytes(key.span());
  GroupState s;
  s.group = chain.group();
  s.epoch = head.epoch.next();
  s.time = std::max(now, head.time);
  s.expires = lifetime > 0 ? s.time + lifetime : 0;
  s.previous = chain.hash(head.epoch);
  s.roster = roster.digest();
  s.commitment = epoch_commitment(key.span(), s.group, s.epoch);
  s.change = p.change;
  if (p.subject) {
    const RosterEntry* now_entry = roster.find(p.subject->key);
    s.subject = p.subject->key;
    s.subject_name = p.subject->name;
    s.role = now_entry ? now_entry->role : p.subject->role;
  }
  s.group_name = chain.name();
  return finish(std::move(s), admin, roster, std::move(key), &chain, p);
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
  return finish(std::move(s), admin, roster, std::move(key), nullptr, {});
}

}  // namespace grypt
