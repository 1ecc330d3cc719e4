// What vault-put and vault-get share: the options that pick the vault and
// the identity, and opening the vault with them.
#pragma once

#include <string>

#include "core/file.h"
#include "core/vault.h"
#include "tools/options.h"

namespace grypt {

inline void add_vault_options(cxxopts::Options& o) {
  o.add_options()
      ("vault", "the vault directory (default: $GRYPT_VAULT or $XDG_DATA_HOME/grypt/vault)",
       cxxopts::value<std::string>(), "DIR")
      ("i,identity", "the identity that opens the vault (default: $GRYPT_IDENTITY or "
       "$XDG_DATA_HOME/grypt/identity)", cxxopts::value<std::string>(), "FILE")
      ("passphrase-fd", "read the identity's passphrase from file descriptor N",
       cxxopts::value<int>(), "N")
      ("passphrase-file", "read the identity's passphrase from the first line of F",
       cxxopts::value<std::string>(), "F")
      ("h,help", "print this help")
      ("version", "print the version");
}

struct VaultAccess {
  std::string dir;
  Identity identity;
  LocalVaultKeys keys;
};

// The vault and its key. Whether there is a vault is settled before the
// passphrase is asked.
inline VaultAccess open_vault(const cxxopts::ParseResult& r, bool create, bool stdin_is_data) {
  std::string dir = r.count("vault") ? option<std::string>(r, "vault") : default_vault_path();
  std::string id_path =
      r.count("identity") ? option<std::string>(r, "identity") : default_identity_path();
  if (!vault_exists(dir) && !create)
    throw UsageError("there is no vault at " + dir + " (vault-put creates one)");
  if (!file_exists(id_path))
    throw UsageError("no identity at " + id_path + " (create one with grypt-keygen, or give -i)");
  Identity id = unlock_identity(id_path, secret_source(r, "passphrase"), stdin_is_data);
  LocalVaultKeys keys = open_local_vault(dir, id, create);
  return {dir, std::move(id), std::move(keys)};
}

// Reports files under entries/ that are not entries; they are ignored.
inline void warn_stray(const Vault& vault) {
  for (const std::string& path : vault.stray()) warn(path + " is not a vault entry: ignored");
}

}  // namespace grypt
