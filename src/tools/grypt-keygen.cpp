// grypt-keygen: create a member identity, print its public key
// (man/grypt-keygen.1).
#include <algorithm>
#include <ctime>

#include "core/file.h"
#include "core/group_cache.h"
#include "core/text.h"
#include "core/vault_format.h"
#include "core/identity_file.h"
#include "core/move_statement.h"
#include "cli/options.h"

namespace grypt {
namespace {

Argon2Params kdf_profile(const std::string& name) {
  if (name == "rfc9106-low") return identity_kdf_default;
  if (name == "rfc9106") return {1, 2u << 20, 4};
  if (name == "owasp") return {2, 19u << 10, 1};
  throw UsageError("unknown --kdf-profile '" + name + "': use rfc9106-low, rfc9106 or owasp");
}

int print_public(const std::string& path) {
  write_stdout(load_identity_info(path).public_key.to_string() + "\n");
  return exit_ok;
}

// The fingerprint of a key given as grypt-pk:..., or else of the identity.
int print_fingerprint(const cxxopts::ParseResult& r) {
  if (r.count("identity") && r.count("key")) throw UsageError("give -i FILE or a KEY, not both");
  PublicKey key = r.count("key") ? PublicKey::parse(option<std::string>(r, "key"))
                                 : load_identity_info(r.count("identity") ? option<std::string>(r, "identity")
                                                                          : default_identity_path())
                                       .public_key;
  write_stdout(key.fingerprint_text() + "\n");
  return exit_ok;
}

// The other modes than creating one: --public, --fingerprint.
std::optional<int> show(const cxxopts::ParseResult& r) {
  const char* mode = r.count("public") ? "--public" : r.count("fingerprint") ? "--fingerprint" : nullptr;
  if (!mode) return std::nullopt;
  if (r.count("public") && r.count("fingerprint")) throw UsageError("give only one of --public and --fingerprint");
  if (r.count("output") || r.count("force") || r.count("no-passphrase"))
    throw UsageError(std::string(mode) + " does not create an identity: drop -o, --force, --no-passphrase");
  if (r.count("fingerprint")) return print_fingerprint(r);
  if (r.count("key")) throw UsageError("--public takes no KEY (it prints the identity's key)");
  return print_public(r.count("identity") ? option<std::string>(r, "identity") : default_identity_path());
}

// --change-passphrase: the same keys under a new passphrase (or none, with
// --no-passphrase), written beside the old file, unlocked again with the
// new passphrase and only then renamed over the old one.
struct Rewrap {
  std::string path;
  SecretSource old_source, new_source;
  bool no_passphrase = false;
  std::optional<Argon2Params> params;
};

SecretBytes new_passphrase(const Rewrap& w) {
  SecretPrompt p;
  p.what = "new passphrase";
  p.flag = "new-passphrase";
  p.confirm = true;
  p.empty_hint = " (use --no-passphrase to remove the passphrase)";
  return read_secret(w.new_source, p);
}

int change_passphrase(const Rewrap& w) {
  SecretBytes before = read_secret_file(w.path, 4096, {.access = Access::private_});
  IdentityInfo info = inspect_identity(before.span(), w.path);
  if (w.no_passphrase && !info.encrypted)
    throw UsageError("the identity in " + w.path + " has no passphrase already");
  Identity id = decode_identity(before.span(), w.path, [&] { return read_secret(w.old_source, SecretPrompt{}); });
  std::optional<SecretBytes> passphrase;
  if (!w.no_passphrase) passphrase = new_passphrase(w);
  Argon2Params params = w.params ? *w.params : info.encrypted ? info.params : identity_kdf_default;
  std::vector<std::uint8_t> after = encode_identity(id, passphrase ? &*passphrase : nullptr, params);
  Identity again = decode_identity(after, w.path, [&] { return SecretBytes::copy_of(passphrase->span()); });
  if (again.public_key() != id.public_key())
    throw SystemError("the identity written for " + w.path + " does not unlock to the same keys; nothing was changed");
  AtomicFile out(w.path);
  out.write(after);
  wipe(after.data(), after.size());
  out.commit(true);
  if (w.no_passphrase)
    warn("the identity in " + w.path +
         " is not protected by a passphrase any more: anyone who can read it can act as you");
  return exit_ok;
}

Rewrap rewrap_of(const cxxopts::ParseResult& r) {
  if (r.count("output") || r.count("force") || r.count("key") || r.count("public") || r.count("fingerprint"))
    throw UsageError("--change-passphrase changes the identity of -i FILE (or the default): drop -o, --force, "
                     "--public, --fingerprint and KEY");
  Rewrap w;
  w.path = r.count("identity") ? option<std::string>(r, "identity") : default_identity_path();
  w.old_source = secret_source(r, "passphrase");
  w.new_source = secret_source(r, "new-passphrase");
  w.no_passphrase = r.count("no-passphrase") > 0;
  if (w.no_passphrase && w.new_source.kind != SecretSource::Kind::automatic)
    throw UsageError("--no-passphrase does not go with --new-passphrase-fd or --new-passphrase-file");
  if (r.count("kdf-profile")) w.params = kdf_profile(option<std::string>(r, "kdf-profile"));
  return w;
}

// The groups the default identity has joined (the groups file gryptd
// keeps), by name.
std::vector<std::string> joined_groups() {
  std::vector<std::string> names;
  for (const GroupEntry& g : load_groups_file(groups_file_path())) names.push_back(g.name);
  return names;
}

bool vault_recipient(const PublicKey& key) {
  std::string file = default_vault_path() + "/vault.key";
  if (!file_exists(file)) return false;
  std::vector<PublicKey> keys = vault_key_recipients(read_file(file, max_vault_key_file));
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// --force replaces an identity only if nothing is locked to it: a vault
// sealed to its key, or groups it joined, would be lost with it. An
// identity file that does not load is replaced (that is what --force is for).
void refuse_replacing_in_use(const std::string& path) {
  std::optional<PublicKey> key;
  try {
    key = load_identity_info(path).public_key;
  } catch (const Error&) {
    return;
  }
  if (vault_recipient(*key))
    throw UsageError("the identity in " + path + " opens the vault " + default_vault_path() +
                     ": a new one would not; make the new identity elsewhere (-o), sign a move to it "
                     "(grypt-keygen --move-to FILE) and re-seal the vault with it (vault-put --move), then replace "
                     "this one");
  if (path != default_identity_path()) return;
  std::vector<std::string> groups = joined_groups();
  if (!groups.empty())
    throw UsageError("the identity in " + path + " has joined " + std::to_string(groups.size()) + " group(s) (" +
                     printable(groups.front()) + (groups.size() > 1 ? ", ..." : "") +
                     "): a new one would be a stranger to them; make the new identity elsewhere (-o) and give "
                     "their administrators the statement of grypt-keygen --move-to FILE, or leave the groups first");
}

// --move-to NEW: the move statement from the identity of -i (or the
// default) to the one in NEW, signed by both (grypt-protocol.7, MOVE
// STATEMENTS), for the administrators of its groups.
int move_to(const cxxopts::ParseResult& r) {
  for (const char* o : {"output", "force", "no-passphrase", "public", "fingerprint", "change-passphrase", "key",
                        "kdf-profile"})
    if (r.count(o))
      throw UsageError("--move-to signs a move statement from -i FILE (or the default) to an identity made "
                       "already: drop -o, --force, --no-passphrase, --public, --fingerprint, --change-passphrase, "
                       "--kdf-profile and KEY");
  const std::string old_path = r.count("identity") ? option<std::string>(r, "identity") : default_identity_path();
  const std::string new_path = option<std::string>(r, "move-to");
  SecretSource old_source = secret_source(r, "passphrase"), new_source = secret_source(r, "new-passphrase");
  SecretPrompt old_prompt;
  old_prompt.what = "passphrase of " + printable(old_path);
  Identity old_id = load_identity(old_path, [&] { return read_secret(old_source, old_prompt); });
  SecretPrompt new_prompt;
  new_prompt.what = "passphrase of " + printable(new_path);
  new_prompt.flag = "new-passphrase";
  Identity new_id = load_identity(new_path, [&] { return read_secret(new_source, new_prompt); });
  if (old_id.public_key().same_signer(new_id.public_key()))
    throw UsageError(old_path + " and " + new_path + " hold the same key");
  write_stdout(MoveStatement::make(old_id, new_id, std::time(nullptr)) + "\n");
  return exit_ok;
}

int create(const std::string& path, bool force, bool no_passphrase, const SecretSource& source,
           const Argon2Params& params) {
  if (!force && file_exists(path))
    throw UsageError(path + " exists (use --force to replace it)");
  if (force && file_exists(path)) refuse_replacing_in_use(path);
  // Where the identity goes is checked before the passphrase is asked: a
  // device or directory is refused, an unwritable directory reported.
  make_dirs(dir_name(path));
  AtomicFile out(path);
  SecretBytes passphrase;
  if (!no_passphrase) {
    SecretPrompt p;
    p.what = "passphrase";
    p.confirm = true;
    p.empty_hint = " (use --no-passphrase for an unencrypted identity)";
    passphrase = read_secret(source, p);
  }
  Identity id = Identity::generate();
  std::vector<std::uint8_t> file =
      encode_identity(id, no_passphrase ? nullptr : &passphrase, params);
  out.write(file);
  wipe(file.data(), file.size());
  // The public key is printed before the identity gets its name: if stdout
  // fails, no identity is left behind.
  write_stdout(id.public_key().to_string() + "\n");
  try {
    out.commit(force);
  } catch (const SystemError& e) {
    if (e.errnum() == EEXIST)
      throw UsageError(path + " exists (use --force to replace it); no identity was created");
    throw SystemError(std::string(e.what()) + "; no identity was created");
  }
  if (no_passphrase)
    warn("the identity in " + path + " is not protected by a passphrase: anyone who can read it can act as you");
  return exit_ok;
}

int body(int argc, char** argv) {
  cxxopts::Options o("grypt-keygen", "Create a grypt identity and print its public key");
  o.custom_help(
      "[-o FILE] [--force] [--no-passphrase] | --public [-i FILE] | --fingerprint [-i FILE | KEY] | "
      "--change-passphrase [-i FILE] [--no-passphrase] | --move-to NEW [-i FILE]");
  o.positional_help("");
  o.add_options()
      ("o,output", "where to create the identity (default: $XDG_DATA_HOME/grypt/identity)",
       cxxopts::value<std::string>(), "FILE")
      ("force", "replace an existing identity file")
      ("no-passphrase", "store the secret keys unencrypted (for hosts and cron)")
      ("passphrase-fd", "read the passphrase from file descriptor N", cxxopts::value<int>(), "N")
      ("passphrase-file", "read the passphrase from the first line of F",
       cxxopts::value<std::string>(), "F")
      ("kdf-profile", "Argon2id for the passphrase: rfc9106-low (default), rfc9106, owasp",
       cxxopts::value<std::string>()->default_value("rfc9106-low"), "NAME")
      ("public", "print the public key of an existing identity")
      ("fingerprint", "print the fingerprint of the identity, or of KEY, as people compare it")
      ("change-passphrase", "give the identity a new passphrase (or none, with --no-passphrase)")
      ("move-to", "print a move statement from the identity to the one in NEW, for your groups' administrators",
       cxxopts::value<std::string>(), "NEW")
      ("new-passphrase-fd", "with --change-passphrase: the new passphrase (--move-to: NEW's) from descriptor N",
       cxxopts::value<int>(), "N")
      ("new-passphrase-file", "with --change-passphrase: the new passphrase (--move-to: NEW's) from the first line of F",
       cxxopts::value<std::string>(), "F")
      ("i,identity", "the identity for --public, --fingerprint, --change-passphrase and --move-to",
       cxxopts::value<std::string>(), "FILE")
      ("h,help", "print this help")
      ("version", "print the version");
  o.add_options("hidden")("key", "", cxxopts::value<std::string>());
  o.parse_positional({"key"});
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r,
                           "\nExit status: 0 success, 1 wrong passphrase (--change-passphrase, --move-to), 2 error. "
                           "See grypt-keygen(1).\n"))
    return exit_ok;
  if (r.count("move-to")) return move_to(r);
  if (r.count("change-passphrase")) return change_passphrase(rewrap_of(r));
  if (r.count("new-passphrase-fd") || r.count("new-passphrase-file"))
    throw UsageError("--new-passphrase-fd and --new-passphrase-file go with --change-passphrase or --move-to");
  if (std::optional<int> shown = show(r)) return *shown;
  if (r.count("identity")) throw UsageError("-i goes with --public or --fingerprint; use -o to create");
  if (r.count("key")) throw UsageError("a KEY goes with --fingerprint; grypt-keygen creates an identity with no KEY");
  SecretSource source = secret_source(r, "passphrase");
  bool no_passphrase = r.count("no-passphrase") > 0;
  if (no_passphrase && source.kind != SecretSource::Kind::automatic)
    throw UsageError("--no-passphrase does not go with --passphrase-fd or --passphrase-file");
  std::string path =
      r.count("output") ? option<std::string>(r, "output") : default_identity_path();
  return create(path, r.count("force") > 0, no_passphrase, source,
                kdf_profile(option<std::string>(r, "kdf-profile")));
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) {
  return grypt::run_tool("grypt-keygen", argc, argv, grypt::body);
}
