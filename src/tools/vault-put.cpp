// vault-put: store stdin as a secret, encrypted at rest (man/vault-put.1).
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "core/io.h"
#include "core/move_statement.h"
#include "core/progress.h"
#include "core/text.h"
#include "tools/vault_common.h"

namespace grypt {
namespace {

std::vector<PublicKey> read_recipients(const std::string& path) {
  std::vector<std::uint8_t> raw = read_file(path, 1 << 20);
  std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
  std::vector<PublicKey> keys;
  for_each_entry_line(text, [&](std::string_view line, int number) {
    try {
      PublicKey k = PublicKey::parse(line);
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    } catch (const FormatError& e) {
      throw FormatError(path + " line " + std::to_string(number) + ": " + e.what());
    }
  });
  if (keys.empty()) throw UsageError(path + " lists no public key");
  return keys;
}

// --generate: letters and digits, and with --symbols the printable ASCII
// punctuation (no space, which a form or a shell may trim or split at).
constexpr std::string_view alphanumeric =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
constexpr std::size_t max_generate = 4096;

std::size_t generate_length(const cxxopts::ParseResult& r) {
  std::string n = option<std::string>(r, "generate");
  std::size_t length = 0;
  if (!n.empty() && n.size() <= 4 && n.find_first_not_of("0123456789") == std::string::npos)
    length = std::stoul(n);
  if (length < 1 || length > max_generate)
    throw UsageError("--generate needs a length from 1 to " + std::to_string(max_generate) +
                     ", not '" + n + "'");
  return length;
}

void check_combination(const cxxopts::ParseResult& r) {
  bool generate = r.count("generate") > 0;
  if (r.count("recipients") && (r.count("name") || r.count("delete") || generate))
    throw UsageError("--recipients takes no NAME, no --delete and no --generate");
  if (r.count("move") && (r.count("recipients") || r.count("name") || r.count("delete") || generate))
    throw UsageError("--move takes no NAME, no --recipients, no --delete and no --generate");
  if (r.count("force") && !r.count("recipients")) throw UsageError("--force goes with --recipients");
  if (generate && r.count("delete")) throw UsageError("give only one of --generate and --delete");
  if (!generate && r.count("symbols")) throw UsageError("--symbols goes with --generate");
  if (r.count("quiet") && (r.count("delete") || r.count("recipients") || r.count("move")))
    throw UsageError("--quiet goes with storing a secret (NAME or --generate)");
}

int reseal(const cxxopts::ParseResult& r) {
  std::vector<PublicKey> keys = read_recipients(option<std::string>(r, "recipients"));
  VaultAccess v = open_vault(r, false, false);
  if (std::find(keys.begin(), keys.end(), v.own) == keys.end() && !r.count("force"))
    throw UsageError("the list does not include your own key: you would lose access to the vault "
                     "(add it, or use --force)");
  // Never hand a vault key that does not open the entries to new recipients.
  Vault vault(v.dir, *v.keys);
  warn_stray(vault);
  vault.require_bound();
  v.reseal([&](const std::vector<PublicKey>&) { return keys; });
  return exit_ok;
}

// --move FILE: the vault re-sealed for the same recipients but the key that
// moves, replaced by its new key, on its move statement (grypt-protocol.7,
// MOVE STATEMENTS), which proves that both keys' holders asked.
int reseal_move(const cxxopts::ParseResult& r) {
  const std::string path = option<std::string>(r, "move");
  std::vector<std::uint8_t> raw;
  if (path == "-") {
    raw.resize(4097);
    raw.resize(read_bounded(STDIN_FILENO, raw.data(), 4096, "the standard input"));
  } else {
    raw = read_file(path, 4096);
  }
  MoveStatement m;
  try {
    m = MoveStatement::parse(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  } catch (const FormatError& e) {
    throw UsageError(e.what());
  }
  VaultAccess v = open_vault(r, false, path == "-");
  Vault vault(v.dir, *v.keys);
  warn_stray(vault);
  vault.require_bound();
  // The list as it is under the lock, not as it was when the vault opened.
  v.reseal([&](std::vector<PublicKey> keys) {
    auto from = std::find(keys.begin(), keys.end(), m.from);
    if (from == keys.end()) throw UsageError("the key that moves is not a recipient of the vault " + v.dir);
    if (std::find(keys.begin(), keys.end(), m.to) != keys.end()) keys.erase(from);
    else *from = m.to;
    return keys;
  });
  return exit_ok;
}

int soft_delete(const cxxopts::ParseResult& r, const std::string& name, unsigned keep) {
  VaultAccess v = open_vault(r, false, false);
  Vault vault(v.dir, *v.keys);
  warn_stray(vault);
  vault.remove(name, keep);
  return exit_ok;
}

int put_stdin(const cxxopts::ParseResult& r, const std::string& name, unsigned keep) {
  bool typed = isatty(STDIN_FILENO);
  VaultAccess v = open_vault(r, true, !typed);
  Vault vault(v.dir, *v.keys);
  warn_stray(vault);
  if (typed) {
    SecretPrompt p;
    p.what = "secret";
    p.confirm = true;
    SecretBytes secret = read_secret({}, p);
    MemoryInput in(secret.span());
    vault.put(name, in, keep);
  } else {
    grow_pipe(STDIN_FILENO);
    FdInput in(STDIN_FILENO, "stdin");
    Progress progress("storing " + name, !r.count("quiet"));
    CountedInput counted(in, progress);
    vault.put(name, counted, keep);
  }
  return exit_ok;
}

// Stdin is never read, not even for the passphrase: what a script pipes in
// by mistake is neither stored nor tried as a passphrase. The secret is
// printed only once it is durable, so a failed put prints nothing.
int put_generated(const cxxopts::ParseResult& r, const std::string& name, unsigned keep) {
  std::size_t length = generate_length(r);
  std::string alphabet(alphanumeric);
  if (r.count("symbols")) alphabet += punctuation;
  VaultAccess v = open_vault(r, true, true);
  Vault vault(v.dir, *v.keys);
  warn_stray(vault);
  SecretBytes line = random_text(length + 1, alphabet);
  line.data()[length] = '\n';
  MemoryInput in(line.span().first(length));
  vault.put(name, in, keep);
  if (!r.count("quiet")) write_all(STDOUT_FILENO, line.span(), "stdout");
  return exit_ok;
}

int body(int argc, char** argv) {
  cxxopts::Options o("vault-put", "Store stdin as a secret, encrypted at rest");
  o.custom_help("[options] NAME < secret | --generate N NAME | --delete NAME | --recipients FILE | --move FILE");
  o.positional_help("");
  o.add_options()
      ("keep", "keep the newest N versions of NAME", cxxopts::value<unsigned>()->default_value("10"), "N")
      ("generate", "store N random letters and digits (1 to 4096) and print them; "
       "stdin is not read", cxxopts::value<std::string>(), "N")
      ("symbols", "with --generate: punctuation too")
      ("quiet", "with --generate: print nothing; no progress line on stderr (shown only at a terminal, after "
                "a second)")
      ("delete", "soft-delete NAME (its history is kept)")
      ("recipients", "re-seal the vault key for the public keys in FILE", cxxopts::value<std::string>(), "FILE")
      ("force", "with --recipients: allow a list without your own key")
      ("move", "re-seal the vault key with a recipient's new key, on the move statement in FILE (- for stdin)",
       cxxopts::value<std::string>(), "FILE");
  add_vault_options(o);
  o.parse_positional({"name"});
  o.add_options("hidden")("name", "", cxxopts::value<std::string>());
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r,
                 "\nThe secret is read from stdin (from the terminal with echo off when stdin is\n"
                 "one). Exit status: 0 success, 1 wrong passphrase or key, 2 error. See vault-put(1).\n"))
    return exit_ok;
  check_combination(r);
  if (r.count("recipients")) return reseal(r);
  if (r.count("move")) return reseal_move(r);
  if (!r.count("name")) throw UsageError("give the NAME of the secret (see vault-put --help)");
  std::string name = option<std::string>(r, "name");
  check_entry_name(name);
  unsigned keep = option<unsigned>(r, "keep");
  if (keep < 1) throw UsageError("--keep must be at least 1");
  if (r.count("delete")) return soft_delete(r, name, keep);
  if (r.count("generate")) return put_generated(r, name, keep);
  return put_stdin(r, name, keep);
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("vault-put", argc, argv, grypt::body); }
