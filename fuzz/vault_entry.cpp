// The input as a vault entry (EntryOpener under the fixed vault key and
// name, read to the end) and as a vault.key file (vault_key_recipients,
// open_vault_key_file with the fixed identity).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/io.h"
#include "core/vault.h"
#include "fixtures.h"

static const bool g_init = grypt::fuzz::init();

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  try {
    grypt::MemoryInput in(input);
    grypt::LocalVaultKeys keys(grypt::fuzz::secret(grypt::fuzz::vault_key));
    grypt::EntryOpener opener(in, keys, grypt::fuzz::entry_name, 0);
    while (!opener.done()) (void)opener.next();
  } catch (const grypt::Error&) {
  }
  try {
    (void)grypt::vault_key_recipients(input);
  } catch (const grypt::Error&) {
  }
  try {
    grypt::SecretBytes key = grypt::open_vault_key_file(input, grypt::fuzz::identity());
    if (key.size() != grypt::key_bytes) __builtin_trap();
  } catch (const grypt::Error&) {
  }
  return 0;
}
