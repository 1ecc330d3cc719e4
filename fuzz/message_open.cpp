// A binary message opened to the end under the fixed epoch key (any group,
// any epoch), its signature checked against the fixed member. Only
// grypt::Error may escape the core; anything else is a finding.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/io.h"
#include "core/message.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  grypt::MemoryInput in({data, size});
  grypt::fuzz::FixedMessageKeys keys;
  grypt::fuzz::FixedMembers members;
  try {
    grypt::MessageOpener opener(in, keys);
    while (!opener.done()) (void)opener.next();
    (void)opener.finish(members);
  } catch (const grypt::Error&) {
  }
  return 0;
}
