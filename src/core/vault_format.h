// The vault's file formats (man/grypt.5, VAULT), bytes in and bytes out:
// what the directory store (vault.h), the fuzzers and the vectors use.
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
//   16  8    version number (= the file name), 1 to max_version
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
inline constexpr std::size_t entry_head_bytes = entry_header_bytes + name_block_bytes;
inline constexpr std::size_t max_name_bytes = 255;
inline constexpr std::size_t max_recipients = 1024;
inline constexpr std::size_t vault_key_record_bytes = 144;
inline constexpr std::size_t max_vault_key_file = 10 + max_recipients * vault_key_record_bytes + 32;
// Version numbers run from 1 to 10^15 - 1: far beyond any real use, and
// far from overflow.
inline constexpr std::uint64_t max_version = 999'999'999'999'999;
inline constexpr std::size_t version_name_digits = 20;
inline constexpr std::size_t locator_chars = 22;

// What is wrong with an entry name, or empty: 1 to 255 bytes of clean
// UTF-8 (text.h: no control or bidirectional formatting characters), "/"
// between non-empty components other than "." and "..".
std::string entry_name_defect(std::string_view name);
// Throws UsageError with that defect.
void check_entry_name(std::string_view name);

// "00000000000000000042" for 42; and back (false for anything that is not
// 20 digits of a number from 1 to max_version).
std::string version_file_name(std::uint64_t version);
bool parse_version_file_name(std::string_view name, std::uint64_t& version);
// A locator as the store names its directories: 22 base64url characters.
bool valid_locator(std::string_view name);

// Vault key access, one interface with two providers: the local identity
// (--identity) and gryptd. The vault key stays with the provider.
class VaultKeys {
 public:
  virtual ~VaultKeys() = default;
  virtual std::string locator(std::string_view name) = 0;
  virtual SecretBytes name_key(std::span<const std::uint8_t> header) = 0;
  virtual SecretBytes entry_key(std::span<const std::uint8_t> header, std::string_view name) = 0;
  // Batches, so that a provider across a socket answers a whole scan at
  // once; by default one by one.
  virtual std::vector<std::string> locators(const std::vector<std::string>& names);
  virtual std::vector<SecretBytes> name_keys(const std::vector<std::span<const std::uint8_t>>& headers);
  // Both keys of one entry: its name block's and its payload's.
  virtual std::pair<SecretBytes, SecretBytes> both_keys(std::span<const std::uint8_t> header,
                                                        std::string_view name);
};

class LocalVaultKeys : public VaultKeys {
 public:
  explicit LocalVaultKeys(SecretBytes vault_key);
  std::string locator(std::string_view name) override;
  SecretBytes name_key(std::span<const std::uint8_t> header) override;
  SecretBytes entry_key(std::span<const std::uint8_t> header, std::string_view name) override;
  const SecretBytes& vault_key() const { return key_; }

 private:
  SecretBytes key_;
  SecretBytes locator_key_;
};

// vault.key
std::vector<std::uint8_t> encode_vault_key_file(const SecretBytes& vault_key,
                                                const std::vector<PublicKey>& recipients);
// The recipients, each a checked public key. OpenError(header) for
// anything malformed: size, magic, version, count, a recipient listed
// twice, an invalid public key.
std::vector<PublicKey> vault_key_recipients(std::span<const std::uint8_t> file);
// OpenError: header (malformed, as above but for the keys of others, which
// only the MAC covers), wrong_key (not a recipient, or the box does not
// open), auth (MAC).
SecretBytes open_vault_key_file(std::span<const std::uint8_t> file, const Identity& id);

struct EntryHeader {
  bool tombstone = false;
  std::uint64_t version = 0;
  std::int64_t time = 0;
  std::array<std::uint8_t, 16> nonce{};

  std::array<std::uint8_t, entry_header_bytes> encode() const;
  // OpenError: truncated (fewer than 48 bytes), header (anything else).
  static EntryHeader decode(std::span<const std::uint8_t> bytes);
};

// Writes header, name block and payload (the whole of `plain`).
void seal_entry(Output& out, VaultKeys& keys, const EntryHeader& header, std::string_view name,
                Input& plain);

// The name in an entry's name block; `head` is the first 320 bytes of the
// file (fewer: truncated). OpenError: truncated, header, auth.
std::string read_entry_name(std::span<const std::uint8_t> head, VaultKeys& keys,
                            EntryHeader& header);
// The same with the entry's name key at hand (a batch asked for it).
std::string read_entry_name_with(std::span<const std::uint8_t> head, const SecretBytes& name_key,
                                 EntryHeader& header);

// Reads and checks header and name block, then yields verified plaintext.
class EntryOpener {
 public:
  // expected_version: the file name's number (0: not checked). size_hint:
  // the file size when known, so buffers fit small entries.
  EntryOpener(Input& in, VaultKeys& keys, std::string_view name, std::uint64_t expected_version,
              std::uint64_t size_hint = 0);
  const EntryHeader& header() const { return header_; }
  // Verified plaintext; empty at the end and after it. OpenError(header)
  // for a tombstone that carries data.
  std::span<const std::uint8_t> next();
  bool done() const { return stream_->done(); }

 private:
  EntryHeader header_;
  SecretBytes key_;
  std::optional<StreamOpener> stream_;
};

}  // namespace grypt
