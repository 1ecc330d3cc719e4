#include "core/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_crypto();
  }
  int entries() {
    int n = 0;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.' || std::string(e->d_name).find(".tmp-") != std::string::npos;
    closedir(d);
    return n;
  }
  TestDir tmp_;
  std::string dir_ = tmp_.path();
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
  EXPECT_THROW(read_file(dir_, 10), UsageError);  // a directory
}

TEST_F(FileTest, MakeDirsCreatesPrivateDirectories) {
  std::string d = dir_ + "/a/b/c";
  make_dirs(d);
  struct stat st;
  ASSERT_EQ(stat(d.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

std::string content(const std::string& p) {
  auto got = read_file(p, 1000);
  return {got.begin(), got.end()};
}

TEST_F(FileTest, OpeningNeverBlocksOnAFifoAndChecksTheType) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // No writer: a blocking open would hang here for ever.
  try {
    read_file(fifo, 10);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), fifo + " is a FIFO, not a regular file");
  }
  EXPECT_THROW(read_secret_file(fifo, 10, {.access = Access::private_}), UsageError);
  try {
    read_file("/dev/null", 10);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/null is a device, not a regular file");
  }
}

TEST_F(FileTest, AStreamIsAnyFileButADirectoryAndAFifoWaitsForItsWriter) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t writer = fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    usleep(100 * 1000);  // the reader is waiting in open() by now
    int fd = open(fifo.c_str(), O_WRONLY);
    _exit(fd >= 0 && write(fd, "late", 4) == 4 ? 0 : 1);
  }
  Fd in = open_stream(fifo);
  char buf[8];
  EXPECT_EQ(read(in.get(), buf, sizeof buf), 4);
  int status = 0;
  waitpid(writer, &status, 0);
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(open_stream("/dev/null").valid());
  try {
    open_stream(dir_);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), dir_ + " is a directory");
  }
  try {
    open_stream(dir_ + "/missing");
    FAIL();
  } catch (const SystemError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open " + dir_ + "/missing: No such file or directory");
  }
}

TEST_F(FileTest, SymlinksAreRefusedWhereThePolicySaysSo) {
  std::string target = dir_ + "/target", link = dir_ + "/link";
  write_file_atomic(target, as_bytes("t"));
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  EXPECT_EQ(read_file(link, 10).size(), 1u);  // followed by default
  try {
    read_file(link, 10, {.follow_symlinks = false});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), link + " is a symbolic link: refusing to follow it");
  }
}

TEST_F(FileTest, OwnerAndModeAreCheckedOnTheOpenedFile) {
  std::string p = dir_ + "/f";
  write_file_atomic(p, as_bytes("x"), 0644);
  EXPECT_NO_THROW(read_file(p, 10, {.access = Access::owner}));
  try {
    read_file(p, 10, {.access = Access::private_});
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("has mode 0644: it must not be readable by others"),
              std::string::npos);
  }
  chmod(p.c_str(), 0620);
  try {
    read_file(p, 10, {.access = Access::owner});
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("has mode 0620: others can write it"), std::string::npos);
  }
  chmod(p.c_str(), 0600);
  if (geteuid() == 0) {  // CI runs as root: a file owned by someone else
    ASSERT_EQ(chown(p.c_str(), 12345, 12345), 0);
    EXPECT_THROW(read_file(p, 10, {.access = Access::owner}), FormatError);
  }
}

TEST_F(FileTest, ExistenceErrorsAreNotAbsence) {
  EXPECT_FALSE(file_exists(dir_ + "/missing"));
  std::string f = dir_ + "/file";
  write_file_atomic(f, as_bytes("x"));
  try {
    file_exists(f + "/inside");
    FAIL();
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errnum(), ENOTDIR);
  }
}

TEST_F(FileTest, ADeviceOrFifoIsNeverReplaced) {
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  try {
    AtomicFile f(fifo);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), fifo + " is a FIFO: refusing to replace it");
  }
  struct stat st;
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_THROW(AtomicFile{"/dev/null"}, UsageError);
  EXPECT_THROW(AtomicFile{dir_}, UsageError);  // a directory
}

