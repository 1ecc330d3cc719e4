#include "core/join_request.h"

#include <cstring>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace grypt {
namespace {

constexpr std::uint8_t join_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'J', 'R', 0x02};
constexpr std::uint8_t leave_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'L', 'R', 0x02};

std::vector<std::uint8_t> labelled(JoinRequest::Kind kind, std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> m;
  append(m, kind == JoinRequest::Kind::join ? std::string_view("grypt join request v2")
                                            : std::string_view("grypt leave request v2"));
  append(m, body);
  return m;
}

}  // namespace

std::vector<std::uint8_t> JoinRequest::sign(const Identity& id) const {
  if (!note.empty())
    if (std::string d = join_note_defect(note); !d.empty()) throw FormatError("invalid note: " + d);
  std::vector<std::uint8_t> b;
  append(b, kind == Kind::join ? join_magic : leave_magic);
  append(b, group);
  std::uint8_t t[8];
  put_be64(t, static_cast<std::uint64_t>(time));
  append(b, t);
  append(b, id.public_key().bytes());
  b.push_back(static_cast<std::uint8_t>(note.size()));
  append(b, note);
  Signature s = id.sign(labelled(kind, b));
  append(b, s);
  return b;
}

JoinRequest JoinRequest::decode(std::span<const std::uint8_t> b) {
  if (b.size() < 113 + 64 || b.size() > max_join_request_bytes)
    throw FormatError("a join request of " + std::to_string(b.size()) + " bytes");
  JoinRequest r;
  if (std::memcmp(b.data(), leave_magic, 8) == 0) r.kind = Kind::leave;
  else if (std::memcmp(b.data(), join_magic, 8) != 0) throw FormatError("not a grypt join request");
  std::memcpy(r.group.data(), &b[8], 32);
  r.time = static_cast<std::int64_t>(get_be64(&b[40]));
  if (r.time < 0) throw FormatError("a join request whose time is out of range");
  r.key = PublicKey::from_bytes(b.subspan(48, 64));
  std::size_t n = b[112];
  if (b.size() != 113 + n + 64) throw FormatError("a join request whose note length does not add up");
  r.note.assign(reinterpret_cast<const char*>(&b[113]), n);
  if (n > 0)
    if (std::string d = join_note_defect(r.note); !d.empty()) throw FormatError("a join request's note: " + d);
  Signature sig;
  std::memcpy(sig.data(), &b[113 + n], 64);
  if (!r.key.verify(labelled(r.kind, b.first(113 + n)), sig))
    throw FormatError("a join request whose signature does not verify");
  return r;
}

}  // namespace grypt
