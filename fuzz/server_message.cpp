// One frame body of the group server protocol or the administration socket,
// given whole: decoded as each side of the group server protocol reads one
// (proto::decode_from_member, decode_from_server) and as the administration
// socket's request and reply part, with the checks of server_checks.h (a
// message that decodes survives the way back; a commit cut by
// proto::split_commit joins back to itself; a reply cut small by
// encode_parts joins back). server_frames runs the same checks on bodies cut
// from a stream by the FrameBuffer; this target spends its executions on the
// decoders (commits, states, boxes, histories), about a hundred times as
// many a second.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fixtures.h"
#include "server_checks.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  grypt::admin::Reply reply;
  grypt::fuzz::check_body(std::span(data, size), reply);
  return 0;
}
