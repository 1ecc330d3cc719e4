// What a member holds of its groups (man/grypt.5, DAEMON CACHE): the groups
// file, each group's chain of states with its boxed epoch keys, and the
// rosters fetched for checking signatures. gryptd keeps them; grypt-seal
// and grypt-open with an identity file read them without the daemon.
//
// Chain file: "GRYPTCH" 0x01, confirmed time (8), then records of
//   state (252) || k (1, 0 or 72) || box (k)
// Fork file: "GRYPTFK" 0x01, then two different states of one epoch, each
//   signed by the pinned key (252 each): the one held first, the other
// Roster file: "GRYPTRS" 0x01, epoch (4), n (4), then n entries of
//   public key (64) || name length (1) || name
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/group.h"
#include "core/message.h"

namespace grypt {

struct GroupEntry {
  std::string name;
  GroupReference reference;
  std::string note;  // for the administrators while not a member
};

// "NAME REFERENCE [NOTE]" lines; FormatError naming `path` and the line.
std::vector<GroupEntry> parse_groups_file(std::string_view text, const std::string& path);
std::string format_groups_file(const std::vector<GroupEntry>& groups);

// Where a state the server sent falls in the chain a member holds
// (grypt-protocol.7, CHECKING STATES).
struct Placed {
  enum class How {
    appended,   // the next epoch after the newest held
    prepended,  // the epoch before the oldest held, linked to it by hash
    key_added,  // a state held already, now with its epoch key
    held,       // a state held already, nothing new
  };
  ChainCheck::Result result = ChainCheck::Result::accepted;
  How how = How::held;
  GroupState state;
  // With ChainCheck::Result::forked: the other state held for that epoch.
  std::optional<GroupState> conflict;
};

// One group's chain as a member holds it: consecutive accepted states, and
// the epoch keys it was entitled to, opened.
class GroupChain {
 public:
  GroupChain() = default;
  GroupChain(GroupId group, Fingerprint pinned) : group_(group), pinned_(pinned) {}

  // Checks a state (and its box) against the chain held (grypt-protocol.7,
  // CHECKING STATES) and keeps what it adds: the next epoch, the epoch
  // before the oldest held, or a key for a state held without one. The
  // signer must be the key whose fingerprint was pinned. Nothing changes
  // unless the result is accepted.
  Placed take(std::span<const std::uint8_t> state, std::span<const std::uint8_t> box,
              const Identity& member);
  // take() for a state that must come next (the cache file, in order).
  ChainCheck::Result append(std::span<const std::uint8_t> state, std::span<const std::uint8_t> box,
                            const Identity& member);

  // The chain file; decode checks every state and box again (OpenError:
  // auth, truncated, header).
  std::vector<std::uint8_t> encode() const;
  static GroupChain decode(std::span<const std::uint8_t> file, const GroupId& group,
                           const Fingerprint& pinned, const Identity& member,
                           const std::string& path);

  bool empty() const { return states_.empty(); }
  const GroupState& head() const { return states_.back(); }
  const GroupState& oldest() const { return states_.front(); }
  // The epochs held without their key, as inclusive ranges, oldest first.
  std::vector<std::pair<Epoch, Epoch>> lacking() const;
  // The newest epoch whose key this member holds.
  std::optional<Epoch> newest_key() const;
  const SecretBytes* key(Epoch e) const;
  const GroupState* state(Epoch e) const;
  const GroupId& group() const { return group_; }
  std::int64_t confirmed = 0;

 private:
  GroupId group_{};
  Fingerprint pinned_{};
  std::deque<GroupState> states_;  // consecutive epochs
  std::deque<std::vector<std::uint8_t>> boxes_;
  std::map<std::uint32_t, SecretBytes> keys_;
};

// Proof that the pinned key signed two histories: two different states of
// one epoch of one group.
struct Fork {
  GroupState held, other;
};
std::vector<std::uint8_t> encode_fork(const Fork& f);
// OpenError(auth) unless both states verify, are of `group`, signed by the
// key `pinned` names, of one epoch, and differ.
Fork decode_fork(std::span<const std::uint8_t> file, const GroupId& group, const Fingerprint& pinned,
                 const std::string& path);

std::vector<std::uint8_t> encode_roster(Epoch epoch, const std::vector<RosterEntry>& members);
// OpenError(auth) unless the roster's digest is `digest` and its epoch `epoch`.
std::vector<RosterEntry> decode_roster(std::span<const std::uint8_t> file, Epoch epoch,
                                       const StateHash& digest, const std::string& path);

}  // namespace grypt
