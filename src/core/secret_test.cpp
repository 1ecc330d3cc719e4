#include "core/secret.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

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

TEST(SecretBytes, EverySizeStartsZeroFilled) {
  // Pool slots and guarded allocations alike, new or reused.
  init_crypto();
  for (int round = 0; round < 2; ++round) {
    std::vector<SecretBytes> held;
    for (std::size_t n : {1, 31, 64, 65, 200, 256, 257, 1000, 1024, 1025, 5000, 70000}) {
      for (int i = 0; i < 70; ++i) {
        SecretBytes s(n);
        ASSERT_TRUE(std::all_of(s.data(), s.data() + n, [](std::uint8_t b) { return b == 0; }))
            << n << " round " << round;
        std::memset(s.data(), 0xee, n);  // dirty it before it goes back
        if (i % 3 == 0) held.push_back(std::move(s));
      }
    }
  }
}

TEST(SecretBytes, TruncateWipesTheTail) {
  SecretBytes s = SecretBytes::copy_of(as_bytes("secret"));
  s.truncate(2);
  EXPECT_EQ(s.view(), "se");
  EXPECT_GE(s.capacity(), 6u);
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

TEST(RandomText, ItsLengthFromTheAlphabetOnly) {
  std::string_view alphabet = "abc123!";
  SecretBytes s = random_text(4096, alphabet);
  ASSERT_EQ(s.size(), 4096u);
  for (char c : s.view()) EXPECT_NE(alphabet.find(c), std::string_view::npos) << c;
  EXPECT_TRUE(random_text(0, alphabet).empty());
  EXPECT_EQ(random_text(5, "x").view(), "xxxxx");
}

TEST(RandomText, EveryCharacterAsOftenAsAnother) {
  // 30,000 draws from 3: 10,000 each, give or take 82 (one standard
  // deviation); the bounds are six of them.
  SecretBytes s = random_text(30000, "abc");
  for (char c : {'a', 'b', 'c'}) {
    auto n = std::count(s.view().begin(), s.view().end(), c);
    EXPECT_GT(n, 9500) << c;
    EXPECT_LT(n, 10500) << c;
  }
}

}  // namespace
}  // namespace grypt
