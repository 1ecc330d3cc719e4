// The byte counts a progress line shows.
#include "core/progress.h"

#include <gtest/gtest.h>

namespace grypt {
namespace {

TEST(ByteCountText, AsAPersonReadsIt) {
  EXPECT_EQ(byte_count_text(0), "0 B");
  EXPECT_EQ(byte_count_text(1023), "1023 B");
  EXPECT_EQ(byte_count_text(1024), "1 KiB");
  EXPECT_EQ(byte_count_text((1 << 20) - 1), "1023 KiB");
  EXPECT_EQ(byte_count_text(1 << 20), "1.0 MiB");
  EXPECT_EQ(byte_count_text(47815065), "45.6 MiB");
  EXPECT_EQ(byte_count_text((std::uint64_t(1) << 30) - 1), "1.0 GiB");  // not "1024.0 MiB"
  EXPECT_EQ(byte_count_text(std::uint64_t(3) << 29), "1.5 GiB");
  EXPECT_EQ(byte_count_text(~std::uint64_t(0)), "17179869184.0 GiB");
}

}  // namespace
}  // namespace grypt
