// A group's roster (man/grypt-protocol.7, ROSTER): who is a member of an
// epoch, by whole public key, with a name and a role, and the digest a
// signed state commits to.
//
//   entry        = key (64) || role (1) || name length (1) || name
//   bucket b     = the entries whose key's first byte is b, sorted by key
//   bucket hash  = BLAKE2b-256("grypt roster bucket v2" || its entries)
//   roster digest = BLAKE2b-256("grypt roster v2" || bucket hash 0 || ... || bucket hash 255)
//
// The buckets make a change cost one bucket's hashing, not the whole
// roster's: a member replaying a chain of ten thousand additions does not
// hash ten thousand rosters.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/keys.h"

namespace grypt {

using StateHash = std::array<std::uint8_t, 32>;

enum class Role : std::uint8_t { member = 1, admin = 2 };
const char* role_name(Role r);  // "member", "admin"

struct RosterEntry {
  std::string name;
  PublicKey key;
  Role role = Role::member;
};

class Roster {
 public:
  // Why `e` cannot join (a key or name taken, a key sharing a member's
  // Ed25519 half), or empty.
  std::string add_defect(const RosterEntry& e) const;
  void add(const RosterEntry& e);  // assumes add_defect(e) is empty
  // By value: `key` may be the entry's own, which this erases.
  void remove(PublicKey key);
  void set_role(const PublicKey& key, Role role);

  const RosterEntry* find(const PublicKey& key) const;
  const RosterEntry* find(const std::string& name) const;
  std::size_t admins() const { return admins_; }
  std::size_t size() const { return entries_.size(); }
  // In key order.
  std::vector<RosterEntry> entries() const;
  StateHash digest() const;

 private:
  void touch(const PublicKey& key);
  std::map<PublicKey, RosterEntry> entries_;
  std::map<std::array<std::uint8_t, 32>, PublicKey> by_signing_half_;
  std::map<std::string, PublicKey> by_name_;
  std::size_t admins_ = 0;
  mutable std::array<std::optional<StateHash>, 256> buckets_;
};

}  // namespace grypt
