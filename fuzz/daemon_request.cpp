// daemon::decode_request: a frame body a tool sends gryptd. A request that
// decodes must survive the way back: its encoding (what a tool would have
// sent for it) decodes again, to a request that encodes the same. Only
// grypt::Error (ProtocolError) may escape the decoder.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "fixtures.h"
#include "proto/daemon.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  grypt::daemon::Request r;
  try {
    r = grypt::daemon::decode_request({data, size});
  } catch (const grypt::Error&) {
    return 0;
  }
  std::vector<std::uint8_t> body = grypt::daemon::encode(r);
  grypt::daemon::Request back;
  try {
    back = grypt::daemon::decode_request(body);
  } catch (const grypt::Error&) {
    __builtin_trap();  // the encoder wrote what the decoder refuses
  }
  if (back.index() != r.index() || grypt::daemon::encode(back) != body) __builtin_trap();
  return 0;
}
