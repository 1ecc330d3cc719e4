#include "core/tool.h"

#include "core/progress.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "core/error.h"
#include "core/io.h"
#include "core/secret.h"
#include "core/text.h"

// gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define GRYPT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRYPT_ASAN 1
#endif
#endif
#ifndef GRYPT_ASAN
#define GRYPT_ASAN 0
#endif

namespace grypt {
namespace {

const char* g_tool = "grypt";
mode_t g_user_umask = 022;

void print_line(std::string_view kind, std::string_view message) {
  std::string line = std::string(g_tool) + ": " + (kind.empty() ? "" : std::string(kind) + ": ");
  // One line whatever the message quotes: control characters and invalid
  // UTF-8 from untrusted input are shown escaped.
  line += printable(message);
  line += '\n';
  clear_progress_line();
  // stderr is best effort: there is nowhere else to report its failure.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

// A tool started with stdin, stdout or stderr closed would hand that number
// to the next file it opens, and then write its output into, say, a new
// identity file. Each closed one gets /dev/null opened the wrong way round
// instead (stdin write-only, stdout and stderr read-only), so that using it
// fails with EBADF, as the closed descriptor would have, and is reported.
void occupy_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      int got = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
      if (got != fd && got >= 0) ::close(got);
    }
}

void harden_process() {
  occupy_standard_fds();
  // Secrets must never reach a core dump.
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
#if !GRYPT_ASAN
  // Not dumpable also keeps other processes of the same uid from ptrace and
  // /proc/PID/mem. LeakSanitizer needs to ptrace itself, so sanitizer
  // builds keep the rlimit only.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
  g_user_umask = umask(077);
}

}  // namespace

const char* tool_name() { return g_tool; }

mode_t user_umask() { return g_user_umask; }

void warn(std::string_view message) { print_line("warning", message); }

void note(std::string_view message) { print_line("", message); }

void write_stdout(std::string_view text) {
  write_all(STDOUT_FILENO, as_bytes(text), "stdout");
}

int run_tool(const char* name, int argc, char** argv, int (*body)(int, char**)) {
  g_tool = name;
  try {
    harden_process();
    init_crypto();
    int status = body(argc, argv);
    if (std::fflush(stdout) != 0) throw SystemError("cannot write to stdout", errno);
    return status;
  } catch (const Error& e) {
    print_line("error", e.what());
    return e.exit_status();
  } catch (const std::bad_alloc&) {
    print_line("error", "out of memory");
    return exit_error;
  } catch (const std::exception& e) {
    print_line("error", e.what());
    return exit_error;
  }
}

}  // namespace grypt
