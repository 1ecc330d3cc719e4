#include "core/phc.h"

#include <charconv>

#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

[[noreturn]] void malformed(const std::string& why) {
  throw FormatError("malformed hash: " + why);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::uint32_t parse_u32(std::string_view field, std::string_view name) {
  std::uint32_t v = 0;
  bool leading_zero = field.size() > 1 && field[0] == '0';
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (field.empty() || leading_zero || ec != std::errc() || end != field.data() + field.size())
    malformed("bad value for " + std::string(name) + ": '" + std::string(field) + "'");
  return v;
}

// "name=value" with the expected name.
std::string_view param(std::string_view field, std::string_view name) {
  if (field.size() <= name.size() || field.substr(0, name.size()) != name ||
      field[name.size()] != '=')
    malformed("expected " + std::string(name) + "=... but found '" + std::string(field) + "'");
  return field.substr(name.size() + 1);
}

std::vector<std::uint8_t> b64_field(std::string_view field, const char* what,
                                    std::size_t min, std::size_t max) {
  std::vector<std::uint8_t> bytes;
  if (!base64_try_decode(field, Base64::standard_unpadded, bytes))
    malformed(std::string(what) + " is not canonical unpadded base64");
  if (bytes.size() < min || bytes.size() > max)
    malformed(std::string(what) + " is " + std::to_string(bytes.size()) +
              " bytes; expected " + std::to_string(min) + " to " + std::to_string(max));
  return bytes;
}

}  // namespace

bool valid_keyid(std::string_view id) {
  std::vector<std::uint8_t> bytes;
  return !id.empty() && base64_try_decode(id, Base64::standard_unpadded, bytes) &&
         !bytes.empty() && bytes.size() <= 8;
}

PhcHash parse_phc(std::string_view text) {
  // "$argon2id$v=19$params$salt$hash" splits into 6 fields, the first empty.
  if (text.empty() || text[0] != '$') malformed("it does not start with '$'");
  auto f = split(text, '$');
  std::string_view alg = f.size() > 1 ? f[1] : "";
  if (alg != "argon2id") {
    if (alg.empty()) malformed("no algorithm");
    throw FormatError("unsupported algorithm '" + std::string(alg) +
                      "': only argon2id is supported");
  }
  if (f.size() < 6) malformed("too few fields (truncated?)");
  if (f.size() > 6) malformed("too many fields");
  std::string_view version = param(f[2], "v");
  if (parse_u32(version, "v") != 19)
    throw FormatError("unsupported argon2 version " + std::string(version) +
                      ": only v=19 is supported");

  PhcHash h;
  auto params = split(f[3], ',');
  if (params.size() < 3 || params.size() > 4)
    malformed("expected m=...,t=...,p=...[,keyid=...]");
  h.params.m_kib = parse_u32(param(params[0], "m"), "m");
  h.params.t_cost = parse_u32(param(params[1], "t"), "t");
  h.params.lanes = parse_u32(param(params[2], "p"), "p");
  if (params.size() == 4) {
    std::string_view id = param(params[3], "keyid");
    if (!valid_keyid(id)) malformed("keyid is not base64 of 1 to 8 bytes");
    h.keyid = std::string(id);
  }
  std::string defect = argon2_params_defect(h.params);
  if (!defect.empty()) throw FormatError("refusing the hash: " + defect);
  h.salt = b64_field(f[4], "salt", phc_min_salt, phc_max_salt);
  h.hash = b64_field(f[5], "hash", phc_min_hash, phc_max_hash);
  return h;
}

std::string format_phc(const PhcHash& h) {
  std::string s = "$argon2id$v=19$m=" + std::to_string(h.params.m_kib) +
                  ",t=" + std::to_string(h.params.t_cost) +
                  ",p=" + std::to_string(h.params.lanes);
  if (h.keyid) s += ",keyid=" + *h.keyid;
  s += "$" + base64_encode(h.salt, Base64::standard_unpadded);
  s += "$" + base64_encode(h.hash, Base64::standard_unpadded);
  return s;
}

}  // namespace grypt
