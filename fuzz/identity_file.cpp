// inspect_identity, then decode_identity with the fixed passphrase. The
// Argon2 parameters come from the input: files asking for more than 64 KiB
// or 2 passes are only inspected, to keep executions fast.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/error.h"
#include "core/identity_file.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> file(data, size);
  std::optional<grypt::IdentityInfo> info;
  try {
    info = grypt::inspect_identity(file, "fuzz-identity");
  } catch (const grypt::Error&) {
  }
  if (info && info->encrypted && (info->params.m_kib > 64 || info->params.t_cost > 2)) return 0;
  try {
    grypt::Identity id = grypt::decode_identity(file, "fuzz-identity", [] {
      return grypt::SecretBytes::copy_of(grypt::as_bytes(grypt::fuzz::passphrase));
    });
    if (!info || !(id.public_key() == info->public_key)) __builtin_trap();
  } catch (const grypt::Error&) {
  }
  return 0;
}
