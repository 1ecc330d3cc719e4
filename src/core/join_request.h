// A join request (man/grypt-protocol.7, JOIN REQUESTS): what a key that is
// not a member sends for the administrators, signed by that key, so that
// they see proof that the key's holder asked, for this group, then. A
// leave request (LEAVE REQUESTS) is the same from a member that leaves,
// under its own magic and label.
//
//   0   8   "GRYPTJR" 0x02 (a leave request: "GRYPTLR" 0x02)
//   8   32  group id
//   40  8   time, Unix seconds
//   48  64  the requester's public key
//   112 1   note length n (0 to 200)
//   113 n   note
//   ... 64  Ed25519 signature by the key over "grypt join request v2"
//           ("grypt leave request v2") || the bytes before it
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/group.h"
#include "core/keys.h"

namespace grypt {

inline constexpr std::size_t max_join_request_bytes = 113 + max_note_bytes + 64;

struct JoinRequest {
  enum class Kind { join, leave };
  GroupId group{};
  std::int64_t time = 0;
  PublicKey key;
  std::string note;
  Kind kind = Kind::join;

  std::vector<std::uint8_t> sign(const Identity& id) const;
  // FormatError naming the defect: size, magic, note, key, signature.
  // Either kind.
  static JoinRequest decode(std::span<const std::uint8_t> bytes);
};

}  // namespace grypt
