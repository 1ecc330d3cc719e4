// Test helper: a group's chain of signed states, made as an administrator's
// daemon would (group protocol version 2): the admin creates "friends",
// then each next() commits a change with a fresh epoch key boxed to every
// member; record(e) is what alice receives for epoch e (her box when she is
// a member of it).
#pragma once

#include <optional>
#include <vector>

#include "core/epoch_box.h"
#include "core/group.h"
#include "core/group_cache.h"
#include "core/keys.h"
#include "core/secret.h"

namespace grypt {

struct TestChain {
  Identity admin = (init_crypto(), Identity::generate());
  Identity alice = Identity::generate();
  std::string name = "friends";
  std::int64_t expires = 0;  // of the states made from now on (0: never)
  GroupId group{};
  Roster roster;
  std::vector<GroupState> states;
  std::vector<std::array<std::uint8_t, state_bytes>> bytes;
  std::vector<SecretBytes> keys;
  std::vector<StateRecord> alice_records;
  std::vector<EphemeralKey> ephemerals;

  TestChain() {
    roster.add({"admin", admin.public_key(), Role::admin});
    GroupState s;
    s.epoch = Epoch(1);
    s.time = 1800000000;
    s.change = Change::create;
    s.subject = admin.public_key();
    s.subject_name = "admin";
    s.role = Role::admin;
    s.group_name = name;
    commit(std::move(s));
    group = group_id_of(states[0]);
  }

  // Commits the next epoch: the change (with its subject, role after it)
  // applied to the roster, signed by `signer` (the admin by default).
  StateRecord next(Change c = Change::rotate, std::optional<RosterEntry> subject = std::nullopt,
                   const Identity* signer = nullptr) {
    GroupState s;
    s.group = group;
    s.epoch = Epoch(static_cast<std::uint32_t>(states.size() + 1));
    s.time = 1800000000 + static_cast<std::int64_t>(states.size());
    s.previous = states.back().hash();
    s.change = c;
    s.group_name = name;
    if (subject) {
      s.subject = subject->key;
      s.subject_name = subject->name;
      s.role = subject->role;
      if (c == Change::add) roster.add(*subject);
      if (c == Change::remove) roster.remove(subject->key);
      if (c == Change::promote || c == Change::demote) roster.set_role(subject->key, subject->role);
      if (c == Change::move) {
        roster.remove(roster.find(subject->name)->key);
        roster.add(*subject);
      }
    }
    return commit(std::move(s), signer);
  }
  StateRecord add_alice(Role role = Role::member) {
    return next(Change::add, RosterEntry{"alice", alice.public_key(), role});
  }

  StateRecord commit(GroupState s, const Identity* signer = nullptr) {
    if (s.expires == 0) s.expires = expires;
    SecretBytes key(32);
    random_bytes(key.span());
    s.roster = roster.digest();
    s.commitment = epoch_commitment(key.span(), s.epoch == Epoch(1) ? GroupId{} : group, s.epoch);
    auto b = s.sign(signer ? *signer : admin);
    states.push_back(s);
    bytes.push_back(b);
    EphemeralKey e = EphemeralKey::generate();
    StateRecord r{{b.begin(), b.end()}, e.public_key(), {}};
    if (roster.find(alice.public_key())) {
      auto box = e.box(alice.public_key(), s.hash(), key.span());
      r.box.assign(box.begin(), box.end());
    }
    keys.push_back(std::move(key));
    alice_records.push_back(r);
    ephemerals.push_back(std::move(e));
    return r;
  }
  // The key of `epoch` boxed to alice with the commit of `grant`.
  EpochBox history_for_alice(std::size_t grant, std::size_t epoch) const {
    return ephemerals.at(grant - 1).box(alice.public_key(), states.at(grant - 1).hash(), keys.at(epoch - 1).span(),
                                        Epoch(static_cast<std::uint32_t>(epoch)));
  }
  const StateRecord& record(std::size_t epoch) const { return alice_records.at(epoch - 1); }
};

}  // namespace grypt
