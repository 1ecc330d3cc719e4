// daemon::decode_reply: a frame body gryptd sends a tool, decoded as the
// reply to one of the fixed requests (fixtures.h, daemon_requests: the
// first input byte picks it; the rest is the body). A reply that decodes
// must survive the way back, like daemon_request's, and cut into parts of
// 256 bytes (daemon::encode_parts) join back to itself. The body is also
// read as the first part of an answer (daemon::decode_reply_part). Only
// grypt::Error (ProtocolError) may escape the decoders.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "core/error.h"
#include "fixtures.h"
#include "proto/daemon.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const grypt::daemon::Request& request = grypt::fuzz::daemon_request(data[0]);
  try {
    std::optional<grypt::daemon::Reply> first;
    grypt::daemon::decode_reply_part({data + 1, size - 1}, request, first);
  } catch (const grypt::Error&) {
  }
  std::optional<grypt::daemon::Reply> r;
  try {
    r = grypt::daemon::decode_reply({data + 1, size - 1}, request);
  } catch (const grypt::Error&) {
    return 0;
  }
  // The reply's type is the request's, or a failure; a seal with a digest
  // is answered with its signature.
  if (r->index() != grypt::fuzz::reply_index(request) && !std::holds_alternative<grypt::daemon::Failure>(*r))
    __builtin_trap();
  if (const auto* seal = std::get_if<grypt::daemon::Seal>(&request))
    if (const auto* s = std::get_if<grypt::daemon::SealReply>(&*r); s && s->signature.has_value() != seal->digest.has_value())
      __builtin_trap();
  std::vector<std::uint8_t> body = grypt::daemon::encode(*r);
  std::optional<grypt::daemon::Reply> back;
  try {
    back = grypt::daemon::decode_reply(body, request);
  } catch (const grypt::Error&) {
    __builtin_trap();  // the encoder wrote what the decoder refuses
  }
  if (back->index() != r->index() || grypt::daemon::encode(*back) != body) __builtin_trap();
  try {
    std::optional<grypt::daemon::Reply> joined;
    std::vector<std::vector<std::uint8_t>> parts = grypt::daemon::encode_parts(*r, 256);
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (grypt::daemon::decode_reply_part(parts[i], request, joined) != (i + 1 < parts.size()))
        __builtin_trap();  // "more" on every part but the last
    if (!joined || grypt::daemon::encode(*joined) != body) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();
  }
  return 0;
}
