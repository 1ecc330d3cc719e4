// The PHC string format for Argon2id, as written by the reference library
// and libsodium and read by pw-hash:
//
//   $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>[,keyid=<ID>]$<SALT>$<HASH>
//
// Numbers are decimal without leading zeros; SALT and HASH are unpadded
// standard base64 (the PHC "B64"); keyid names the pepper (RFC 9106's secret
// K) and is B64 of at most 8 bytes. The hash must be 32 to 64 bytes (RFC
// 9106 recommends 256 bits): a truncated string is then malformed, not a
// shorter tag that merely mismatches. man/pw-hash.1 documents it for users.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/argon2id.h"

namespace grypt {

struct PhcHash {
  Argon2Params params;
  std::optional<std::string> keyid;
  std::vector<std::uint8_t> salt;
  std::vector<std::uint8_t> hash;
};

inline constexpr std::size_t phc_min_salt = 8, phc_max_salt = 64;
inline constexpr std::size_t phc_min_hash = 32, phc_max_hash = 64;

// Throws FormatError ("malformed hash: ...") or FormatError for an
// unsupported algorithm or version, naming what was found.
PhcHash parse_phc(std::string_view text);
std::string format_phc(const PhcHash& h);

// A pepper id as the PHC format allows it: B64, decoding to 1..8 bytes.
bool valid_keyid(std::string_view id);

}  // namespace grypt
