// A byte stream from a peer, cut into pieces and fed to a FrameBuffer; every
// frame body in it decoded as each side of the group server protocol reads
// one (proto::decode_from_member, decode_from_server) and as the
// administration socket's request and reply parts (admin::decode_request,
// decode_reply_part). The first input byte picks the cutting (0: one byte at
// a time, else pieces of pseudo-random sizes); the rest is the stream, fed
// that way and whole.
//
// Checks: whatever the cutting, the FrameBuffer yields the stream's frames
// in order, up to the first length of 0 or over max_frame, which is a
// ProtocolError (the frame just before it may go with it); without such a
// length it yields them all and holds the rest. A message that decodes
// survives the way back: its encoding decodes to one that encodes the same;
// a whole admin reply also when encode_parts cuts it small; a commit cut
// by proto::split_commit joins back to itself. Only grypt::Error
// (ProtocolError) may escape the decoders.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "fixtures.h"
#include "proto/admin.h"
#include "proto/frame.h"
#include "proto/server.h"

static const bool g_init = grypt::fuzz::init();

namespace {

using Bytes = std::vector<std::uint8_t>;
using Span = std::span<const std::uint8_t>;

// The frames of a stream as grypt-protocol.7 defines them.
struct Frames {
  std::vector<Span> bodies;  // before the first bad length
  bool bad_length = false;
  std::size_t rest = 0;  // bytes of an unfinished frame at the end
};

Frames split(Span s) {
  Frames f;
  std::size_t at = 0;
  while (s.size() - at >= 4) {
    std::size_t n = grypt::get_be32(&s[at]);
    if (n == 0 || n > grypt::max_frame) {
      f.bad_length = true;
      return f;
    }
    if (s.size() - at - 4 < n) break;
    f.bodies.push_back(s.subspan(at + 4, n));
    at += 4 + n;
  }
  f.rest = s.size() - at;
  return f;
}

// cutting: as the first input byte; whole: the stream in one piece.
void check_buffer(Span stream, std::uint8_t cutting, bool whole, const Frames& want) {
  grypt::FrameBuffer fb;
  std::vector<Bytes> got;
  bool refused = false;
  std::uint32_t x = 0x9e3779b9u ^ cutting;  // xorshift32
  try {
    for (std::size_t at = 0; at < stream.size();) {
      std::size_t n = whole ? stream.size() : 1;
      if (!whole && cutting != 0) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        n = 1 + x % (std::size_t{2} << (cutting % 12));
      }
      n = std::min(n, stream.size() - at);
      fb.feed(stream.subspan(at, n));
      at += n;
      while (auto body = fb.next()) got.push_back(std::move(*body));
    }
  } catch (const grypt::ProtocolError&) {
    refused = true;
  }
  if (got.size() > want.bodies.size()) __builtin_trap();
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!std::equal(got[i].begin(), got[i].end(), want.bodies[i].begin(), want.bodies[i].end()))
      __builtin_trap();
  if (refused != want.bad_length) __builtin_trap();
  if (want.bad_length ? got.size() + 1 < want.bodies.size()
                      : got.size() != want.bodies.size() || fb.pending() != want.rest)
    __builtin_trap();
}

// decode, encode, decode again: the same encoding.
template <class Decode>
void round_trip(Span body, Decode decode) {
  Bytes e;
  try {
    e = grypt::proto::encode(decode(body));
  } catch (const grypt::Error&) {
    return;
  }
  try {
    if (grypt::proto::encode(decode(e)) != e) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();  // the encoder wrote what the decoder refuses
  }
}

// A commit cut into parts (proto::split_commit) as an admin's daemon sends
// it: each part of at most boxes_per_part boxes, with the commit's state,
// ephemeral key and group, the history in the first, "more" on every part
// but the last; joined as the server joins them, the commit.
void check_split(const grypt::proto::Commit& c) {
  namespace p = grypt::proto;
  std::vector<p::Commit> parts = p::split_commit(c);
  if (parts.empty()) __builtin_trap();
  p::Commit joined = parts[0];
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const p::Commit& part = parts[i];
    if (part.group != c.group || part.state != c.state || part.ephemeral != c.ephemeral ||
        part.boxes.size() > p::boxes_per_part || part.more != (i + 1 < parts.size()) ||
        (i > 0 && !part.history.empty()))
      __builtin_trap();
    if (i > 0) joined.boxes.insert(joined.boxes.end(), part.boxes.begin(), part.boxes.end());
  }
  joined.more = c.more;
  if (p::encode(p::FromMember{joined}) != p::encode(p::FromMember{c})) __builtin_trap();
}

void check_admin_request(Span body) {
  Bytes e;
  try {
    e = grypt::admin::encode(grypt::admin::decode_request(body));
  } catch (const grypt::Error&) {
    return;
  }
  try {
    if (grypt::admin::encode(grypt::admin::decode_request(e)) != e) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();
  }
}

// A whole reply, from one part or several.
void check_admin_reply(const grypt::admin::Reply& r) {
  Bytes whole = grypt::admin::encode(r);
  try {
    if (grypt::admin::encode(grypt::admin::decode_reply(whole)) != whole) __builtin_trap();
    grypt::admin::Reply joined;
    std::vector<Bytes> parts = grypt::admin::encode_parts(r, 256);
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (grypt::admin::decode_reply_part(parts[i], joined) != (i + 1 < parts.size()))
        __builtin_trap();  // "more" on every part but the last
    if (grypt::admin::encode(joined) != whole) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Span stream(data + 1, size - 1);
  Frames frames = split(stream);
  check_buffer(stream, data[0], false, frames);
  check_buffer(stream, 0, true, frames);
  grypt::admin::Reply reply;  // parts so far
  for (Span body : frames.bodies) {
    round_trip(body, [](Span b) { return grypt::proto::decode_from_member(b); });
    try {
      grypt::proto::FromMember m = grypt::proto::decode_from_member(body);
      if (const auto* c = std::get_if<grypt::proto::Commit>(&m)) check_split(*c);
    } catch (const grypt::Error&) {
    }
    round_trip(body, [](Span b) { return grypt::proto::decode_from_server(b); });
    check_admin_request(body);
    try {
      if (grypt::admin::decode_reply_part(body, reply)) continue;
      check_admin_reply(reply);
    } catch (const grypt::Error&) {
    }
    reply = {};
  }
  return 0;
}
