// The desktop clipboard, for vault-get --clip (man/vault-get.1, THE
// CLIPBOARD), through the programs that own it: wl-copy and wl-paste when
// WAYLAND_DISPLAY is set, else xclip when DISPLAY is set. The secret goes to
// them on their stdin, never on a command line or in the environment.
//
// Clearing is left to a process of its own, started detached from a fresh
// copy of the running program (clearer_flag below): it holds the secret
// alone, in locked memory, and nothing of the vault, no key, no open file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/io.h"
#include "core/secret.h"

namespace grypt {

// The largest secret --clip copies: passwords, tokens and keys, not files.
inline constexpr std::size_t max_clip_bytes = 64 * 1024;
inline constexpr unsigned default_clip_seconds = 45;
inline constexpr unsigned max_clip_seconds = 86400;

enum class ClipboardKind { wayland, x11 };

struct Clipboard {
  ClipboardKind kind;
  std::string copy_program, paste_program;  // paths found on $PATH

  // Throws UsageError naming the program when it is not installed.
  static Clipboard of(ClipboardKind kind);
  // WAYLAND_DISPLAY's, else DISPLAY's; UsageError when neither is set.
  static Clipboard of_session();

  // Throws SystemError when the program fails.
  void copy(std::span<const std::uint8_t> secret) const;
  bool holds(std::span<const std::uint8_t> secret) const;
  void clear() const;
};

// Collects a secret in guarded memory, for the clipboard: more than
// max_clip_bytes throws UsageError(too_large).
class ClipboardOutput : public Output {
 public:
  explicit ClipboardOutput(std::string too_large)
      : buf_(max_clip_bytes), too_large_(std::move(too_large)) {}
  void write(std::span<const std::uint8_t> bytes) override;
  SecretBytes take();

 private:
  SecretBytes buf_;
  std::size_t size_ = 0;
  std::string too_large_;
};

// $GRYPT_CLIP_TIME (1 to max_clip_seconds), or default_clip_seconds.
// Throws UsageError for another value.
unsigned clip_seconds();

// Starts the clearer: after `seconds`, it clears the clipboard if it still
// holds `secret`. `self` is the running program (/proc/self/exe).
void clear_later(const Clipboard& clipboard, std::span<const std::uint8_t> secret,
                 unsigned seconds, const std::string& self = "/proc/self/exe");

// The clearer's command line is PROGRAM clearer_flag KIND SECONDS, with the
// secret on its stdin; run_clearer is its body (for run_tool).
inline constexpr std::string_view clearer_flag = "--clipboard-clearer";
bool is_clearer(int argc, char** argv);
int run_clearer(int argc, char** argv);

}  // namespace grypt
