// Groups (man/grypt-protocol.7, GROUP STATE): names, the signed state of
// each epoch, the group id its first state (the genesis) gives the group,
// and the checks a state must pass before a member or the server takes it.
// Bytes in, bytes out; the daemon and the server do the talking.
//
// Group state, 480 bytes:
//   off size field
//   0   8    "GRYPTST" 0x02
//   8   32   group id (zero in the genesis)
//   40  4    epoch (the genesis is 1)
//   44  8    time, Unix seconds
//   52  8    expires, Unix seconds (0: never)
//   60  32   hash of the previous state (zero in the genesis)
//   92  32   roster digest (core/roster.h)
//   124 32   epoch key commitment
//   156 1    change: 1 create, 2 add, 3 remove, 4 rotate, 5 promote, 6 demote, 7 grant
//   157 1    the subject's role after the change (0 for rotate)
//   158 64   the subject's key (zero for rotate)
//   222 1    the subject's name length, then 64 bytes of name, zero padded
//   287 1    the group name's length, then 64 bytes of name, zero padded
//   352 64   signer's key
//   416 64   Ed25519 signature over "grypt state signature v2" || bytes 0 to 415
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/keys.h"
#include "core/roster.h"

namespace grypt {

// The group id: the hash of the group's genesis (32 bytes). Messages carry
// its first 8 bytes.
using GroupId = std::array<std::uint8_t, 32>;
using ShortGroupId = std::array<std::uint8_t, 8>;
ShortGroupId short_id(const GroupId& id);

// A generation of a group's key. Epochs only move forward: each change
// makes the next one.
class Epoch {
 public:
  constexpr Epoch() = default;
  constexpr explicit Epoch(std::uint32_t value) : value_(value) {}
  constexpr std::uint32_t value() const { return value_; }
  constexpr Epoch next() const { return Epoch(value_ + 1); }
  constexpr auto operator<=>(const Epoch&) const = default;
  std::string to_string() const { return std::to_string(value_); }

 private:
  std::uint32_t value_ = 0;
};

inline constexpr std::size_t state_bytes = 480;
inline constexpr std::size_t max_name_chars = 64;

// Group and member names: 1 to 64 of [A-Za-z0-9._-], starting with a
// letter or digit. Empty when valid, else what is wrong.
std::string group_name_defect(std::string_view name);

// A join note: what a member who is not one yet says to the
// administrators. 1 to 200 bytes of text by the clean-name rule of
// core/text.h (no control or bidirectional formatting characters), without
// blanks around it. Empty when valid, else what is wrong.
inline constexpr std::size_t max_note_bytes = 200;
std::string join_note_defect(std::string_view note);

enum class Change : std::uint8_t { create = 1, add, remove, rotate, promote, demote, grant, move };
const char* change_name(Change c);  // "create", "add", ...

struct GroupState {
  GroupId group{};
  Epoch epoch;
  std::int64_t time = 0;
  std::int64_t expires = 0;  // 0: never
  StateHash previous{};
  StateHash roster{};
  StateHash commitment{};
  Change change = Change::rotate;
  std::optional<Role> role;         // none for rotate
  std::optional<PublicKey> subject; // none for rotate
  std::string subject_name;
  std::string group_name;
  PublicKey signer;
  Signature signature{};

  // Fills signer and signature.
  std::array<std::uint8_t, state_bytes> sign(const Identity& signer_id);
  std::array<std::uint8_t, state_bytes> encode() const;
  // Structure only (FormatError naming the defect): the magic, epoch 1 or
  // more, a known change with the fields it needs and no others, valid
  // names, zero padding, valid keys. verify() checks the signature.
  static GroupState decode(std::span<const std::uint8_t> bytes);
  bool verify() const;
  StateHash hash() const;
};

// The id of the group whose genesis this is.
GroupId group_id_of(const GroupState& genesis);

// HKDF(epoch key, "", "grypt epoch key commitment v2" || group id || epoch);
// the genesis commits with the zero id, since its id is its own hash.
StateHash epoch_commitment(std::span<const std::uint8_t> epoch_key, const GroupId& group, Epoch epoch);

// Why a state is refused (grypt-protocol.7, CHECKING STATES), in the order
// the checks are made.
enum class StateFault {
  none,
  malformed,      // not a state: size, magic, fields
  bad_signature,  // the signature does not verify
  not_genesis,    // epoch 1 that is not a create by its own subject
  other_group,    // not this group (the genesis's hash, or a later state's id)
  not_next,       // not the epoch after the newest held
  bad_previous,   // does not link to the newest held
  not_admin,      // not signed by an admin of the previous roster
  bad_change,     // the change does not apply to the previous roster
  last_admin,     // the change leaves no admin
  roster_mismatch,  // the roster digest is not the roster the change makes
  renamed,        // the group name differs from the genesis's
  forked,         // another state for an epoch held
  key_mismatch,   // the box does not open, or its key does not match
};
const char* state_fault_text(StateFault f);

// The genesis of group `id` (or of any group, when id is all zero): the
// roster it makes is returned in `roster`.
StateFault check_genesis(const GroupState& s, const GroupId& id, Roster& roster);
// `next` after `prev`, whose roster is `roster`: on success `roster`
// becomes the next epoch's and `undo`, if given, takes that back; `why`
// may say what did not apply.
StateFault check_next(const GroupState& prev, const GroupState& next, const std::string& group_name,
                      Roster& roster, std::string* why = nullptr, std::function<void()>* undo = nullptr);

}  // namespace grypt
