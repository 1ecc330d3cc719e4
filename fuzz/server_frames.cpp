// A byte stream from a peer, cut into pieces and fed to a FrameBuffer: the
// framing of grypt-protocol.7 and of the administration socket, and what
// only a stream has, an admin reply in several parts gathered across its
// frames (admin::decode_reply_part). The first input byte picks the cutting
// (0: one byte at a time, else pieces of pseudo-random sizes); the rest is
// the stream, fed that way and whole.
//
// Checks: whatever the cutting, the FrameBuffer yields the stream's frames
// in order, up to the first length of 0 or over max_frame, which is a
// ProtocolError (the frame just before it may go with it); without such a
// length it yields them all and holds the rest. A reply gathered from
// several frames is checked whole (server_checks.h, gather_reply). Each
// body's decoding as every message of both sides is server_message's job
// (the same checks, a body at a time): decoding every body of a stream of
// up to 64 KiB here too ran this target at 300 executions a second.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "fixtures.h"
#include "proto/frame.h"
#include "server_checks.h"

static const bool g_init = grypt::fuzz::init();

namespace {

using grypt::fuzz::Bytes;
using grypt::fuzz::Span;

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Span stream(data + 1, size - 1);
  Frames frames = split(stream);
  check_buffer(stream, data[0], false, frames);
  check_buffer(stream, 0, true, frames);
  grypt::admin::Reply reply;  // parts so far
  for (Span body : frames.bodies) grypt::fuzz::gather_reply(body, reply);
  return 0;
}
