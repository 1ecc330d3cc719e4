#include "core/move_statement.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

constexpr std::uint8_t magic[8] = {'G', 'R', 'Y', 'P', 'T', 'M', 'V', 0x02};
constexpr std::string_view label = "grypt move statement v2";
constexpr std::string_view prefix = "grypt-move:";
constexpr std::size_t body_bytes = 144;

std::vector<std::uint8_t> signed_part(std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> m;
  append(m, label);
  append(m, body);
  return m;
}

[[noreturn]] void refuse(const std::string& why) { throw FormatError("not a move statement: " + why); }

PublicKey key_at(std::span<const std::uint8_t> b, std::size_t at, const char* which) {
  try {
    return PublicKey::from_bytes(b.subspan(at, public_key_bytes));
  } catch (const Error&) {
    refuse(std::string("the ") + which + " key is invalid");
  }
}

}  // namespace

std::string MoveStatement::make(const Identity& old_id, const Identity& new_id, std::int64_t time) {
  if (time < 0) throw std::invalid_argument("a move statement's time before 1970");
  if (old_id.public_key().same_signer(new_id.public_key()))
    throw UsageError("the old and the new identity are the same key");
  std::vector<std::uint8_t> b;
  append(b, magic);
  std::uint8_t t[8];
  put_be64(t, static_cast<std::uint64_t>(time));
  append(b, t);
  append(b, old_id.public_key().bytes());
  append(b, new_id.public_key().bytes());
  std::vector<std::uint8_t> m = signed_part(b);
  append(b, old_id.sign(m));
  append(b, new_id.sign(m));
  return std::string(prefix) + base64_encode(b, Base64::url_unpadded);
}

MoveStatement MoveStatement::parse(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n";
  text.remove_prefix(std::min(text.size(), text.find_first_not_of(blanks)));
  text = text.substr(0, text.find_last_not_of(blanks) + 1);
  if (text.substr(0, prefix.size()) != prefix) refuse("no grypt-move: prefix");
  std::vector<std::uint8_t> b;
  if (!base64_try_decode(text.substr(prefix.size()), Base64::url_unpadded, b) || b.size() != move_statement_bytes)
    refuse("not base64url of 272 bytes");
  std::span<const std::uint8_t> s(b);
  if (std::memcmp(s.data(), magic, 8) != 0) refuse("not a move statement of this version");
  MoveStatement m;
  m.time = static_cast<std::int64_t>(get_be64(&s[8]));
  if (m.time < 0) refuse("time out of range");
  m.from = key_at(s, 16, "old");
  m.to = key_at(s, 80, "new");
  if (m.from.same_signer(m.to)) refuse("the old and the new key are the same");
  std::vector<std::uint8_t> signed_bytes = signed_part(s.first(body_bytes));
  if (!m.from.verify(signed_bytes, s.subspan(144).first<64>())) refuse("the old key's signature does not verify");
  if (!m.to.verify(signed_bytes, s.subspan(208).first<64>())) refuse("the new key's signature does not verify");
  return m;
}

}  // namespace grypt
