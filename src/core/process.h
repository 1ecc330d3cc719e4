// Running helper programs (the clipboard's, for vault-get --clip): data goes
// to a program on its stdin and comes back on its stdout, never on its
// command line or in its environment. Descriptors of ours other than 0, 1
// and 2 are closed in every program started, so none keeps a file of the
// vault open.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"

namespace grypt {

// The path of `program` as execvp(3) would find it on $PATH (the program
// itself if it holds a '/'), or "" when there is no executable file there.
std::string find_program(std::string_view program);

// Runs argv (argv[0] a path) with `in` on its stdin, its stdout on
// /dev/null and our stderr; returns its exit status (128 + the signal that
// ended it). Throws SystemError if it cannot be started.
int run_with_input(const std::vector<std::string>& argv, std::span<const std::uint8_t> in);

// Runs argv with /dev/null on its stdin and collects its stdout, up to
// `limit` bytes, in guarded memory; `out` is empty and `over` true when
// there was more. Returns its exit status.
struct ProgramOutput {
  int status = 0;
  SecretBytes out;
  bool over = false;
};
ProgramOutput run_for_output(const std::vector<std::string>& argv, std::size_t limit);

// Starts `program` with argv (argv[0] its name) in a session of its own,
// with `in` on its stdin and /dev/null on its stdout and stderr, and
// returns its pid without waiting for it: it may outlive us. Throws
// SystemError if it cannot be started.
pid_t start_detached(const std::string& program, const std::vector<std::string>& argv,
                     std::span<const std::uint8_t> in);

// Reads fd to its end into guarded memory, at most `limit` bytes; more
// throws UsageError(too_large).
SecretBytes read_secret_stream(int fd, std::size_t limit, const std::string& what,
                               const std::string& too_large);

}  // namespace grypt
