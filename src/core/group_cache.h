// What a member holds of its groups (man/grypt.5, DAEMON CACHE): the groups
// file, each group's chain of states with its boxed epoch keys, and the
// rosters fetched for checking signatures. gryptd keeps them; grypt-seal
// and grypt-open with an identity file read them without the daemon.
//
// Chain file: "GRYPTCH" 0x01, confirmed time (8), then records of
//   state (252) || k (1, 0 or 72) || box (k)
// Roster file: "GRYPTRS" 0x01, epoch (4), n (4), then n entries of
//   public key (64) || name length (1) || name
#pragma once

#include <cstdint>
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
};

// "NAME REFERENCE" lines; FormatError naming `path` and the line.
std::vector<GroupEntry> parse_groups_file(std::string_view text, const std::string& path);
std::string format_groups_file(const std::vector<GroupEntry>& groups);

// One group's chain as a member holds it: every accepted state, and the
// epoch keys it was entitled to, opened.
class GroupChain {
 public:
  GroupChain() = default;
  GroupChain(GroupId group, Fingerprint pinned) : group_(group), pinned_(pinned) {}

  // Checks a state (and its box) as the next one (grypt-protocol.7,
  // CHECKING STATES) and keeps it when it is accepted. The signer must be
  // the key whose fingerprint was pinned.
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
  // The newest epoch whose key this member holds.
  std::optional<Epoch> newest_key() const;
  const SecretBytes* key(Epoch e) const;
  const GroupState* state(Epoch e) const;
  const GroupId& group() const { return group_; }
  std::int64_t confirmed = 0;

 private:
  GroupId group_{};
  Fingerprint pinned_{};
  std::vector<GroupState> states_;  // consecutive epochs
  std::vector<std::vector<std::uint8_t>> boxes_;
  std::map<std::uint32_t, SecretBytes> keys_;
};

std::vector<std::uint8_t> encode_roster(Epoch epoch, const std::vector<RosterEntry>& members);
// OpenError(auth) unless the roster's digest is `digest` and its epoch `epoch`.
std::vector<RosterEntry> decode_roster(std::span<const std::uint8_t> file, Epoch epoch,
                                       const StateHash& digest, const std::string& path);

}  // namespace grypt
