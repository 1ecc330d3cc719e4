#include "core/file.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/error.h"

namespace grypt {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_crypto();
    char tmpl[] = "/tmp/grypt-file-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  int entries() {
    int n = 0;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.' || std::string(e->d_name).find(".tmp-") != std::string::npos;
    closedir(d);
    return n;
  }
  std::string dir_;
};

TEST_F(FileTest, CommitReplacesAtomicallyWithTheMode) {
  std::string p = dir_ + "/f";
  write_file_atomic(p, as_bytes("one"));
  write_file_atomic(p, as_bytes("two"));
  auto got = read_file(p, 100);
  EXPECT_EQ(std::string(got.begin(), got.end()), "two");
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(entries(), 1);
}

TEST_F(FileTest, UncommittedWritesLeaveTheOldVersionAndNoTemp) {
  std::string p = dir_ + "/f";
  write_file_atomic(p, as_bytes("old"));
  {
    AtomicFile f(p);
    f.write(as_bytes("new, never committed"));
  }
  auto got = read_file(p, 100);
  EXPECT_EQ(std::string(got.begin(), got.end()), "old");
  EXPECT_EQ(entries(), 1);
}

TEST_F(FileTest, AFileBeingWrittenHasNoNameYet) {
  std::string p = dir_ + "/f";
  AtomicFile f(p);
  f.write(as_bytes("in progress"));
  EXPECT_EQ(entries(), 0);  // O_TMPFILE: a killed writer leaves nothing
  f.commit(false);
  EXPECT_EQ(entries(), 1);
  auto got = read_file(p, 100);
  EXPECT_EQ(std::string(got.begin(), got.end()), "in progress");
}

TEST_F(FileTest, NoReplaceRefusesAnExistingFile) {
  std::string p = dir_ + "/f";
  write_file_atomic(p, as_bytes("old"), 0600, false);
  try {
    write_file_atomic(p, as_bytes("new"), 0600, false);
    FAIL();
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errnum(), EEXIST);
  }
  auto got = read_file(p, 100);
  EXPECT_EQ(std::string(got.begin(), got.end()), "old");
  EXPECT_EQ(entries(), 1);
}

TEST_F(FileTest, ReadsAreBoundedAndNameTheFile) {
  std::string p = dir_ + "/f";
  write_file_atomic(p, as_bytes("0123456789"));
  EXPECT_EQ(read_file(p, 10).size(), 10u);
  try {
    read_file(p, 9);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(p + " is too large"), std::string::npos);
  }
  EXPECT_THROW(read_file(dir_ + "/missing", 10), SystemError);
  EXPECT_THROW(read_file(dir_, 10), FormatError);  // a directory
}

TEST_F(FileTest, MakeDirsCreatesPrivateDirectories) {
  std::string d = dir_ + "/a/b/c";
  make_dirs(d);
  struct stat st;
  ASSERT_EQ(stat(d.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

}  // namespace
}  // namespace grypt
