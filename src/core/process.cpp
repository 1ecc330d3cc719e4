#include "core/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/error.h"
#include "core/fd.h"
#include "core/io.h"

extern char** environ;

namespace grypt {
namespace {

struct Pipe {
  Fd read, write;
};

// Both ends are closed on exec: a program gets one only as 0 or 1.
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError("cannot make a pipe", errno);
  return {Fd(fds[0]), Fd(fds[1])};
}

// posix_spawn(3) with its file actions and attributes. A program starts
// with SIGPIPE at its default (we ignore it while we write to one) and
// with nothing of ours open but 0, 1 and 2.
class Spawn {
 public:
  Spawn() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
    sigset_t reset;
    sigemptyset(&reset);
    sigaddset(&reset, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr_, &reset);
  }
  ~Spawn() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  Spawn(const Spawn&) = delete;
  Spawn& operator=(const Spawn&) = delete;

  void give(int fd, int as) { posix_spawn_file_actions_adddup2(&actions_, fd, as); }
  void null(int as, int mode) { posix_spawn_file_actions_addopen(&actions_, as, "/dev/null", mode, 0); }
  void new_session() { flags_ |= POSIX_SPAWN_SETSID; }

  pid_t start(const std::vector<std::string>& argv) { return start(argv[0], argv); }
  pid_t start(const std::string& program, const std::vector<std::string>& argv) {
    posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    posix_spawnattr_setflags(&attr_, flags_);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int e = posix_spawn(&pid, program.c_str(), &actions_, &attr_, args.data(), environ);
    if (e != 0) throw SystemError("cannot run " + program, e);
    return pid;
  }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
  short flags_ = POSIX_SPAWN_SETSIGDEF;
};

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw SystemError("cannot wait for a program", errno);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// False when the program closed its stdin before it read everything: a
// program that stops early says why by its exit status, not by killing us
// with SIGPIPE.
bool write_to(int fd, std::span<const std::uint8_t> in, const std::string& program) {
  struct sigaction ignore = {}, was = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &was);
  bool all = true;
  try {
    write_all(fd, in, program);
  } catch (const SystemError& e) {
    if (e.errnum() != EPIPE) {
      sigaction(SIGPIPE, &was, nullptr);
      throw;
    }
    all = false;
  }
  sigaction(SIGPIPE, &was, nullptr);
  return all;
}

// Reads fd until its end or until `buf` is full; returns the bytes read.
std::size_t read_into(int fd, SecretBytes& buf, const std::string& what) {
  FdInput in(fd, what);
  return in.read_full(buf.span());
}

bool executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string find_program(std::string_view program) {
  std::string name(program);
  if (name.find('/') != std::string::npos) return executable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/bin:/usr/bin";  // execvp's default
  for (std::size_t start = 0; start <= dirs.size();) {
    std::size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = dirs.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (executable(candidate)) return candidate;
    start = colon + 1;
  }
  return "";
}

int run_with_input(const std::vector<std::string>& argv, std::span<const std::uint8_t> in) {
  Pipe p = make_pipe();
  Spawn s;
  s.give(p.read.get(), STDIN_FILENO);
  s.null(STDOUT_FILENO, O_WRONLY);
  pid_t pid = s.start(argv);
  p.read.reset();
  bool all = write_to(p.write.get(), in, argv[0]);
  p.write.reset();
  int status = wait_for(pid);
  if (!all && status == 0) throw SystemError(argv[0] + " stopped before it read its input");
  return status;
}

ProgramOutput run_for_output(const std::vector<std::string>& argv, std::size_t limit) {
  Pipe p = make_pipe();
  Spawn s;
  s.null(STDIN_FILENO, O_RDONLY);
  s.give(p.write.get(), STDOUT_FILENO);
  pid_t pid = s.start(argv);
  p.write.reset();
  ProgramOutput r;
  r.out = SecretBytes(limit + 1);
  std::size_t n = read_into(p.read.get(), r.out, argv[0]);
  p.read.reset();  // a program with more to say gets SIGPIPE
  r.over = n > limit;
  r.out.truncate(r.over ? 0 : n);
  r.status = wait_for(pid);
  return r;
}

pid_t start_detached(const std::string& program, const std::vector<std::string>& argv,
                     std::span<const std::uint8_t> in) {
  Pipe p = make_pipe();
  Spawn s;
  s.give(p.read.get(), STDIN_FILENO);
  s.null(STDOUT_FILENO, O_WRONLY);
  s.null(STDERR_FILENO, O_WRONLY);
  s.new_session();
  pid_t pid = s.start(program, argv);
  p.read.reset();
  if (!write_to(p.write.get(), in, program))
    throw SystemError(program + " stopped before it read its input");
  return pid;
}

SecretBytes read_secret_stream(int fd, std::size_t limit, const std::string& what,
                               const std::string& too_large) {
  SecretBytes buf(limit + 1);
  std::size_t n = read_into(fd, buf, what);
  if (n > limit) throw UsageError(too_large);
  buf.truncate(n);
  return buf;
}

}  // namespace grypt
