// Armor (man/grypt.5, ARMOR):
//   one line: "grypt:" || base64url(message), ending at the first character
//             outside [A-Za-z0-9_-];
//   block:    "-----BEGIN GRYPT MESSAGE-----", standard padded base64 in
//             lines of 64 characters (the last 1..64), "-----END GRYPT
//             MESSAGE-----"; lines end in LF or CRLF;
//   binary:   the raw message, told from text by its first byte: 0x10 to
//             0x1f (version 1, any flags), which text never starts with.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace grypt {

inline constexpr std::string_view armor_prefix = "grypt:";
inline constexpr std::string_view armor_begin = "-----BEGIN GRYPT MESSAGE-----";
inline constexpr std::string_view armor_end = "-----END GRYPT MESSAGE-----";

std::string armor_line(std::span<const std::uint8_t> message);
std::string armor_block(std::span<const std::uint8_t> message);

// A binary message starts with a version-1 header byte (0x10 to 0x1f, so
// that reserved flags are reported as such), which text never does.
bool looks_binary(std::span<const std::uint8_t> data);

struct ArmorToken {
  std::size_t offset = 0;  // where the token starts in the text
  std::size_t length = 0;
  std::vector<std::uint8_t> message;  // decoded, when error is empty
  std::string error;                  // why the token does not decode
};

// Every one-line token and block in `text`, in order of appearance.
std::vector<ArmorToken> scan_armor(std::string_view text);

}  // namespace grypt
