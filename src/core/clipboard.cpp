#include "core/clipboard.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/process.h"
#include "core/tool.h"

namespace grypt {
namespace {

// An environment variable, empty taken as unset.
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

std::string need(std::string_view program, std::string_view why) {
  std::string path = find_program(program);
  if (path.empty())
    throw UsageError("cannot copy to the clipboard: no " + std::string(program) + " on PATH (" +
                     std::string(why) + ")");
  return path;
}

std::string_view kind_name(ClipboardKind kind) {
  return kind == ClipboardKind::wayland ? "wayland" : "x11";
}

// A whole number of seconds from 1 to max_clip_seconds, or 0.
unsigned parse_seconds(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return 0;
  unsigned long n = std::stoul(std::string(text));
  return n <= max_clip_seconds ? static_cast<unsigned>(n) : 0;
}

void check(int status, const std::string& program) {
  if (status != 0) throw SystemError(program + " failed (exit status " + std::to_string(status) + ")");
}

}  // namespace

Clipboard Clipboard::of(ClipboardKind kind) {
  if (kind == ClipboardKind::wayland) {
    const char* why = "WAYLAND_DISPLAY is set; install wl-clipboard";
    return {kind, need("wl-copy", why), need("wl-paste", why)};
  }
  std::string xclip = need("xclip", "DISPLAY is set; install xclip");
  return {kind, xclip, xclip};
}

Clipboard Clipboard::of_session() {
  if (env("WAYLAND_DISPLAY")) return of(ClipboardKind::wayland);
  if (env("DISPLAY")) return of(ClipboardKind::x11);
  throw UsageError("cannot copy to the clipboard: neither WAYLAND_DISPLAY nor DISPLAY is set");
}

void Clipboard::copy(std::span<const std::uint8_t> secret) const {
  if (kind == ClipboardKind::wayland)
    check(run_with_input({copy_program}, secret), copy_program);
  else
    check(run_with_input({copy_program, "-selection", "clipboard"}, secret), copy_program);
}

bool Clipboard::holds(std::span<const std::uint8_t> secret) const {
  std::vector<std::string> argv = {paste_program, "--no-newline"};
  if (kind == ClipboardKind::x11) argv = {paste_program, "-selection", "clipboard", "-o"};
  ProgramOutput got = run_for_output(argv, max_clip_bytes);
  return got.status == 0 && !got.over && ct_equal(got.out.span(), secret);
}

void Clipboard::clear() const {
  if (kind == ClipboardKind::wayland)
    check(run_with_input({copy_program, "--clear"}, {}), copy_program);
  else
    copy({});
}

void ClipboardOutput::write(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > buf_.size() - size_) throw UsageError(too_large_);
  std::copy(bytes.begin(), bytes.end(), buf_.data() + size_);
  size_ += bytes.size();
}

SecretBytes ClipboardOutput::take() {
  buf_.truncate(size_);
  size_ = 0;
  return std::move(buf_);
}

unsigned clip_seconds() {
  const char* v = env("GRYPT_CLIP_TIME");
  if (v == nullptr) return default_clip_seconds;
  unsigned n = parse_seconds(v);
  if (n == 0)
    throw UsageError("GRYPT_CLIP_TIME must be a number of seconds from 1 to " +
                     std::to_string(max_clip_seconds) + ", not '" + v + "'");
  return n;
}

void clear_later(const Clipboard& clipboard, std::span<const std::uint8_t> secret,
                 unsigned seconds, const std::string& self) {
  start_detached(self,
                 {tool_name(), std::string(clearer_flag), std::string(kind_name(clipboard.kind)),
                  std::to_string(seconds)},
                 secret);
}

bool is_clearer(int argc, char** argv) { return argc == 4 && argv[1] == clearer_flag; }

// Nobody reads its messages (its stderr is /dev/null): a clipboard that
// cannot be read or cleared is left as it is.
int run_clearer(int, char** argv) {
  std::string_view kind = argv[2];
  unsigned seconds = parse_seconds(argv[3]);
  if ((kind != "wayland" && kind != "x11") || seconds == 0)
    throw UsageError("usage: " + std::string(tool_name()) + " " + std::string(clearer_flag) +
                     " wayland|x11 SECONDS < secret");
  if (::chdir("/") != 0) throw SystemError("cannot change to /", errno);  // hold no directory
  SecretBytes secret =
      read_secret_stream(STDIN_FILENO, max_clip_bytes, "stdin", "the secret is too large");
  Clipboard clipboard = Clipboard::of(kind == "wayland" ? ClipboardKind::wayland : ClipboardKind::x11);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  if (clipboard.holds(secret.span())) clipboard.clear();
  return exit_ok;
}

}  // namespace grypt
