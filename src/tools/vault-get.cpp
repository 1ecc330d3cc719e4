// vault-get: print a secret, list names, show history (man/vault-get.1).
#include <unistd.h>

#include <ctime>

#include "core/io.h"
#include "tools/vault_common.h"

namespace grypt {
namespace {

std::string iso_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm;
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Refuses to put bytes on a terminal that are not text.
class TerminalGuard : public Output {
 public:
  explicit TerminalGuard(Output& out) : out_(out), tty_(isatty(STDOUT_FILENO)) {}
  void write(std::span<const std::uint8_t> bytes) override {
    if (tty_)
      for (std::uint8_t c : bytes)
        if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
          throw UsageError("refusing to write binary data to a terminal (redirect stdout)");
    out_.write(bytes);
  }

 private:
  Output& out_;
  bool tty_;
};

int print_history(Vault& vault, const std::string& name, bool json) {
  std::string out = json ? "[" : "";
  bool first = true;
  for (const EntryVersion& v : vault.history(name)) {
    if (json) {
      out += std::string(first ? "" : ",") + "{\"version\":" + std::to_string(v.version) +
             ",\"time\":\"" + iso_time(v.time) + "\",\"size\":" + std::to_string(v.size) +
             ",\"deleted\":" + (v.deleted ? "true" : "false") + "}";
    } else {
      out += std::to_string(v.version) + "  " + iso_time(v.time) + "  " + std::to_string(v.size) +
             " bytes" + (v.deleted ? "  deleted" : "") + "\n";
    }
    first = false;
  }
  write_stdout(json ? out + "]\n" : out);
  return exit_ok;
}

int print_list(Vault& vault, const std::string& prefix, bool json) {
  std::vector<std::string> unreadable;
  std::vector<std::string> names = vault.list(prefix, unreadable);
  std::string out = json ? "[" : "";
  for (std::size_t i = 0; i < names.size(); ++i)
    out += json ? (i ? "," : "") + json_string(names[i]) : names[i] + "\n";
  write_stdout(json ? out + "]\n" : out);
  for (const std::string& path : unreadable)
    warn(path + " does not open: it was modified, damaged or moved");
  return unreadable.empty() ? exit_ok : exit_no;
}

int body(int argc, char** argv) {
  cxxopts::Options o("vault-get", "Print a secret from the vault");
  o.custom_help("[options] NAME | --history NAME | --list [PREFIX]");
  o.add_options("hidden")("version-number", "", cxxopts::value<std::uint64_t>());
  o.add_options()
      ("history", "list the kept versions of NAME, newest first")
      ("list", "list the names of live secrets (starting with PREFIX)")
      ("json", "with --history or --list: JSON output");
  add_vault_options(o);
  o.parse_positional({"name"});
  o.add_options("hidden")("name", "", cxxopts::value<std::string>());
  // "--version K" (or --version=K) selects a version of NAME; a bare
  // --version prints the program's version.
  std::vector<std::string> words(argv, argv + argc);
  for (std::size_t i = 1; i < words.size(); ++i) {
    bool number_follows = i + 1 < words.size() && !words[i + 1].empty() &&
                          words[i + 1].find_first_not_of("0123456789") == std::string::npos;
    if (words[i] == "--version" && number_follows) words[i] = "--version-number";
    if (words[i].rfind("--version=", 0) == 0) words[i] = "--version-number=" + words[i].substr(10);
  }
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
  if (r.count("history") && r.count("list")) throw UsageError("give only one of --history and --list");

  if (r.count("list")) {
    std::string prefix = r.count("name") ? option<std::string>(r, "name") : "";
    VaultAccess v = open_vault(r, false, false);
    Vault vault(v.dir, v.keys);
    return print_list(vault, prefix, json);
  }
  if (!r.count("name")) throw UsageError("give the NAME of the secret (see vault-get --help)");
  std::string name = option<std::string>(r, "name");
  check_entry_name(name);
  VaultAccess v = open_vault(r, false, false);
  Vault vault(v.dir, v.keys);
  if (r.count("history")) return print_history(vault, name, json);
  std::uint64_t version = r.count("version-number") ? option<std::uint64_t>(r, "version-number") : 0;
  if (r.count("version-number") && version == 0) throw UsageError("versions start at 1");
  grow_pipe(STDOUT_FILENO);
  FdOutput stdout_out(STDOUT_FILENO, "stdout");
  TerminalGuard out(stdout_out);
  vault.get(name, version, out);
  return exit_ok;
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("vault-get", argc, argv, grypt::body); }
