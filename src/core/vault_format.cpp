#include "core/vault_format.h"

#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/text.h"

namespace grypt {
namespace {

constexpr std::uint8_t key_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'V', 'K', 0x01};
constexpr std::uint8_t entry_magic[7] = {'G', 'R', 'Y', 'P', 'T', 'V', 'E'};
constexpr std::uint8_t entry_format = 1;
constexpr std::size_t record_bytes = vault_key_record_bytes;
constexpr std::size_t mac_bytes = 32;
static_assert(record_bytes == public_key_bytes + key_bytes + sealed_box_overhead);

std::span<const std::uint8_t> label(std::string_view s) { return as_bytes(s); }

std::vector<std::uint8_t> concat(std::string_view label_text, std::span<const std::uint8_t> a,
                                 std::string_view b = {}) {
  std::vector<std::uint8_t> v(label_text.begin(), label_text.end());
  v.insert(v.end(), a.begin(), a.end());
  v.insert(v.end(), b.begin(), b.end());
  return v;
}

Mac vault_mac(const SecretBytes& vault_key, std::span<const std::uint8_t> data) {
  SecretBytes k = hkdf_sha256(vault_key.span(), {}, label("grypt vault key mac v1"));
  return hmac_sha256(k.span(), data);
}

}  // namespace

std::string entry_name_defect(std::string_view name) {
  if (name.empty()) return "the secret name is empty";
  if (name.size() > max_name_bytes) return "the secret name is longer than 255 bytes";
  std::string text = grypt::name_defect(name);
  if (!text.empty()) return "invalid secret name: " + text;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = name.find('/', start);
    std::string_view part =
        name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..")
      return "invalid secret name '" + std::string(name) +
             "': no empty, '.' or '..' part, no leading or trailing '/'";
    if (slash == std::string_view::npos) return "";
    start = slash + 1;
  }
}

void check_entry_name(std::string_view name) {
  std::string defect = entry_name_defect(name);
  if (!defect.empty()) throw UsageError(defect);
}

std::string version_file_name(std::uint64_t v) {
  std::string s = std::to_string(v);
  return std::string(version_name_digits - s.size(), '0') + s;
}

bool parse_version_file_name(std::string_view name, std::uint64_t& v) {
  if (name.size() != version_name_digits) return false;
  v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    // 20 digits can exceed 2^64: stop before the arithmetic could wrap.
    if (v > max_version) return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v >= 1 && v <= max_version;
}

bool valid_locator(std::string_view name) {
  std::vector<std::uint8_t> raw;
  return name.size() == locator_chars && base64_try_decode(name, Base64::url_unpadded, raw) &&
         raw.size() == 16;
}

std::vector<std::string> VaultKeys::locators(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) out.push_back(locator(n));
  return out;
}

std::vector<SecretBytes> VaultKeys::name_keys(
    const std::vector<std::span<const std::uint8_t>>& headers) {
  std::vector<SecretBytes> out;
  for (auto h : headers) out.push_back(name_key(h));
  return out;
}

std::pair<SecretBytes, SecretBytes> VaultKeys::both_keys(std::span<const std::uint8_t> header,
                                                         std::string_view name) {
  return {name_key(header), entry_key(header, name)};
}

LocalVaultKeys::LocalVaultKeys(SecretBytes vault_key)
    : key_(std::move(vault_key)),
      locator_key_(hkdf_sha256(key_.span(), {}, label("grypt vault locator v1"))) {}

std::string LocalVaultKeys::locator(std::string_view name) {
  Mac mac = hmac_sha256(locator_key_.span(), as_bytes(name));
  return base64_encode(std::span(mac).first(16), Base64::url_unpadded);
}

SecretBytes LocalVaultKeys::name_key(std::span<const std::uint8_t> header) {
  return hkdf_sha256(key_.span(), header.subspan(32, 16), concat("grypt vault name v1", header));
}

SecretBytes LocalVaultKeys::entry_key(std::span<const std::uint8_t> header,
                                      std::string_view name) {
  return hkdf_sha256(key_.span(), header.subspan(32, 16),
                     concat("grypt vault entry v1", header, name));
}

