// Reading JSON objects field by field for the typed decoders of src/proto:
// every missing member, wrong type or bad value is a ProtocolError naming
// the field. Private to src/proto.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/error.h"
#include "core/group.h"
#include "core/keys.h"
#include "core/text.h"
#include "proto/frame.h"

namespace grypt::json_fields {

using Json = nlohmann::json;

[[noreturn]] inline void bad(const std::string& why) { throw ProtocolError("protocol", why); }

// No message nests deeper than a few levels; a frame that does is refused
// before it is parsed, so that nothing recurses over a megabyte of '['.
inline constexpr int max_depth = 32;

inline Json parse_object(std::span<const std::uint8_t> body) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::uint8_t c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) bad("a frame nested too deeply");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  Json j = Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) bad("a frame that is not JSON");
  if (!j.is_object()) bad("a frame that is not a JSON object");
  return j;
}

inline const Json& field(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) bad(std::string("missing \"") + name + "\"");
  return *it;
}

inline bool has(const Json& j, const char* name) { return j.contains(name) && !j[name].is_null(); }

inline std::string text(const Json& j, const char* name, std::size_t max = 4096) {
  const Json& v = field(j, name);
  if (!v.is_string()) bad(std::string("\"") + name + "\" is not a string");
  std::string s = v.get<std::string>();
  if (s.size() > max) bad(std::string("\"") + name + "\" is too long");
  return s;
}

inline std::uint64_t number(const Json& j, const char* name, std::uint64_t max) {
  const Json& v = field(j, name);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    bad(std::string("\"") + name + "\" is not a non-negative integer");
  std::uint64_t n = v.get<std::uint64_t>();
  if (n > max) bad(std::string("\"") + name + "\" is out of range");
  return n;
}

inline bool boolean(const Json& j, const char* name) {
  const Json& v = field(j, name);
  if (!v.is_boolean()) bad(std::string("\"") + name + "\" is not true or false");
  return v.get<bool>();
}

inline std::vector<std::uint8_t> bytes(const Json& j, const char* name, std::size_t max = 4096) {
  std::string s = text(j, name, max * 2);
  std::vector<std::uint8_t> out;
  if (!base64_try_decode(s, Base64::url_unpadded, out)) bad(std::string("\"") + name + "\" is not base64url");
  if (out.size() > max) bad(std::string("\"") + name + "\" is too long");
  return out;
}

// A field of exactly N bytes.
template <std::size_t N>
std::array<std::uint8_t, N> fixed(const Json& j, const char* name) {
  auto b = bytes(j, name, N);
  if (b.size() != N) bad(std::string("\"") + name + "\" is not " + std::to_string(N) + " bytes");
  std::array<std::uint8_t, N> out;
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

inline PublicKey key(const Json& j, const char* name) {
  try {
    return PublicKey::parse(text(j, name, 200));
  } catch (const FormatError& e) {
    bad(std::string("\"") + name + "\": " + e.what());
  }
}

inline std::string name(const Json& j, const char* field_name) {
  std::string n = text(j, field_name, max_name_chars);
  if (std::string d = group_name_defect(n); !d.empty())
    bad(std::string("\"") + field_name + "\": " + d);
  return n;
}

inline Epoch epoch(const Json& j, const char* name) {
  return Epoch(static_cast<std::uint32_t>(number(j, name, UINT32_MAX)));
}

inline std::string b64(std::span<const std::uint8_t> b) {
  return base64_encode(b, Base64::url_unpadded);
}

inline std::vector<std::uint8_t> body(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  return {s.begin(), s.end()};
}

}  // namespace grypt::json_fields
