// grypt-keygen: create a member identity, print its public key
// (man/grypt-keygen.1).
#include "core/file.h"
#include "core/identity_file.h"
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

int create(const std::string& path, bool force, bool no_passphrase, const SecretSource& source,
           const Argon2Params& params) {
  if (!force && file_exists(path))
    throw UsageError(path + " exists (use --force to replace it)");
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
  o.custom_help("[-o FILE] [--force] [--no-passphrase] | --public [-i FILE]");
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
      ("i,identity", "the identity for --public", cxxopts::value<std::string>(), "FILE")
      ("h,help", "print this help")
      ("version", "print the version");
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r, "\nExit status: 0 success, 2 error. See grypt-keygen(1).\n")) return exit_ok;
  if (r.count("public")) {
    if (r.count("output") || r.count("force") || r.count("no-passphrase"))
      throw UsageError("--public does not create an identity: drop -o, --force, --no-passphrase");
    return print_public(r.count("identity") ? option<std::string>(r, "identity")
                                            : default_identity_path());
  }
  if (r.count("identity")) throw UsageError("-i goes with --public; use -o to create");
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
