// parse_phc; a hash that parses must format back exactly as given (numbers
// without leading zeros, canonical B64: one text form per value).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/phc.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    grypt::PhcHash h = grypt::parse_phc(text);
    if (grypt::format_phc(h) != text) __builtin_trap();
  } catch (const grypt::Error&) {
  }
  return 0;
}
