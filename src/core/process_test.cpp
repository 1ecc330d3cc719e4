#include "core/process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> sh(const std::string& script) { return {"/bin/sh", "-c", script}; }

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(FindProgram, AsExecvpFindsIt) {
  std::string sh_path = find_program("sh");
  ASSERT_FALSE(sh_path.empty());
  EXPECT_EQ(sh_path.substr(sh_path.size() - 3), "/sh");
  EXPECT_EQ(find_program("grypt-no-such-program"), "");
  EXPECT_EQ(find_program("/bin/sh"), "/bin/sh");
  EXPECT_EQ(find_program("/nonexistent/sh"), "");
}

TEST(FindProgram, SkipsWhatIsNotAnExecutableFile) {
  TestDir d;
  std::string plain = d.path() + "/plain", dir = d.path() + "/sub";
  ASSERT_EQ(::mkdir(plain.c_str(), 0700), 0);
  std::ofstream(plain + "/tool") << "#!/bin/sh\n";  // not executable
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((dir + "/tool").c_str(), 0700), 0);  // a directory
  const char* was = std::getenv("PATH");
  std::string saved = was ? was : "";
  ::setenv("PATH", (plain + ":" + dir).c_str(), 1);
  EXPECT_EQ(find_program("tool"), "");
  ASSERT_EQ(::chmod((plain + "/tool").c_str(), 0700), 0);
  EXPECT_EQ(find_program("tool"), plain + "/tool");
  ::setenv("PATH", saved.c_str(), 1);
}

TEST(RunWithInput, ItsStdinIsOurBytesAndItsStatusComesBack) {
  TestDir d;
  std::string out = d.path() + "/out";
  EXPECT_EQ(run_with_input(sh("cat >" + out), as_bytes("secret\nlines")), 0);
  EXPECT_EQ(slurp(out), "secret\nlines");
  EXPECT_EQ(run_with_input(sh("exit 3"), {}), 3);
  EXPECT_EQ(run_with_input(sh("kill -TERM $$"), {}), 128 + SIGTERM);
  EXPECT_THROW(run_with_input({"/nonexistent/program"}, {}), SystemError);
}

TEST(RunWithInput, AProgramThatReadsNothingIsNoSignalToUs) {
  std::string big(1 << 20, 'x');  // more than a pipe holds
  EXPECT_EQ(run_with_input(sh("exit 4"), as_bytes(big)), 4);
  EXPECT_THROW(run_with_input(sh("exit 0"), as_bytes(big)), SystemError);
}

TEST(RunWithInput, NothingOfOursStaysOpenInIt) {
  TestDir d;
  int fd = ::open("/dev/null", O_RDONLY);  // not close-on-exec
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 57), 57);
  ::close(fd);
  EXPECT_EQ(run_with_input(sh("test -e /proc/$$/fd/57"), {}), 1);
  EXPECT_EQ(run_with_input(sh("test -e /proc/$$/fd/0"), {}), 0);
  ::close(57);
}

TEST(RunForOutput, CollectsStdoutUpToTheLimit) {
  ProgramOutput r = run_for_output(sh("printf abc"), 3);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.over);
  EXPECT_EQ(r.out.view(), "abc");
  r = run_for_output(sh("printf abcd; exit 2"), 3);
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(r.over);
  EXPECT_TRUE(r.out.empty());
  // More than the limit and more than a pipe holds: no wait for the end.
  r = run_for_output(sh("yes"), 10);
  EXPECT_TRUE(r.over);
  r = run_for_output(sh("cat"), 10);  // its stdin is /dev/null
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.empty());
}

TEST(StartDetached, InASessionOfItsOwnWithOurBytes) {
  TestDir d;
  std::string out = d.path() + "/out", sid = d.path() + "/sid";
  // The sixth field of /proc/PID/stat is the session; sh's name has no space.
  pid_t pid = start_detached("/bin/sh",
                             sh("cat >" + out + "; set -- $(cat /proc/$$/stat); echo $6 >" + sid),
                             as_bytes("the secret"));
  EXPECT_EQ(wait_for(pid), 0);
  EXPECT_EQ(slurp(out), "the secret");
  EXPECT_EQ(slurp(sid), std::to_string(pid) + "\n");
}

TEST(ReadSecretStream, ToTheEndOrRefused) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "abc", 3), 3);
  ::close(p[1]);
  EXPECT_EQ(read_secret_stream(p[0], 3, "pipe", "too large").view(), "abc");
  ::close(p[0]);
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "abcd", 4), 4);
  ::close(p[1]);
  EXPECT_THROW(read_secret_stream(p[0], 3, "pipe", "too large"), UsageError);
  ::close(p[0]);
}

}  // namespace
}  // namespace grypt