TEST_F(FileTest, ReplacingASymlinkReplacesItsTarget) {
  std::string real = dir_ + "/real", link = dir_ + "/link", chain = dir_ + "/chain";
  write_file_atomic(real, as_bytes("old"));
  ASSERT_EQ(symlink("real", link.c_str()), 0);  // relative
  ASSERT_EQ(symlink(link.c_str(), chain.c_str()), 0);
  write_file_atomic(chain, as_bytes("new"));
  struct stat st;
  ASSERT_EQ(lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(lstat(chain.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(content(real), "new");
  // A dangling link: the file is created where it points.
  std::string dangling = dir_ + "/dangling";
  ASSERT_EQ(symlink("made", dangling.c_str()), 0);
  write_file_atomic(dangling, as_bytes("made"));
  EXPECT_EQ(content(dir_ + "/made"), "made");
}

TEST_F(FileTest, ASymlinkCanBeRefusedAndAModeSetWhateverTheUmask) {
  std::string real = dir_ + "/real", link = dir_ + "/link", dangling = dir_ + "/dangling";
  write_file_atomic(real, as_bytes("old"));
  ASSERT_EQ(symlink("real", link.c_str()), 0);
  ASSERT_EQ(symlink("made", dangling.c_str()), 0);
  for (const std::string& p : {link, dangling}) {
    try {
      AtomicFile f(p, 0600, Symlink::refuse);
      FAIL();
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()), p + " is a symbolic link: refusing to replace it");
    }
  }
  EXPECT_EQ(content(real), "old");
  EXPECT_EQ(entries(), 3);  // real, link, dangling: nothing made
  // A link put at the name after the check is replaced, not written through.
  std::string late = dir_ + "/late";
  AtomicFile f(late, 0600, Symlink::refuse);
  f.write(as_bytes("new"));
  ASSERT_EQ(symlink("real", late.c_str()), 0);
  f.commit();
  struct stat st;
  ASSERT_EQ(lstat(late.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(content(late), "new");
  EXPECT_EQ(content(real), "old");
  mode_t old = umask(077);
  AtomicFile g(dir_ + "/public", 0600);
  g.set_mode(0644);
  g.commit();
  umask(old);
  ASSERT_EQ(stat((dir_ + "/public").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

struct StepLog {
  std::vector<AtomicFile::Step> steps;
  ~StepLog() { AtomicFile::set_step_hook(nullptr); }
};

TEST_F(FileTest, CommitSyncsTheDataBeforeItGetsItsName) {
  for (bool named : {false, true}) {
    AtomicFile::set_force_named_temp(named);
    for (bool replace : {false, true}) {
      StepLog log;
      AtomicFile::set_step_hook([&](AtomicFile::Step s) { log.steps.push_back(s); });
      std::string p = dir_ + "/f" + std::to_string(named) + std::to_string(replace);
      write_file_atomic(p, as_bytes("data"), 0600, replace);
      using S = AtomicFile::Step;
      std::vector<S> want = replace ? (named ? std::vector<S>{S::synced, S::replaced, S::dir_synced}
                                             : std::vector<S>{S::synced, S::linked, S::replaced,
                                                              S::dir_synced})
                                    : std::vector<S>{S::synced, S::linked, S::dir_synced};
      EXPECT_EQ(log.steps, want) << "named " << named << " replace " << replace;
    }
  }
  AtomicFile::set_force_named_temp(false);
}

TEST_F(FileTest, AFailureAtAnyStepLeavesTheOldFileAndNoLeftovers) {
  using S = AtomicFile::Step;
  for (bool named : {false, true}) {
    AtomicFile::set_force_named_temp(named);
    // The steps before the new name is in place (a named temporary file is
    // renamed at once, without a link step).
    std::vector<S> steps = named ? std::vector<S>{S::synced, S::replaced}
                                 : std::vector<S>{S::synced, S::linked, S::replaced};
    for (S fail_at : steps) {
      std::string p = dir_ + "/f";
      write_file_atomic(p, as_bytes("old"));
      bool failed = false;
      {
        StepLog log;
        AtomicFile::set_step_hook([&](S s) {
          if (s == fail_at) throw SystemError("injected failure");
        });
        try {
          write_file_atomic(p, as_bytes("new"));
        } catch (const SystemError&) {
          failed = true;
        }
      }
      EXPECT_TRUE(failed);
      EXPECT_EQ(content(p), "old") << "named " << named << " step " << int(fail_at);
      EXPECT_EQ(entries(), 1) << "named " << named << " step " << int(fail_at);
    }
  }
  AtomicFile::set_force_named_temp(false);
}

TEST_F(FileTest, TheNamedTemporaryFallbackWorksLikeTheUnnamedFile) {
  AtomicFile::set_force_named_temp(true);
  std::string p = dir_ + "/f";
  {
    AtomicFile f(p);
    f.write(as_bytes("partial"));
    EXPECT_EQ(entries(), 1);  // the named temporary
  }
  EXPECT_EQ(entries(), 0);  // removed when not committed
  write_file_atomic(p, as_bytes("one"), 0600, false);
  EXPECT_THROW(write_file_atomic(p, as_bytes("two"), 0600, false), SystemError);
  write_file_atomic(p, as_bytes("three"));
  EXPECT_EQ(content(p), "three");
  EXPECT_EQ(entries(), 1);
  AtomicFile::set_force_named_temp(false);
}

TEST_F(FileTest, ASymlinkPlantedAtTheTemporaryNameIsNeverWrittenThrough) {
  std::string victim = dir_ + "/victim", p = dir_ + "/f", planted = dir_ + "/.planted";
  write_file_atomic(victim, as_bytes("untouched"));
  write_file_atomic(p, as_bytes("old"));
  ASSERT_EQ(symlink(victim.c_str(), planted.c_str()), 0);
  for (bool named : {false, true}) {
    AtomicFile::set_force_named_temp(named);
    AtomicFile::set_temp_name_hook([&](const std::string& target, int attempt) {
      return attempt == 0 ? planted : target + ".tmp-" + std::to_string(attempt);
    });
    write_file_atomic(p, as_bytes(named ? "named" : "unnamed"));
    AtomicFile::set_temp_name_hook(nullptr);
    EXPECT_EQ(content(victim), "untouched");
    EXPECT_EQ(content(p), named ? "named" : "unnamed");
    struct stat st;
    ASSERT_EQ(lstat(planted.c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
  }
  AtomicFile::set_force_named_temp(false);
}

TEST_F(FileTest, LockedUpdatesFromManyProcessesAllLand) {
  std::string p = dir_ + "/counter";
  constexpr int writers = 12;
  std::vector<pid_t> pids;
  for (int i = 0; i < writers; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        update_file_locked(
            p, 1000, {.access = Access::private_},
            [&](const SecretBytes* old) {
              std::string text = old ? std::string(old->view()) : "";
              text += std::to_string(i) + "\n";
              usleep(2000);  // widen the window a lost update would need
              return SecretBytes::copy_of(as_bytes(text));
            },
            [] {});
        _exit(0);
      } catch (...) {
        _exit(1);
      }
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::string text = content(p);
  for (int i = 0; i < writers; ++i)
    EXPECT_NE(text.find(std::to_string(i) + "\n"), std::string::npos) << i << " lost: " << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), writers);
}

TEST_F(FileTest, AFailureBeforeCommitLeavesALockedUpdateUndone) {
  std::string p = dir_ + "/f";
  write_file_atomic(p, as_bytes("old"));
  EXPECT_THROW(update_file_locked(
                   p, 1000, {},
                   [](const SecretBytes*) { return SecretBytes::copy_of(as_bytes("new")); },
                   [] { throw SystemError("cannot write to stdout"); }),
               SystemError);
  EXPECT_EQ(content(p), "old");
  EXPECT_EQ(entries(), 1);
}

}  // namespace
}  // namespace grypt
