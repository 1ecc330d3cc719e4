// The vault (man/grypt.5, VAULT): a directory (0700) holding
//
//   vault.key                       the vault key sealed to recipients
//   entries/<locator>/<version>     one file per kept version of a name
//
// vault.key: "GRYPTVK" 0x01, n (2), n records of ed25519_pk (32) ||
// x25519_pk (32) || crypto_box_seal(vault key) (80), then HMAC-SHA-256 over
// all of it keyed by HKDF(vault key, "", "grypt vault key mac v1").
//
// locator = base64url(HMAC-SHA-256(HKDF(vault key, "", "grypt vault locator
// v1"), name)[0..16)); version file names are 20 decimal digits.
//
// Entry file: header (48) || name block (272) || STREAM payload.
//   off size field
//   0   7    "GRYPTVE"
//   7   1    format version 1
//   8   1    flags: bit 0 tombstone
//   9   7    reserved, zero
//   16  8    version number (= the file name)
//   24  8    time written, Unix seconds
//   32  16   nonce
// name block = AES-256-GCM(HKDF(vault key, nonce, "grypt vault name v1" ||
//   header), zero nonce, len (1) || name || zeros to 256 bytes) || tag
// entry key  = HKDF(vault key, nonce, "grypt vault entry v1" || header || name)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/keys.h"
#include "core/stream.h"

namespace grypt {

inline constexpr std::size_t entry_header_bytes = 48;
inline constexpr std::size_t name_block_bytes = 256 + gcm_tag_bytes;
inline constexpr std::size_t max_name_bytes = 255;
inline constexpr unsigned default_keep = 10;

// Throws UsageError explaining what is wrong with the name.
void check_entry_name(std::string_view name);

// Vault key access, one interface with two providers: the local identity
// (--identity) and, later, gryptd. The vault key stays with the provider.
class VaultKeys {
 public:
  virtual ~VaultKeys() = default;
  virtual std::string locator(std::string_view name) = 0;
  virtual SecretBytes name_key(std::span<const std::uint8_t> header) = 0;
  virtual SecretBytes entry_key(std::span<const std::uint8_t> header, std::string_view name) = 0;
};

class LocalVaultKeys : public VaultKeys {
 public:
  explicit LocalVaultKeys(SecretBytes vault_key) : key_(std::move(vault_key)) {}
  std::string locator(std::string_view name) override;
  SecretBytes name_key(std::span<const std::uint8_t> header) override;
  SecretBytes entry_key(std::span<const std::uint8_t> header, std::string_view name) override;
  const SecretBytes& vault_key() const { return key_; }

 private:
  SecretBytes key_;
};

// vault.key
std::vector<std::uint8_t> encode_vault_key_file(const SecretBytes& vault_key,
                                                const std::vector<PublicKey>& recipients);
std::vector<PublicKey> vault_key_recipients(std::span<const std::uint8_t> file);
// OpenError: header (malformed), wrong_key (not a recipient), auth (MAC).
SecretBytes open_vault_key_file(std::span<const std::uint8_t> file, const Identity& id);

struct EntryHeader {
  bool tombstone = false;
  std::uint64_t version = 0;
  std::int64_t time = 0;
  std::array<std::uint8_t, 16> nonce{};

  std::array<std::uint8_t, entry_header_bytes> encode() const;
  static EntryHeader decode(std::span<const std::uint8_t> bytes);  // OpenError
};

// Writes header, name block and payload (the whole of `plain`).
void seal_entry(Output& out, VaultKeys& keys, const EntryHeader& header, std::string_view name,
                Input& plain);

// Reads and checks header and name block, then yields verified plaintext.
class EntryOpener {
 public:
  // expected_version: the file name's number (0: not checked).
  EntryOpener(Input& in, VaultKeys& keys, std::string_view name, std::uint64_t expected_version);
  const EntryHeader& header() const { return header_; }
  std::span<const std::uint8_t> next() { return stream_->next(); }
  bool done() const { return stream_->done(); }

 private:
  EntryHeader header_;
  SecretBytes key_;
  std::optional<StreamOpener> stream_;
};

// The name in an entry's name block (for listing); OpenError when it does
// not open.
std::string read_entry_name(std::span<const std::uint8_t> head, VaultKeys& keys,
                            EntryHeader& header);

struct EntryVersion {
  std::uint64_t version = 0;
  std::int64_t time = 0;
  std::uint64_t size = 0;
  bool deleted = false;
};

class Vault {
 public:
  Vault(std::string dir, VaultKeys& keys);
  // Stores `in` as a new version; keeps the newest `keep` versions.
  void put(std::string_view name, Input& in, unsigned keep = default_keep,
           bool tombstone = false);
  // version 0: the newest (which must not be a tombstone).
  void get(std::string_view name, std::uint64_t version, Output& out);
  std::vector<EntryVersion> history(std::string_view name);  // newest first
  // Live names starting with prefix, sorted. Entries that do not open are
  // reported in `unreadable` (their paths) and skipped.
  std::vector<std::string> list(std::string_view prefix, std::vector<std::string>& unreadable);

 private:
  std::string entry_dir(std::string_view name);
  std::vector<std::uint64_t> versions(const std::string& dir);  // ascending

  std::string dir_;
  VaultKeys& keys_;
};

// Opens DIR/vault.key with the identity. With create, a missing vault is
// made (directory 0700, a new random vault key sealed to the identity).
LocalVaultKeys open_local_vault(const std::string& dir, const Identity& id, bool create);
// Re-seals the vault key for `recipients`; entries are not re-encrypted.
void reseal_vault(const std::string& dir, const LocalVaultKeys& keys,
                  const std::vector<PublicKey>& recipients);

// Vault directory helpers for the tools.
std::string default_vault_path();  // $GRYPT_VAULT or $XDG_DATA_HOME/grypt/vault
// Refuses a directory that is not ours or that others can write.
void check_vault_dir(const std::string& dir);

}  // namespace grypt
