// The vault directory store (man/grypt.5, VAULT; formats in vault_format.h):
//
//   DIR/vault.key                      the vault key sealed to recipients
//   DIR/entries/<locator>/<version>    one file per kept version of a name
//
// Everything in it must be owned by the user and writable by nobody else;
// nothing in it is a symbolic link. Opening a Vault reads the newest
// version of every name: the vault key must open each of them (the key is
// bound to its entries, so a replaced vault.key is detected before a put
// could encrypt to it or a get could return a planted value). Files that
// are not entries are reported and ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/vault_format.h"

namespace grypt {

inline constexpr unsigned default_keep = 10;

struct EntryVersion {
  std::uint64_t version = 0;
  std::int64_t time = 0;
  std::uint64_t size = 0;
  bool deleted = false;
};

class Vault {
 public:
  // Checks the directory and entries/ and reads every name's newest
  // version. Throws FormatError for a file or directory that others can
  // write or that is not ours.
  Vault(std::string dir, VaultKeys& keys);

  // Stores `in` as a new version; keeps the newest `keep` versions.
  void put(std::string_view name, Input& in, unsigned keep = default_keep);
  // Soft delete: checks the newest version in full (exit 1 if it does not
  // open), then writes a tombstone.
  void remove(std::string_view name, unsigned keep = default_keep);
  // version 0: the newest (which must not be a tombstone).
  void get(std::string_view name, std::uint64_t version, Output& out);
  std::vector<EntryVersion> history(std::string_view name);  // newest first
  // Live names that match `pattern` (name_matches), sorted. Throws
  // OpenError(wrong_key) when no entry opens; otherwise those that do not
  // are in unreadable().
  std::vector<std::string> list(std::string_view pattern);

  // Paths of newest versions that do not open with the vault key.
  const std::vector<std::string>& unreadable() const { return unreadable_; }
  // Paths under entries/ that are not entries (ignored).
  const std::vector<std::string>& stray() const { return stray_; }
  // Throws OpenError(wrong_key) unless every name's newest version opens
  // (but those under `except`, a locator whose entries the caller opens
  // itself and so reports precisely): put, get, remove and history call it.
  void require_bound(std::string_view except = {}) const;

 private:
  struct Name {
    std::string locator, name;
    EntryHeader newest;
  };
  void scan();
  std::string entry_dir(std::string_view name);
  std::vector<std::uint64_t> versions(const std::string& dir);  // ascending
  void store(std::string_view name, Input& in, unsigned keep, bool tombstone);

  std::string dir_;
  VaultKeys& keys_;
  std::vector<Name> names_;
  std::vector<std::string> unreadable_, stray_;
};

// What vault-get --list selects (man/vault-get.1, --list): a pattern with
// a glob character ('*', '?' or '[') must match the whole name, as
// fnmatch(3) with FNM_PATHNAME matches it, so no wildcard matches a '/';
// any other pattern is a prefix, as --list took before it took globs. The
// tools never call setlocale(3): in the C locale fnmatch compares bytes,
// whatever the user's locale (glibc's C.UTF-8 fnmatch takes '??' for one
// two-byte character as well as '?', so characters would not be exact).
bool name_matches(std::string_view pattern, std::string_view name);

// Whether DIR holds a vault (a vault.key). Throws UsageError when it holds
// entries without a vault.key, SystemError when it cannot be looked at.
bool vault_exists(const std::string& dir);
// Opens DIR/vault.key with the identity. With create, a missing vault is
// made (directory 0700, a new random vault key sealed to the identity),
// unless entries exist without a vault.key: that is an error, never a new
// vault.
LocalVaultKeys open_local_vault(const std::string& dir, const Identity& id, bool create);
// Re-seals the vault key for `recipients`; entries are not re-encrypted.
void reseal_vault(const std::string& dir, const LocalVaultKeys& keys,
                  const std::vector<PublicKey>& recipients);
// Refuses a vault directory that is not ours or that others can write.
void check_vault_dir(const std::string& dir);

}  // namespace grypt
