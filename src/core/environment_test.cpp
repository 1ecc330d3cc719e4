// What every unit test may take for granted, whichever a --gtest_filter
// picks: libsodium initialised (sodium_init) before the first test runs, as
// every tool's main does. Without it a test that makes a SecretBytes or an
// identity aborted when run alone, and passed only after another test had
// called init_crypto.
#include <gtest/gtest.h>

#include "core/secret.h"

namespace grypt {
namespace {

class CryptoEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { init_crypto(); }
};

[[maybe_unused]] ::testing::Environment* const crypto_environment =
    ::testing::AddGlobalTestEnvironment(new CryptoEnvironment);

}  // namespace
}  // namespace grypt
