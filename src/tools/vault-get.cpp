// vault-get: print a secret, list names, show history (man/vault-get.1).
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/clipboard.h"
#include "core/io.h"
#include "core/progress.h"
#include "core/text.h"
#include "tools/vault_common.h"

namespace grypt {
namespace {

// Refuses to put anything on a terminal but text: valid UTF-8 without
// control characters (C0 but tab, newline and carriage return; DEL; C1,
// which a terminal may take as escape sequences). A UTF-8 sequence cut
// between two writes is held back until it is complete.
class TerminalGuard : public Output {
 public:
  explicit TerminalGuard(Output& out) : out_(out), tty_(isatty(STDOUT_FILENO)) {}
  void write(std::span<const std::uint8_t> bytes) override {
    if (!tty_) {
      out_.write(bytes);
      return;
    }
    if (!text_.feed(bytes)) refuse();
    held_.insert(held_.end(), bytes.begin(), bytes.end());
    std::size_t keep = text_.partial();
    out_.write(std::span(held_.data(), held_.size() - keep));
    held_.erase(held_.begin(), held_.end() - static_cast<std::ptrdiff_t>(keep));
  }
  void finish() {
    if (tty_ && !text_.complete()) refuse();
  }

 private:
  [[noreturn]] static void refuse() {
    throw UsageError("refusing to write binary data to a terminal (redirect stdout)");
  }
  Output& out_;
  bool tty_;
  TerminalText text_;
  std::vector<std::uint8_t> held_;
};

int print_history(Vault& vault, const std::string& name, bool json) {
  std::string out;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const EntryVersion& v : vault.history(name)) {
    if (json)
      list.push_back({{"version", v.version}, {"time", utc_time(v.time)}, {"size", v.size},
                      {"deleted", v.deleted}});
    else
      out += std::to_string(v.version) + "  " + utc_time(v.time) + "  " + std::to_string(v.size) +
             " bytes" + (v.deleted ? "  deleted" : "") + "\n";
  }
  write_stdout(json ? list.dump() + "\n" : out);
  return exit_ok;
}

int print_list(Vault& vault, const std::string& pattern, bool json) {
  std::vector<std::string> names = vault.list(pattern);
  std::string out;
  for (const std::string& n : names) out += n + "\n";
  write_stdout(json ? nlohmann::ordered_json(names).dump() + "\n" : out);
  for (const std::string& path : vault.unreadable())
    warn(path + " does not open: it was modified, damaged or moved");
  return vault.unreadable().empty() ? exit_ok : exit_no;
}

// What goes to the clipboard: text, without one final newline (the one
// `echo secret | vault-put` stores), as pass copies a line. Control
// characters or invalid UTF-8 could act on whatever it is pasted into.
SecretBytes clipboard_text(SecretBytes secret, const std::string& name) {
  if (!secret.empty() && secret.data()[secret.size() - 1] == '\n') secret.truncate(secret.size() - 1);
  if (secret.empty()) throw UsageError(name + " is empty: nothing to copy");
  TerminalText text;
  if (!text.feed(secret.span()) || !text.complete())
    throw UsageError("refusing to copy binary data to the clipboard: " + name + " is not text");
  return secret;
}

// The vault is closed, its keys wiped, before any program starts.
SecretBytes read_for_clipboard(const cxxopts::ParseResult& r, const std::string& name,
                               std::uint64_t version) {
  VaultAccess v = open_vault(r, false, false);
  Vault vault(v.dir, *v.keys);
  warn_stray(vault);
  ClipboardOutput out(name + " is larger than 64 KiB: too large for the clipboard");
  vault.get(name, version, out);
  return clipboard_text(out.take(), name);
}


// The clipboard and GRYPT_CLIP_TIME are checked before the passphrase is
// asked for.
int copy_to_clipboard(const cxxopts::ParseResult& r, const std::string& name,
                      std::uint64_t version) {
  Clipboard clipboard = Clipboard::of_session();
  unsigned seconds = clip_seconds();
  SecretBytes secret = read_for_clipboard(r, name, version);
  clipboard.copy(secret.span());
  clear_later(clipboard, secret.span(), seconds);
  note("copied " + name + " to the clipboard; cleared in " + std::to_string(seconds) + " s");
  return exit_ok;
}

// "--version K" selects version K of NAME; "--version" alone, as the only
// argument, prints the program's version. Anywhere else --version takes a
// value, which must be a version number: a script whose variable came out
// empty gets an error, never the program's version as its secret.
std::vector<std::string> rewrite_version_option(int argc, char** argv) {
  std::vector<std::string> words(argv, argv + argc);
  if (words.size() == 2 && words[1] == "--version") return words;
  for (std::size_t i = 1; i < words.size(); ++i) {
    std::string value;
    if (words[i] == "--version") {
      if (i + 1 == words.size())
        throw UsageError("--version needs a version number (alone, it prints the program's version)");
      value = words[i + 1];
      words.erase(words.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    } else if (words[i].rfind("--version=", 0) == 0) {
      value = words[i].substr(10);
    } else {
      continue;
    }
    if (value.empty() || value.size() > 15 || value.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("--version needs a version number, not '" + value + "' (see --history)");
    words[i] = "--version-number=" + value;
  }
  return words;
}

int body(int argc, char** argv) {
  cxxopts::Options o("vault-get", "Print a secret from the vault");
  o.custom_help("[options] NAME | --clip NAME | --history NAME | --list [PATTERN]");
  o.positional_help("");
  o.add_options("hidden")("version-number", "", cxxopts::value<std::uint64_t>());
  o.add_options()
      ("clip", "copy the secret to the clipboard (wl-copy or xclip), not to stdout; "
       "cleared after 45 s or $GRYPT_CLIP_TIME")
      ("history", "list the kept versions of NAME, newest first")
      ("list", "list the names of live secrets that match PATTERN, a glob ('*' and '?' "
       "match no '/') or else a prefix")
      ("json", "with --history or --list: JSON output")
      ("quiet", "no progress line on stderr (shown only at a terminal, after a second, when stdout is not one)");
  add_vault_options(o);
  o.parse_positional({"name"});
  o.add_options("hidden")("name", "", cxxopts::value<std::string>());
  std::vector<std::string> words = rewrite_version_option(argc, argv);
  std::vector<char*> args;
  for (std::string& w : words) args.push_back(w.data());
  auto r = parse_options(o, static_cast<int>(args.size()), args.data());
  if (handle_common_options(o, r,
                 "      --version K        print version K of NAME (see --history)\n"
                 "\nExit status: 0 success, 1 wrong passphrase or key, tampered or moved data,\n"
                 "2 error. See vault-get(1).\n"))
    return exit_ok;
  bool json = r.count("json") > 0;
  if (json && !r.count("history") && !r.count("list"))
    throw UsageError("--json goes with --history or --list");
  if (r.count("history") + r.count("list") + r.count("clip") > 1)
    throw UsageError("give only one of --clip, --history and --list");

  if (r.count("list")) {
    std::string pattern = r.count("name") ? option<std::string>(r, "name") : "";
    VaultAccess v = open_vault(r, false, false);
    Vault vault(v.dir, *v.keys);
    warn_stray(vault);
    return print_list(vault, pattern, json);
  }
  if (!r.count("name")) throw UsageError("give the NAME of the secret (see vault-get --help)");
  std::string name = option<std::string>(r, "name");
  check_entry_name(name);
  std::uint64_t version = r.count("version-number") ? option<std::uint64_t>(r, "version-number") : 0;
  if (r.count("version-number") && version == 0) throw UsageError("versions start at 1");
  if (r.count("clip")) return copy_to_clipboard(r, name, version);
  VaultAccess v = open_vault(r, false, false);
  Vault vault(v.dir, *v.keys);
  warn_stray(vault);
  if (r.count("history")) return print_history(vault, name, json);
  grow_pipe(STDOUT_FILENO);
  FdOutput stdout_out(STDOUT_FILENO, "stdout");
  TerminalGuard out(stdout_out);
  {
    Progress progress("reading " + name, !r.count("quiet") && !isatty(STDOUT_FILENO));
    CountedOutput counted(out, progress);
    vault.get(name, version, counted);
  }
  out.finish();
  return exit_ok;
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) {
  // The clipboard's clearer is this program run again (core/clipboard.h).
  if (grypt::is_clearer(argc, argv)) return grypt::run_tool("vault-get", argc, argv, grypt::run_clearer);
  return grypt::run_tool("vault-get", argc, argv, grypt::body);
}
