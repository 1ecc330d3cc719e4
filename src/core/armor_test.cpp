#include "core/armor.h"

#include <gtest/gtest.h>

namespace grypt {
namespace {

TEST(Armor, ScannerFindsEveryTokenAndBlock) {
  std::vector<std::uint8_t> a = {0x10, 1, 2, 3}, b = {0x11, 9, 9};
  std::string text = "intro grypt: not a token\n" + armor_line(a) + ", then\n" + armor_block(b) +
                     "and grypt:%%% and grypt:Z and " + armor_line(b) + ".";
  auto found = scan_armor(text);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].message, a);
  EXPECT_EQ(found[1].message, b);
  EXPECT_EQ(found[2].error, "not valid base64url");  // "grypt:Z"
  EXPECT_EQ(found[3].message, b);
  EXPECT_EQ(text.substr(found[0].offset, found[0].length), armor_line(a));
}

TEST(Armor, NearMissesDoNotHideTokens) {
  std::vector<std::uint8_t> m = {0x11, 1, 2};
  std::string noise;
  for (int i = 0; i < 2000; ++i) noise += "grypt:a-----BEGIN GRYPT MESSAGE----- ";
  auto found = scan_armor(noise + "\n" + armor_block(m) + noise + armor_line(m));
  std::size_t ok = 0;
  for (const auto& t : found) ok += t.error.empty() && t.message == m;
  EXPECT_EQ(ok, 2u);
  EXPECT_EQ(found.size(), 4002u);  // 4000 "grypt:a" tokens that do not decode
}

TEST(Armor, BlockLinesAre64Characters) {
  std::vector<std::uint8_t> m(200, 7);
  std::string block = armor_block(m);
  auto found = scan_armor(block);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  std::string crlf;
  for (char c : block) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  found = scan_armor(crlf);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  EXPECT_TRUE(looks_binary(std::vector<std::uint8_t>{0x11}));
  EXPECT_FALSE(looks_binary(std::vector<std::uint8_t>{'g'}));
}

}  // namespace
}  // namespace grypt
