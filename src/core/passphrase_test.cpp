#include "core/passphrase.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "core/error.h"

namespace grypt {
namespace {

int pipe_with(const std::string& text) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  EXPECT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  return fds[0];
}

TEST(Passphrase, FdSourceReadsOneLineAndLeavesTheRest) {
  init_crypto();
  int fd = pipe_with("correct horse\nrest of the input");
  SecretSource src{SecretSource::Kind::fd, fd, ""};
  EXPECT_EQ(read_secret(src, {}).view(), "correct horse");
  char rest[32] = {};
  EXPECT_EQ(read(fd, rest, sizeof rest), 17);
  EXPECT_STREQ(rest, "rest of the input");
  close(fd);
}

TEST(Passphrase, OnlyOneNewlineIsRemoved) {
  int fd = pipe_with(" spaced \r\n");
  SecretSource src{SecretSource::Kind::fd, fd, ""};
  EXPECT_EQ(read_secret(src, {}).view(), " spaced \r");
  close(fd);
}

TEST(Passphrase, EmptyIsRefusedUnlessAllowed) {
  int fd = pipe_with("\n");
  SecretSource src{SecretSource::Kind::fd, fd, ""};
  SecretPrompt p;
  p.what = "password";
  p.empty_hint = " (use --allow-empty)";
  try {
    read_secret(src, p);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "empty password refused (use --allow-empty)");
  }
  close(fd);
  fd = pipe_with("");
  src.fd = fd;
  p.allow_empty = true;
  EXPECT_TRUE(read_secret(src, p).empty());
  close(fd);
}

TEST(Passphrase, TooLongIsRefused) {
  int fd = pipe_with(std::string(20, 'x') + "\n");
  SecretSource src{SecretSource::Kind::fd, fd, ""};
  SecretPrompt p;
  p.max_size = 10;
  EXPECT_THROW(read_secret(src, p), UsageError);
  close(fd);
}

TEST(Passphrase, TheMaximumIsAllowedAndOneByteMoreIsNot) {
  char tmpl[] = "/tmp/grypt-pass-XXXXXX";
  int tfd = mkstemp(tmpl);
  close(tfd);
  SecretPrompt p;
  p.max_size = 1000;
  for (const char* end : {"\n", ""}) {
    for (std::size_t n : {std::size_t{1000}, std::size_t{1001}}) {
      std::string text = std::string(n, 'x') + end + "second line, however long: " +
                         (*end ? std::string(5000, 'y') : "");
      if (!*end) text = std::string(n, 'x');
      int fd = pipe_with(text);
      SecretSource by_fd{SecretSource::Kind::fd, fd, ""};
      std::ofstream(tmpl, std::ios::trunc) << text;
      SecretSource by_file{SecretSource::Kind::file, -1, tmpl};
      for (const SecretSource& src : {by_fd, by_file}) {
        if (n == 1000) {
          EXPECT_EQ(read_secret(src, p).size(), 1000u);
        } else {
          try {
            read_secret(src, p);
            FAIL() << "accepted " << n;
          } catch (const UsageError& e) {
            EXPECT_EQ(std::string(e.what()), "the passphrase is longer than 1000 bytes");
          }
        }
      }
      close(fd);
    }
  }
  unlink(tmpl);
}

TEST(Passphrase, FileSourceTakesTheFirstLine) {
  char tmpl[] = "/tmp/grypt-pass-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  std::ofstream(tmpl) << "from a file\nsecond line\n";
  SecretSource src{SecretSource::Kind::file, -1, tmpl};
  EXPECT_EQ(read_secret(src, {}).view(), "from a file");
  unlink(tmpl);
  EXPECT_THROW(read_secret(src, {}), SystemError);
}

TEST(Passphrase, BadFdIsASystemError) {
  SecretSource src{SecretSource::Kind::fd, 999, ""};
  EXPECT_THROW(read_secret(src, {}), SystemError);
}

}  // namespace
}  // namespace grypt
