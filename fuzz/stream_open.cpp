// A STREAM payload under the fixed key, read to the end. The first input
// byte selects the trailer size (odd: 72, even: 0); the rest is the payload.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/io.h"
#include "core/stream.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t trailer = grypt::fuzz::stream_trailer(data[0]);
  grypt::MemoryInput in({data + 1, size - 1});
  try {
    grypt::StreamOpener opener(grypt::fuzz::stream_key, in, trailer);
    std::uint64_t total = 0;
    while (!opener.done()) total += opener.next().size();
    if (opener.trailer().size() != trailer) __builtin_trap();
    // The payload size must be the one STREAM gives for this message size.
    if (grypt::stream_size(total, trailer) != size - 1) __builtin_trap();
  } catch (const grypt::Error&) {
  }
  return 0;
}
