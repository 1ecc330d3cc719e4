// The relay: every group's chain as the server holds it, and the checks a
// commit must pass before the store takes it (grypt-protocol.7, COMMITS).
// The server makes no key and signs no state; it checks what admins sign
// (the chain, the signer's role, the change, one box per member) so that a
// broken or hostile client cannot make its members refuse the group, and
// relays it. Pure of the network and the store's thread: the sessions ask,
// the store writes, and only then is a commit applied here.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/group.h"
#include "core/roster.h"
#include "gryptserver/store.h"
#include "proto/server.h"

namespace grypt {

struct GroupLive {
  GroupRow row;
  std::vector<StateRow> states;     // epoch 1 first
  std::vector<GroupState> decoded;  // the same, decoded
  std::vector<StateHash> hashes;
  Roster roster;  // of the head
  Epoch head() const { return Epoch(static_cast<std::uint32_t>(states.size())); }
  const std::string& name() const { return row.name; }
};

// A group's row and states as read from the store, the row's head the
// newest state's epoch if another front end's commit landed between the
// reads (read_group).
struct StoredGroup {
  GroupRow row;
  std::vector<StateRow> states;
};
// On the store's thread.
StoredGroup read_group(Store& store, GroupRow row);

// A commit that passed the checks: what the store writes, and the state.
struct CheckedCommit {
  CommitRow row;
  std::vector<GroupState> run;  // decoded, oldest first
  GroupState state;             // the last
  // Members of the head's roster that are not in the last state's.
  std::vector<PublicKey> removed;
};

class Relay {
 public:
  // Checks every group from its genesis (gryptserver.8, the start-up
  // check); OpenError(auth) names what is wrong.
  Relay(std::vector<GroupRow> rows, Store& store);
  Relay() = default;

  GroupLive* find(const std::string& name);
  GroupLive* find(std::int64_t row);
  std::vector<GroupLive*> groups();

  // A commit checked against the group's head, or why not.
  // The roster is moved and moved back while it is checked.
  std::variant<CheckedCommit, proto::Refused> check(GroupLive& g, const proto::Commit& c) const;
  // A create checked: the genesis, signed by a key allowed to create groups.
  std::variant<CheckedCommit, proto::Refused> check_create(const proto::Commit& c,
                                                           const std::vector<PublicKey>& admins) const;
  // After the store committed it.
  void apply(GroupLive& g, const CheckedCommit& c);
  // A commit another front end wrote (Store::commits_after), checked as
  // its administrator sent it, and each stored box's key the one the
  // roster puts there (the store's keys are not checked as keys when read).
  std::variant<CheckedCommit, proto::Refused> check_stored(GroupLive& g, const CommitRow& row) const;
  // A group checked from its genesis, as at the start (or when another
  // front end created it); OpenError(auth) names what is wrong.
  GroupLive& load(StoredGroup stored);
  GroupLive& add(GroupRow row, const CheckedCommit& genesis);

 private:
  std::vector<std::unique_ptr<GroupLive>> groups_;
};

}  // namespace grypt
