#include "core/secret.h"

#include <gtest/gtest.h>

#include <cstring>

namespace grypt {
namespace {

TEST(SecretBytes, ZeroFilledAndMovable) {
  init_crypto();
  SecretBytes a(32);
  for (auto b : a.span()) EXPECT_EQ(b, 0);
  a.data()[0] = 7;
  SecretBytes b = std::move(a);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.data(), nullptr);
  ASSERT_EQ(b.size(), 32u);
  EXPECT_EQ(b.data()[0], 7);
}

TEST(SecretBytes, TruncateWipesTheTail) {
  SecretBytes s = SecretBytes::copy_of(as_bytes("secret"));
  s.truncate(2);
  EXPECT_EQ(s.view(), "se");
  EXPECT_EQ(s.capacity(), 6u);
  EXPECT_EQ(std::memcmp(s.data() + 2, "\0\0\0\0", 4), 0);
}

TEST(SecretBytes, EmptyIsValid) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  SecretBytes t = SecretBytes::copy_of({});
  EXPECT_TRUE(t.empty());
}

TEST(CtEqual, ComparesContentsAndSizes) {
  EXPECT_TRUE(ct_equal(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(ct_equal(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(ct_equal(as_bytes("abc"), as_bytes("ab")));
  EXPECT_TRUE(ct_equal(as_bytes(""), as_bytes("")));
}

TEST(RandomBytes, FillsTheBuffer) {
  init_crypto();
  std::uint8_t a[32] = {}, b[32] = {};
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(std::memcmp(a, b, sizeof a), 0);
}

}  // namespace
}  // namespace grypt
