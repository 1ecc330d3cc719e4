// Move statements (grypt-protocol.7, MOVE STATEMENTS): made and read back,
// and every check of the page, in its order, with its answer.
#include "core/move_statement.h"

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

struct MoveStatementTest : ::testing::Test {
  Identity old_id = (init_crypto(), Identity::generate());
  Identity new_id = Identity::generate();
  std::string text = MoveStatement::make(old_id, new_id, 1800000000);

  std::vector<std::uint8_t> bytes() const {
    return base64_decode(std::string_view(text).substr(11), Base64::url_unpadded);
  }
  static std::string text_of(const std::vector<std::uint8_t>& b) {
    return "grypt-move:" + base64_encode(b, Base64::url_unpadded);
  }
  // The answer to `t`, or "" when it is taken.
  static std::string why(const std::string& t) {
    try {
      MoveStatement::parse(t);
      return "";
    } catch (const FormatError& e) {
      return e.what();
    }
  }
};

TEST_F(MoveStatementTest, NamesBothKeysAndItsTimeIn374Characters) {
  EXPECT_EQ(text.size(), 374u);
  EXPECT_EQ(text.rfind("grypt-move:", 0), 0u);
  MoveStatement m = MoveStatement::parse(" \t" + text + "\r\n");
  EXPECT_EQ(m.from, old_id.public_key());
  EXPECT_EQ(m.to, new_id.public_key());
  EXPECT_EQ(m.time, 1800000000);
}

TEST_F(MoveStatementTest, EveryCheckInTheOrderOfThePage) {
  const std::string no = "not a move statement: ";
  EXPECT_EQ(why("grypt-mov:" + text.substr(11)), no + "no grypt-move: prefix");
  EXPECT_EQ(why(text.substr(0, text.size() - 1)), no + "not base64url of 272 bytes");
  EXPECT_EQ(why(text + "AAAA"), no + "not base64url of 272 bytes");
  EXPECT_EQ(why(text.substr(0, 20) + "=" + text.substr(21)), no + "not base64url of 272 bytes");
  auto b = bytes();
  ASSERT_EQ(b.size(), 272u);
  auto version = b;
  version[7] = 0x01;
  EXPECT_EQ(why(text_of(version)), no + "not a move statement of this version");
  auto time = b;
  time[8] = 0x80;
  EXPECT_EQ(why(text_of(time)), no + "time out of range");
  auto old_key = b;
  std::fill(old_key.begin() + 16 + 32, old_key.begin() + 80, 0);  // X25519 half zero
  EXPECT_EQ(why(text_of(old_key)), no + "the old key is invalid");
  auto new_key = b;
  std::fill(new_key.begin() + 80 + 32, new_key.begin() + 144, 0);
  EXPECT_EQ(why(text_of(new_key)), no + "the new key is invalid");
  auto same = b;
  std::copy(b.begin() + 16, b.begin() + 48, same.begin() + 80);
  EXPECT_EQ(why(text_of(same)), no + "the old and the new key are the same");
  auto old_sig = b;
  old_sig[150] ^= 1;
  EXPECT_EQ(why(text_of(old_sig)), no + "the old key's signature does not verify");
  auto new_sig = b;
  new_sig[271] ^= 1;
  EXPECT_EQ(why(text_of(new_sig)), no + "the new key's signature does not verify");
  // Any byte of the signed part changed fails one of the checks.
  for (std::size_t i = 0; i < 144; ++i) {
    auto t = b;
    t[i] ^= 0x04;
    EXPECT_NE(why(text_of(t)), "") << i;
  }
}

TEST_F(MoveStatementTest, AKeyThatDidNotSignIsNotTaken) {
  // Another new key put in place of the one that signed.
  Identity other = Identity::generate();
  auto b = bytes();
  auto k = other.public_key().bytes();
  std::copy(k.begin(), k.end(), b.begin() + 80);
  EXPECT_EQ(why(text_of(b)), "not a move statement: the old key's signature does not verify");
  // One identity cannot move to itself.
  EXPECT_THROW(MoveStatement::make(old_id, old_id, 1), UsageError);
}

}  // namespace
}  // namespace grypt
