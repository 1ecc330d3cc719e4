#include "core/tool.h"

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
#include "core/secret.h"

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

void print_line(std::string_view kind, std::string_view message) {
  std::string line = std::string(g_tool) + ": " + std::string(kind) + ": ";
  line += message;
  line += '\n';
  // stderr is best effort: there is nowhere else to report its failure.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

void harden_process() {
  // Secrets must never reach a core dump.
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
#if !GRYPT_ASAN
  // Not dumpable also keeps other processes of the same uid from ptrace and
  // /proc/PID/mem. LeakSanitizer needs to ptrace itself, so sanitizer
  // builds keep the rlimit only.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
  umask(077);
}

}  // namespace

const char* tool_name() { return g_tool; }

void warn(std::string_view message) { print_line("warning", message); }

void write_all(int fd, std::span<const unsigned char> bytes, std::string_view what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot write to " + std::string(what), errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

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
