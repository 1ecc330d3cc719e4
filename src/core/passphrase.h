// Passwords and passphrases come from the terminal (echo off), a file
// descriptor, a file, or stdin when stdin is not a terminal: never from the
// command line or the environment (DESIGN §11). Each source yields one line
// without its trailing newline, in guarded memory.
#pragma once

#include <string>

#include "core/secret.h"

namespace grypt {

struct SecretSource {
  enum class Kind { automatic, fd, file } kind = Kind::automatic;
  int fd = -1;
  std::string path;
};

struct SecretPrompt {
  std::string what = "passphrase";  // used in prompts and messages
  bool confirm = false;             // ask twice on a terminal
  bool allow_empty = false;
  std::string empty_hint;           // appended to the refusal, e.g. a flag
  bool stdin_is_data = false;       // automatic then means the terminal only
  std::string flag = "passphrase";  // the tool's --FLAG-fd / --FLAG-file
  std::size_t max_size = 64 * 1024;
};

// automatic: the terminal when stdin is one, else one line of stdin.
SecretBytes read_secret(const SecretSource& source, const SecretPrompt& prompt);

// Reads one line (up to and without '\n') from fd, at most max_size bytes,
// reading byte by byte so nothing after the line is consumed. Sets `eof` when
// the input ended before a newline (an empty result with eof: no line at all).
SecretBytes read_secret_line(int fd, std::size_t max_size, const std::string& what,
                             bool& eof);

}  // namespace grypt
