// PublicKey::parse; a key that parses must print back exactly as given
// (the key string has one canonical form).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/keys.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    grypt::PublicKey k = grypt::PublicKey::parse(text);
    if (k.to_string() != text) __builtin_trap();
  } catch (const grypt::Error&) {
  }
  return 0;
}
