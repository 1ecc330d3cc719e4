// A move statement (man/grypt-protocol.7, MOVE STATEMENTS): a member's old
// key consents to its replacement by a new key, and the new key proves it
// is held; an administrator's daemon commits a move on it.
//
//   0   8   "GRYPTMV" 0x02
//   8   8   time, Unix seconds
//   16  64  the old public key
//   80  64  the new public key
//   144 64  Ed25519 signature by the old key  } each over
//   208 64  Ed25519 signature by the new key  } "grypt move statement v2" || bytes 0 to 143
//
// Text: "grypt-move:" and the 272 bytes in base64url without padding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/keys.h"

namespace grypt {

inline constexpr std::size_t move_statement_bytes = 272;

struct MoveStatement {
  std::int64_t time = 0;
  PublicKey from;
  PublicKey to;

  // The text, signed by both identities (`old_id` holds `from`, `new_id`
  // holds `to`).
  static std::string make(const Identity& old_id, const Identity& new_id, std::int64_t time);
  // The checks of grypt-protocol.7, in its order; FormatError
  // "not a move statement: WHY".
  static MoveStatement parse(std::string_view text);
};

}  // namespace grypt
