#include "core/pepper.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/error.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

class PepperFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_crypto();
    path_ = dir_ + "/pepper";
  }
  void write(const std::string& text, mode_t mode = 0600) {
    std::ofstream(path_) << text;
    chmod(path_.c_str(), mode);
  }
  TestDir tmp_;
  std::string dir_ = tmp_.path(), path_;
};

TEST_F(PepperFileTest, NewPeppersAreAddedAndTheLastIsCurrent) {
  std::string a = PepperFile::add_new(path_, [](const std::string&) {});
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string b = PepperFile::add_new(path_, [](const std::string&) {});
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 8u);
  PepperFile f = PepperFile::load(path_);
  EXPECT_EQ(f.current().id, b);
  ASSERT_NE(f.find(a), nullptr);
  EXPECT_EQ(f.find(a)->key.size(), 32u);
  EXPECT_EQ(f.find("AAAAAAAA"), nullptr);
}

TEST_F(PepperFileTest, RefusesAFileOthersCanRead) {
  PepperFile::add_new(path_, [](const std::string&) {});
  chmod(path_.c_str(), 0640);
  try {
    PepperFile::load(path_);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("has mode 0640"), std::string::npos);
  }
  EXPECT_THROW(PepperFile::add_new(path_, [](const std::string&) {}), FormatError);
}

TEST_F(PepperFileTest, RejectsMalformedLinesNamingThem) {
  const std::string key = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE";
  auto expect = [&](const std::string& text, const std::string& msg) {
    write(text);
    try {
      PepperFile::load(path_);
      FAIL() << text;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(msg), std::string::npos) << e.what();
    }
  };
  expect("", "holds no pepper");
  expect("# only a comment\n", "holds no pepper");
  expect("abcdefgh\n", "line 1: expected");
  expect("# c\n!!!!!!!! " + key + "\n", "line 2: the id is not base64");
  expect("abcdefgh " + key + "\nabcdefgh " + key + "\n", "appears twice");
  expect("abcdefgh QUFB\n", "must be 16 to 64 bytes");
  expect("abcdefgh " + key + "=\n", "not canonical");
}

}  // namespace
}  // namespace grypt
