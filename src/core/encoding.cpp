#include "core/encoding.h"

#include <sodium.h>

#include "core/error.h"

namespace grypt {
namespace {

int sodium_variant(Base64 v) {
  switch (v) {
    case Base64::standard: return sodium_base64_VARIANT_ORIGINAL;
    case Base64::standard_unpadded: return sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    case Base64::url: return sodium_base64_VARIANT_URLSAFE;
    case Base64::url_unpadded: return sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  }
  return sodium_base64_VARIANT_ORIGINAL;
}

bool in_alphabet(char c, Base64 v) {
  bool url = v == Base64::url || v == Base64::url_unpadded;
  bool padded = v == Base64::standard || v == Base64::url;
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (url ? c == '-' || c == '_' : c == '+' || c == '/') || (padded && c == '=');
}

// libsodium's decoder rejects missing or extra padding and non-zero bits
// after the last byte when no "ignore" set is given and the whole input must
// be consumed. Its alphabet check is not enough on its own: libsodium
// 1.0.18 reads characters as signed char and takes bytes 0x80-0xff for '/'
// or '_' (found by fuzz/public_key), so the alphabet is checked here first.
bool decode_into(std::string_view text, Base64 variant, std::uint8_t* out,
                 std::size_t out_max, std::size_t& out_len) {
  out_len = 0;
  if (text.empty()) return true;
  for (char c : text)
    if (!in_alphabet(c, variant)) return false;
  return sodium_base642bin(out, out_max, text.data(), text.size(), nullptr,
                           &out_len, nullptr, sodium_variant(variant)) == 0;
}

std::size_t decoded_max(std::size_t text_size) { return text_size / 4 * 3 + 3; }

}  // namespace

std::size_t base64_encoded_size(std::size_t bytes, Base64 variant) {
  return sodium_base64_ENCODED_LEN(bytes, sodium_variant(variant)) - 1;
}

std::string base64_encode(std::span<const std::uint8_t> bytes, Base64 variant) {
  std::string out(base64_encoded_size(bytes.size(), variant) + 1, '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_variant(variant));
  out.pop_back();
  return out;
}

SecretBytes base64_encode_secret(std::span<const std::uint8_t> bytes, Base64 variant) {
  SecretBytes out(base64_encoded_size(bytes.size(), variant) + 1);
  sodium_bin2base64(reinterpret_cast<char*>(out.data()), out.size(), bytes.data(),
                    bytes.size(), sodium_variant(variant));
  out.truncate(out.size() - 1);
  return out;
}

bool base64_try_decode(std::string_view text, Base64 variant,
                       std::vector<std::uint8_t>& out) {
  out.resize(decoded_max(text.size()));
  std::size_t n = 0;
  if (!decode_into(text, variant, out.data(), out.size(), n)) {
    out.clear();
    return false;
  }
  out.resize(n);
  return true;
}

std::vector<std::uint8_t> base64_decode(std::string_view text, Base64 variant,
                                        std::string_view what) {
  std::vector<std::uint8_t> out;
  if (!base64_try_decode(text, variant, out))
    throw FormatError("invalid " + std::string(what) + ": not canonical base64");
  return out;
}

SecretBytes base64_decode_secret(std::string_view text, Base64 variant,
                                 std::string_view what) {
  SecretBytes out(decoded_max(text.size()));
  std::size_t n = 0;
  if (!decode_into(text, variant, out.data(), out.size(), n))
    throw FormatError("invalid " + std::string(what) + ": not canonical base64");
  out.truncate(n);
  return out;
}

std::string short_code(std::span<const std::uint8_t> hash) {
  static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < 20; ++i) {
    acc = acc << 8 | hash[i];
    for (bits += 8; bits >= 5; bits -= 5) {
      if (!out.empty() && out.size() % 5 == 4) out += '-';
      out += alphabet[(acc >> (bits - 5)) & 31];
    }
  }
  return out;
}

}  // namespace grypt
