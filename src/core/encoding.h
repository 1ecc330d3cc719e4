// Strict base64: only the canonical encoding of a byte string is accepted
// (no whitespace, no stray padding, no non-zero trailing bits), so one value
// has exactly one text form.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"

namespace grypt {

enum class Base64 {
  standard,           // RFC 4648 §4, with '=' padding
  standard_unpadded,  // the PHC string format's B64
  url,                // RFC 4648 §5, with padding
  url_unpadded,       // grypt armor and key strings
};

std::string base64_encode(std::span<const std::uint8_t> bytes, Base64 variant);
// The same into guarded memory, for secrets written to key files.
SecretBytes base64_encode_secret(std::span<const std::uint8_t> bytes, Base64 variant);

// Throws FormatError (naming `what`) on anything but a canonical encoding.
std::vector<std::uint8_t> base64_decode(std::string_view text, Base64 variant,
                                        std::string_view what = "base64");
SecretBytes base64_decode_secret(std::string_view text, Base64 variant,
                                 std::string_view what = "base64");
// False instead of throwing; `out` holds the bytes on success.
bool base64_try_decode(std::string_view text, Base64 variant,
                       std::vector<std::uint8_t>& out);

std::size_t base64_encoded_size(std::size_t bytes, Base64 variant);

// A hash as people compare it, by voice or side by side (man/grypt.5,
// Fingerprint and key id): its first 160 bits in Crockford's base32 (0-9
// and A-Z without I, L, O, U), eight groups of four characters joined by
// '-', e.g. "K7QX-9RWM-3FTA-PZ2H-D8NC-4M2Q-TT8B-1XWA". The form of key
// fingerprints and of chain heads alike; `hash` has at least 20 bytes.
std::string short_code(std::span<const std::uint8_t> hash);

}  // namespace grypt