std::vector<std::uint8_t> encode_vault_key_file(const SecretBytes& vault_key,
                                                const std::vector<PublicKey>& recipients) {
  if (recipients.empty() || recipients.size() > max_recipients)
    throw UsageError("a vault needs 1 to 1024 recipients");
  std::vector<std::uint8_t> f(key_magic, key_magic + sizeof key_magic);
  f.resize(10);
  put_be16(&f[8], static_cast<std::uint16_t>(recipients.size()));
  for (const PublicKey& r : recipients) {
    f.insert(f.end(), r.bytes().begin(), r.bytes().end());
    std::vector<std::uint8_t> box = r.seal(vault_key.span());
    f.insert(f.end(), box.begin(), box.end());
  }
  Mac mac = vault_mac(vault_key, f);
  f.insert(f.end(), mac.begin(), mac.end());
  return f;
}

namespace {

// Checks everything of vault.key but the MAC and returns the number of
// records. Records are compared byte for byte: a reader finds its own, and
// the rest are covered by the MAC.
std::size_t check_vault_key_layout(std::span<const std::uint8_t> f) {
  if (f.size() < 10 || std::memcmp(f.data(), key_magic, 7) != 0)
    throw OpenError(Fault::header, "vault.key is not a grypt vault key file");
  if (f[7] != key_magic[7])
    throw OpenError(Fault::header, "vault.key has an unknown version " + std::to_string(f[7]));
  std::size_t n = get_be16(&f[8]);
  if (n == 0 || n > max_recipients || f.size() != 10 + n * record_bytes + mac_bytes)
    throw OpenError(Fault::header, "vault.key is damaged: its size does not match " +
                                       std::to_string(n) + " recipients");
  for (std::size_t i = 1; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (std::memcmp(&f[10 + i * record_bytes], &f[10 + j * record_bytes], public_key_bytes) == 0)
        throw OpenError(Fault::header, "vault.key is damaged: recipient " + std::to_string(i + 1) +
                                           " is listed twice");
  return n;
}

}  // namespace

std::vector<PublicKey> vault_key_recipients(std::span<const std::uint8_t> f) {
  std::size_t n = check_vault_key_layout(f);
  std::vector<PublicKey> out;
  for (std::size_t i = 0; i < n; ++i) {
    try {
      out.push_back(PublicKey::from_bytes(f.subspan(10 + i * record_bytes, public_key_bytes)));
    } catch (const FormatError& e) {
      throw OpenError(Fault::header, "vault.key is damaged: recipient " + std::to_string(i + 1) +
                                         ": " + e.what());
    }
  }
  return out;
}

SecretBytes open_vault_key_file(std::span<const std::uint8_t> f, const Identity& id) {
  std::size_t n = check_vault_key_layout(f);
  auto own = id.public_key().bytes();
  for (std::size_t i = 0; i < n; ++i) {
    if (std::memcmp(&f[10 + i * record_bytes], own.data(), public_key_bytes) != 0) continue;
    SecretBytes vault_key;
    auto box = f.subspan(10 + i * record_bytes + public_key_bytes, key_bytes + sealed_box_overhead);
    if (!id.open_sealed(box, vault_key) || vault_key.size() != key_bytes)
      throw OpenError(Fault::wrong_key, "the vault key does not open with this identity");
    Mac mac = vault_mac(vault_key, f.first(f.size() - mac_bytes));
    if (!ct_equal(mac, f.last(mac_bytes)))
      throw OpenError(Fault::auth, "vault.key was modified: its MAC does not verify");
    return vault_key;
  }
  throw OpenError(Fault::wrong_key, "this identity (" + id.public_key().fingerprint_text() +
                                        ") is not a recipient of the vault");
}

std::array<std::uint8_t, entry_header_bytes> EntryHeader::encode() const {
  std::array<std::uint8_t, entry_header_bytes> b{};
  std::memcpy(b.data(), entry_magic, sizeof entry_magic);
  b[7] = entry_format;
  b[8] = tombstone ? 1 : 0;
  put_be64(&b[16], version);
  put_be64(&b[24], static_cast<std::uint64_t>(time));
  std::memcpy(&b[32], nonce.data(), nonce.size());
  return b;
}

EntryHeader EntryHeader::decode(std::span<const std::uint8_t> b) {
  if (b.size() < entry_header_bytes)
    throw OpenError(Fault::truncated, "truncated: the entry header is incomplete");
  if (std::memcmp(b.data(), entry_magic, sizeof entry_magic) != 0)
    throw OpenError(Fault::header, "not a grypt vault entry");
  if (b[7] != entry_format)
    throw OpenError(Fault::header, "vault entry of unknown format " + std::to_string(b[7]));
  if ((b[8] & ~1u) != 0 || !is_zero(b.subspan(9, 7)))
    throw OpenError(Fault::header, "malformed vault entry header: reserved bits are set");
  EntryHeader h;
  h.tombstone = b[8] & 1;
  h.version = get_be64(&b[16]);
  h.time = static_cast<std::int64_t>(get_be64(&b[24]));
  std::memcpy(h.nonce.data(), &b[32], h.nonce.size());
  if (h.version == 0 || h.version > max_version)
    throw OpenError(Fault::header,
                    "malformed vault entry header: version " + std::to_string(h.version));
  return h;
}

void seal_entry(Output& out, VaultKeys& keys, const EntryHeader& header, std::string_view name,
                Input& plain) {
  check_entry_name(name);
  if (header.version == 0 || header.version > max_version)
    throw std::logic_error("vault entry version out of range");
  auto head = header.encode();
  out.write(head);
  SecretBytes block(256);
  block.data()[0] = static_cast<std::uint8_t>(name.size());
  std::memcpy(block.data() + 1, name.data(), name.size());
  std::array<std::uint8_t, name_block_bytes> sealed;
  SecretBytes nk = keys.name_key(head);
  const std::array<std::uint8_t, gcm_nonce_bytes> zero{};
  AesGcm(nk.span()).seal(zero, block.span(), sealed.data(), sealed.data() + 256);
  out.write(sealed);
  SecretBytes ek = keys.entry_key(head, name);
  StreamSealer stream(ek.span(), out);
  stream.write_all_of(plain);
  stream.finish();
}

std::string read_entry_name(std::span<const std::uint8_t> head, VaultKeys& keys,
                            EntryHeader& header) {
  header = EntryHeader::decode(head);
  if (head.size() < entry_head_bytes)
    throw OpenError(Fault::truncated, "truncated: the entry's name block is incomplete");
  return read_entry_name_with(head, keys.name_key(head.first(entry_header_bytes)), header);
}

std::string read_entry_name_with(std::span<const std::uint8_t> head, const SecretBytes& nk,
                                 EntryHeader& header) {
  header = EntryHeader::decode(head);
  if (head.size() < entry_head_bytes)
    throw OpenError(Fault::truncated, "truncated: the entry's name block is incomplete");
  auto sealed = head.subspan(entry_header_bytes, name_block_bytes);
  SecretBytes block(256);
  const std::array<std::uint8_t, gcm_nonce_bytes> zero{};
  if (!AesGcm(nk.span()).open(zero, sealed.first(256), sealed.data() + 256, block.data()))
    throw OpenError(Fault::auth, "authentication failed: the entry header or name was modified");
  std::size_t len = block.data()[0];
  if (len == 0 || !is_zero(block.span().subspan(1 + len)))
    throw OpenError(Fault::header, "malformed vault entry: bad name block");
  std::string name(reinterpret_cast<const char*>(block.data() + 1), len);
  if (!entry_name_defect(name).empty())
    throw OpenError(Fault::header, "malformed vault entry: the name block holds an invalid name");
  return name;
}

EntryOpener::EntryOpener(Input& in, VaultKeys& keys, std::string_view name,
                         std::uint64_t expected_version, std::uint64_t size_hint) {
  std::array<std::uint8_t, entry_head_bytes> head;
  std::size_t n = in.read_full(head);
  header_ = EntryHeader::decode(std::span(head).first(n));
  if (n < entry_head_bytes)
    throw OpenError(Fault::truncated, "truncated: the entry's name block is incomplete");
  // Both keys at once: one request when the vault key is the daemon's.
  auto [nk, ek] = keys.both_keys(std::span(head).first(entry_header_bytes), name);
  std::string stored = read_entry_name_with(head, nk, header_);
  if (stored != name)
    throw OpenError(Fault::wrong_name, "the entry holds another name: it was moved or renamed");
  if (expected_version != 0 && header_.version != expected_version)
    throw OpenError(Fault::header, "the entry's version does not match its file name");
  key_ = std::move(ek);
  std::uint64_t payload = size_hint > entry_head_bytes ? size_hint - entry_head_bytes : 0;
  stream_.emplace(key_.span(), in, 0, payload);
}

std::span<const std::uint8_t> EntryOpener::next() {
  auto plain = stream_->next();
  if (header_.tombstone && !plain.empty())
    throw OpenError(Fault::header, "malformed vault entry: a tombstone that carries data");
  return plain;
}

}  // namespace grypt
