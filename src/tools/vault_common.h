// What vault-put and vault-get share: the options that pick the vault and
// the identity, and opening the vault with them: through gryptd when it
// runs and no --identity is given (no Argon2 unlock per run), else with the
// identity file.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "core/file.h"
#include "core/vault.h"
#include "ipc/daemon_client.h"
#include "cli/options.h"

namespace grypt {

inline void add_vault_options(cxxopts::Options& o) {
  o.add_options()
      ("vault", "the vault directory (default: $GRYPT_VAULT or $XDG_DATA_HOME/grypt/vault)",
       cxxopts::value<std::string>(), "DIR")
      ("i,identity", "the identity that opens the vault, without the daemon (default: the "
       "daemon's, or $GRYPT_IDENTITY, or $XDG_DATA_HOME/grypt/identity)",
       cxxopts::value<std::string>(), "FILE")
      ("passphrase-fd", "read the identity's passphrase from file descriptor N",
       cxxopts::value<int>(), "N")
      ("passphrase-file", "read the identity's passphrase from the first line of F",
       cxxopts::value<std::string>(), "F")
      ("socket", "the daemon's socket (default: $GRYPT_SOCKET or $XDG_RUNTIME_DIR/grypt/gryptd.sock)",
       cxxopts::value<std::string>(), "PATH")
      ("h,help", "print this help")
      ("version", "print the version");
}

// The vault key's provider: the daemon, or a local identity.
struct VaultAccess {
  std::string dir;
  std::optional<DaemonClient> client;
  std::unique_ptr<Identity> identity;
  std::unique_ptr<VaultKeys> keys;
  PublicKey own;  // the key that opens the vault

  // Re-seals the vault key (the entries stay as they are) for the
  // recipients `list` makes of the present ones, read under the vault
  // directory's lock: two re-seals at once never lose one's change. The
  // file must still hold the vault key that was opened.
  void reseal(const std::function<std::vector<PublicKey>(std::vector<PublicKey>)>& list) {
    const std::string path = dir + "/vault.key";
    update_file_locked(
        path, max_vault_key_file, {.access = Access::owner, .follow_symlinks = false},
        [&](const SecretBytes* current) {
          if (!current) throw UsageError(path + " is gone; nothing was changed");
          std::span<const std::uint8_t> now = current->span();
          std::vector<PublicKey> recipients = list(vault_key_recipients(now));
          if (identity) {
            SecretBytes key = open_vault_key_file(now, *identity);
            if (!ct_equal(key.span(), static_cast<LocalVaultKeys&>(*keys).vault_key().span()))
              throw OpenError(Fault::wrong_key, path + " was replaced meanwhile; nothing was changed");
            std::vector<std::uint8_t> file = encode_vault_key_file(key, recipients);
            return SecretBytes::copy_of(file);
          }
          // The daemon opens the file as it is now, and re-seals that key.
          daemon::Vault req;
          req.vault_key_file.assign(now.begin(), now.end());
          req.reseal = recipients;
          return SecretBytes::copy_of(std::get<daemon::VaultReply>(client->call(req)).vault_key_file);
        },
        [] {});
  }
};

inline VaultAccess open_vault(const cxxopts::ParseResult& r, bool create, bool stdin_is_data) {
  VaultAccess v;
  v.dir = r.count("vault") ? option<std::string>(r, "vault") : default_vault_path();
  if (!vault_exists(v.dir) && !create)
    throw UsageError("there is no vault at " + v.dir + " (vault-put creates one)");
  bool passphrase = r.count("passphrase-fd") || r.count("passphrase-file");
  if (!r.count("identity")) {
    std::string sock = r.count("socket") ? option<std::string>(r, "socket") : default_socket_path();
    if ((v.client = DaemonClient::connect(sock))) {
      if (passphrase) throw UsageError("the daemon holds the identity: --passphrase-fd and --passphrase-file go with --identity");
      auto status = std::get<daemon::StatusReply>(v.client->call(daemon::Status{}));
      v.own = PublicKey::parse(status.identity);
      std::string key_path = v.dir + "/vault.key";
      std::vector<std::uint8_t> file;
      if (!vault_exists(v.dir)) {
        make_dirs(v.dir);
        check_vault_dir(v.dir);
        daemon::Vault req;
        req.create = true;
        auto reply = std::get<daemon::VaultReply>(v.client->call(req));
        try {
          write_file_atomic(key_path, reply.vault_key_file, 0600, false);
          file = reply.vault_key_file;
        } catch (const SystemError& e) {
          if (e.errnum() != EEXIST) throw;  // another process made it first: use theirs
        }
      }
      check_vault_dir(v.dir);
      if (file.empty())
        file = read_file(key_path, max_vault_key_file, {.access = Access::owner, .follow_symlinks = false});
      try {
        // One request now, to fail early and name the file if it does not open.
        daemon::Vault probe;
        probe.vault_key_file = file;
        v.client->call(probe);
      } catch (const DaemonRefusal& e) {
        throw OpenError(Fault::wrong_key, std::string(e.what()) + " (" + key_path + ")");
      }
      v.keys = std::make_unique<DaemonVaultKeys>(*v.client, std::move(file));
      return v;
    }
  }
  std::string id_path =
      r.count("identity") ? option<std::string>(r, "identity") : default_identity_path();
  if (!file_exists(id_path))
    throw UsageError("no identity at " + id_path + " (create one with grypt-keygen, or give -i)");
  v.identity = std::make_unique<Identity>(unlock_identity(id_path, secret_source(r, "passphrase"), stdin_is_data));
  v.own = v.identity->public_key();
  v.keys = std::make_unique<LocalVaultKeys>(open_local_vault(v.dir, *v.identity, create));
  return v;
}

// Reports files under entries/ that are not entries; they are ignored.
inline void warn_stray(const Vault& vault) {
  for (const std::string& path : vault.stray()) warn(path + " is not a vault entry: ignored");
}

}  // namespace grypt
