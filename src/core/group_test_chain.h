// Test helper: a group's chain of signed states made by a real server
// identity, each with a fresh epoch key boxed to alice.
#pragma once

#include <optional>
#include <vector>

#include "core/secret.h"
#include "core/group.h"
#include "core/keys.h"

namespace grypt {

struct TestChain {
  Identity server = (init_crypto(), Identity::generate());
  Identity alice = Identity::generate();
  GroupId group = derive_group_id(server.public_key().fingerprint(), "friends");
  std::vector<std::array<std::uint8_t, state_bytes>> states;
  std::vector<SecretBytes> keys;

  // Appends epoch states.size() + 1 with a fresh key; returns the box for alice.
  std::array<std::uint8_t, epoch_box_bytes> next() {
    SecretBytes key(32);
    random_bytes(key.span());
    GroupState s;
    s.group = group;
    s.epoch = Epoch(static_cast<std::uint32_t>(states.size() + 1));
    s.time = 1800000000 + static_cast<std::int64_t>(states.size());
    if (!states.empty()) s.previous = GroupState::decode(states.back()).hash();
    s.roster = roster_digest({{"alice", alice.public_key()}});
    s.commitment = epoch_commitment(key.span(), group, s.epoch);
    states.push_back(s.sign(server));
    auto box = box_epoch_key(box_shared_key(server, alice.public_key()), key.span());
    keys.push_back(std::move(key));
    return box;
  }
  // Another state for `epoch` (1 or more, at most states.size()), with its
  // own key but the same predecessor: what a forking server signs.
  std::pair<std::array<std::uint8_t, state_bytes>, std::array<std::uint8_t, epoch_box_bytes>> other(
      std::size_t epoch) {
    SecretBytes key(32);
    random_bytes(key.span());
    GroupState s = GroupState::decode(states[epoch - 1]);
    s.time += 1000;
    s.commitment = epoch_commitment(key.span(), group, s.epoch);
    return {s.sign(server), box_epoch_key(box_shared_key(server, alice.public_key()), key.span())};
  }
  std::optional<GroupState> held(std::size_t epoch) {
    if (epoch == 0) return std::nullopt;
    return GroupState::decode(states[epoch - 1]);
  }
};

}  // namespace grypt
