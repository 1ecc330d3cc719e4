// What a member holds of its groups (man/grypt.5, DAEMON CACHE): the groups
// file, and each group's chain of states from its genesis, with the epoch
// keys boxed to this member. Rosters are not stored: every state names its
// change, so the roster of any epoch follows from the chain. gryptd keeps
// them; grypt-seal and grypt-open with an identity file read them without
// the daemon.
//
// Chain file: "GRYPTCH" 0x02, confirmed time (8), then records, each a type
// byte and its body:
//   0x01 state:   state (480) || ephemeral (32) || k (1, 0 or 48) || box (k)
//   0x02 history: the granting epoch (4) || epoch (4) || box (48)
// Fork file: "GRYPTFK" 0x02, then two different states of one epoch, each
//   valid on the chain before it: the one held first, the other.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/epoch_box.h"
#include "core/group.h"
#include "core/message.h"
#include "core/reference.h"
#include "core/roster.h"

namespace grypt {

struct GroupEntry {
  std::string name;
  GroupReference reference;
  std::string note;  // for the administrators while not a member
};

// "NAME REFERENCE [NOTE]" lines; FormatError naming `path` and the line.
std::vector<GroupEntry> parse_groups_file(std::string_view text, const std::string& path);
std::string format_groups_file(const std::vector<GroupEntry>& groups);
// The groups file at `path` (the user's own, at most 1 MiB), parsed; none
// when it does not exist.
std::vector<GroupEntry> load_groups_file(const std::string& path);
// Writes it atomically (0600), making its directory if missing.
void save_groups_file(const std::string& path, const std::vector<GroupEntry>& groups);

// A state as the server sends it to one member: the state, the commit's
// ephemeral key, and this member's box, if it has one.
struct StateRecord {
  std::vector<std::uint8_t> state;
  EphemeralPublic ephemeral{};
  std::vector<std::uint8_t> box;  // empty or 48 bytes
};

// Where a state the server sent falls in the chain a member holds
// (grypt-protocol.7, CHECKING STATES).
struct Placed {
  enum class How {
    appended,   // the next epoch
    key_added,  // a state held already, now with its epoch key
    held,       // a state held already, nothing new
  };
  StateFault fault = StateFault::none;
  How how = How::held;
  GroupState state;
  std::string why;  // for bad_change: what did not apply
  // With StateFault::forked: the other state held for that epoch.
  std::optional<GroupState> conflict;
};

// Who was a member when: each key's spans of epochs, for checking the
// sender of a post of any epoch.
struct Membership {
  PublicKey key;
  std::string name;
  Role role = Role::member;
  Epoch since;                 // the first epoch of the span
  std::optional<Epoch> until;  // the epoch that removed it
};

// One group's chain as a member holds it: every state from the genesis,
// the roster they make, and the epoch keys boxed to this member, opened.
class GroupChain {
 public:
  GroupChain() = default;
  // `group`: the genesis hash the reference names; `name` its group name.
  GroupChain(GroupId group, std::string name) : group_(group), name_(std::move(name)) {}

  // Checks a state (and its box) against the chain held and keeps what it
  // adds; nothing changes unless the fault is none. With no member (a
  // locked keyring) a box is kept as it is, unopened, for unlock.
  Placed take(const StateRecord& r, const Identity* member);
  Placed take(const StateRecord& r, const Identity& member) { return take(r, &member); }
  // A past epoch's key granted with the commit of epoch `grant`; false if
  // the box does not open or its key does not match. With no member, kept
  // unopened when both epochs are held.
  bool take_history(Epoch grant, Epoch epoch, std::span<const std::uint8_t> box, const Identity* member);
  bool take_history(Epoch grant, Epoch epoch, std::span<const std::uint8_t> box, const Identity& member) {
    return take_history(grant, epoch, box, &member);
  }

  // Forgets every epoch key opened (gryptd lock); the boxes stay.
  void lock() { keys_.clear(); }
  // Opens every box again with `member`, each checked against its state's
  // commitment as when it came: nullopt, or what failed (then no key is
  // held).
  std::optional<std::string> unlock(const Identity& member);

  // The chain file; decode checks every state and box again (OpenError:
  // auth, truncated, header); with no member, every state but no box.
  std::vector<std::uint8_t> encode() const;
  static GroupChain decode(std::span<const std::uint8_t> file, const GroupId& group,
                           const std::string& name, const Identity* member, const std::string& path);
  static GroupChain decode(std::span<const std::uint8_t> file, const GroupId& group, const std::string& name,
                           const Identity& member, const std::string& path) {
    return decode(file, group, name, &member, path);
  }

  bool empty() const { return records_.empty(); }
  const GroupState& head() const { return states_.back(); }
  const GroupState* state(Epoch e) const;
  const StateHash& hash(Epoch e) const { return hashes_.at(e.value() - 1); }
  const Roster& roster() const { return roster_; }
  // The newest epoch whose key this member holds.
  std::optional<Epoch> newest_key() const;
  const SecretBytes* key(Epoch e) const;
  // The epochs held without their key, as inclusive ranges, oldest first.
  std::vector<std::pair<Epoch, Epoch>> lacking() const;
  // The members of epoch e with key id `id` (normally one).
  std::vector<Membership> members_at(Epoch e, const KeyId& id) const;
  // Why `s`, a state of an epoch held after the genesis, would not prove a
  // fork: none when it is of this group, follows the state held before it
  // and is signed by an administrator of that epoch (grypt-protocol.7,
  // FORKS); its content is not checked further.
  StateFault fork_defect(const GroupState& s) const;
  // Every span of membership, for listings.
  const std::vector<Membership>& memberships() const { return spans_; }
  const GroupId& group() const { return group_; }
  const std::string& name() const { return name_; }
  std::int64_t confirmed = 0;

 private:
  void record_change(const GroupState& s);
  // The group id an epoch's commitment names: zero in the genesis.
  GroupId group_of(Epoch e) const { return e == Epoch(1) ? GroupId{} : group_; }
  GroupId group_{};
  std::string name_;
  std::deque<GroupState> states_;  // epoch 1 to the newest
  std::deque<StateHash> hashes_;
  std::deque<StateRecord> records_;
  struct History {
    Epoch grant, epoch;
    std::vector<std::uint8_t> box;
  };
  std::vector<History> history_;
  std::map<std::uint32_t, SecretBytes> keys_;
  Roster roster_;
  std::vector<Membership> spans_;
  std::multimap<KeyId, std::size_t> spans_by_id_;
};

// Proof that the group's history forked: two different states of one epoch.
struct Fork {
  GroupState held, other;
};
std::vector<std::uint8_t> encode_fork(const Fork& f);
// OpenError(auth) unless both states are of one epoch of `chain`'s group,
// differ, and each is valid after the state before it in `chain`.
Fork decode_fork(std::span<const std::uint8_t> file, const GroupChain& chain, const std::string& path);

}  // namespace grypt
