#include "core/passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/error.h"
#include "core/file.h"

namespace grypt {
namespace {

// The terminal state to restore if a signal arrives while echo is off.
int g_tty_fd = -1;
struct termios g_saved_termios;

void restore_and_reraise(int sig) {
  if (g_tty_fd >= 0) tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) throw SystemError("cannot read terminal settings", errno);
    g_saved_termios = saved_;
    g_tty_fd = fd_;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP}) signal(sig, restore_and_reraise);
    struct termios t = saved_;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    t.c_lflag |= ECHONL;
    if (tcsetattr(fd_, TCSAFLUSH, &t) != 0) throw SystemError("cannot turn off echo", errno);
  }
  ~EchoOff() {
    // Turning echo off discards echoed type-ahead (TCSAFLUSH); restoring it
    // must not discard what is typed next, such as the repeated passphrase.
    tcsetattr(fd_, TCSADRAIN, &saved_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP}) signal(sig, SIG_DFL);
    g_tty_fd = -1;
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  struct termios saved_;
};

SecretBytes line_from_tty(int tty, const std::string& prompt, const SecretPrompt& p) {
  [[maybe_unused]] ssize_t w = ::write(tty, prompt.data(), prompt.size());
  EchoOff echo_off(tty);
  bool eof = false;
  SecretBytes line = read_secret_line(tty, p.max_size, p.what, eof);
  if (eof && line.empty()) throw UsageError("no " + p.what + " given");
  return line;
}

SecretBytes from_tty(const SecretPrompt& p) {
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0)
    throw UsageError("no terminal to ask for the " + p.what + ": give --" + p.flag +
                     "-fd or --" + p.flag + "-file");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{tty};
  std::string what = p.what;
  what[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(what[0])));
  SecretBytes first = line_from_tty(tty, what + ": ", p);
  if (p.confirm) {
    SecretBytes again = line_from_tty(tty, "Repeat " + p.what + ": ", p);
    if (!ct_equal(first.span(), again.span()))
      throw UsageError("the " + p.what + "s do not match");
  }
  return first;
}

}  // namespace

SecretBytes read_secret_line(int fd, std::size_t max_size, const std::string& what,
                             bool& eof) {
  SecretBytes buf(max_size + 1);
  std::size_t have = 0;
  eof = false;
  for (;;) {
    std::uint8_t c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read the " + what, errno);
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (c == '\n') break;
    if (have == max_size)
      throw UsageError("the " + what + " is longer than " + std::to_string(max_size) +
                       " bytes");
    buf.data()[have++] = c;
  }
  buf.truncate(have);
  return buf;
}

SecretBytes read_secret(const SecretSource& source, const SecretPrompt& p) {
  SecretBytes secret;
  switch (source.kind) {
    case SecretSource::Kind::file: {
      // The first line only, read as from a descriptor: what follows it,
      // however long, is not read.
      Fd fd = open_for_reading(source.path, {.regular_only = false});
      bool eof = false;
      secret = read_secret_line(fd.get(), p.max_size, p.what, eof);
      break;
    }
    case SecretSource::Kind::fd: {
      bool eof = false;
      secret = read_secret_line(source.fd, p.max_size, p.what, eof);
      break;
    }
    case SecretSource::Kind::automatic:
      if (isatty(STDIN_FILENO) || p.stdin_is_data) {
        secret = from_tty(p);
      } else {
        bool eof = false;
        secret = read_secret_line(STDIN_FILENO, p.max_size, p.what, eof);
        // Not even an empty line: no one gave one (a service, cron, a
        // daemon started from a script), which is not an empty secret.
        if (eof && secret.empty() && !p.allow_empty)
          throw UsageError("no terminal to ask for the " + p.what + ", and nothing on standard input: give --" +
                           p.flag + "-fd or --" + p.flag + "-file");
      }
      break;
  }
  if (secret.empty() && !p.allow_empty)
    throw UsageError("empty " + p.what + " refused" + p.empty_hint);
  return secret;
}

}  // namespace grypt
