#include "core/vault.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/encoding.h"
#include "core/error.h"
#include "core/file.h"
#include "core/identity_file.h"

namespace grypt {
namespace {

constexpr std::uint8_t key_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'V', 'K', 0x01};
constexpr std::uint8_t entry_magic[7] = {'G', 'R', 'Y', 'P', 'T', 'V', 'E'};
constexpr std::uint8_t entry_format = 1;
constexpr std::size_t record_bytes = public_key_bytes + key_bytes + sealed_box_overhead;
constexpr std::size_t mac_bytes = crypto_auth_hmacsha256_BYTES;
constexpr std::size_t max_recipients = 1024;
constexpr std::size_t version_digits = 20;

std::span<const std::uint8_t> label(std::string_view s) { return as_bytes(s); }

std::vector<std::uint8_t> concat(std::string_view label_text, std::span<const std::uint8_t> a,
                                 std::string_view b = {}) {
  std::vector<std::uint8_t> v(label_text.begin(), label_text.end());
  v.insert(v.end(), a.begin(), a.end());
  v.insert(v.end(), b.begin(), b.end());
  return v;
}

std::array<std::uint8_t, mac_bytes> vault_mac(const SecretBytes& vault_key,
                                              std::span<const std::uint8_t> data) {
  SecretBytes k = hkdf_sha256(vault_key.span(), {}, label("grypt vault key mac v1"));
  std::array<std::uint8_t, mac_bytes> mac;
  crypto_auth_hmacsha256(mac.data(), data.data(), data.size(), k.data());
  return mac;
}

void put64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

std::string version_name(std::uint64_t v) {
  std::string s = std::to_string(v);
  return std::string(version_digits - s.size(), '0') + s;
}

bool parse_version_name(const char* name, std::uint64_t& v) {
  if (std::strlen(name) != version_digits) return false;
  v = 0;
  for (const char* p = name; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(*p - '0');
  }
  return v > 0;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    throw SystemError("cannot read directory " + dir, errno);
  }
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  }
  closedir(d);
  return out;
}

// The header and name block of an entry file.
std::vector<std::uint8_t> read_head(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rbe");
  if (f == nullptr) throw SystemError("cannot open " + path, errno);
  std::vector<std::uint8_t> head(entry_header_bytes + name_block_bytes);
  head.resize(std::fread(head.data(), 1, head.size(), f));
  std::fclose(f);
  return head;
}

std::uint64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw SystemError("cannot stat " + path, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

int open_for_reading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError("cannot open " + path, errno);
  return fd;
}

// An entry file being read; closed when done.
class FileInput : public Input {
 public:
  explicit FileInput(const std::string& path) : fd_(open_for_reading(path)), in_(fd_, path) {}
  ~FileInput() override { ::close(fd_); }
  FileInput(const FileInput&) = delete;
  FileInput& operator=(const FileInput&) = delete;
  std::size_t read(std::span<std::uint8_t> buf) override { return in_.read(buf); }

 private:
  int fd_;
  FdInput in_;
};

}  // namespace

void check_entry_name(std::string_view name) {
  if (name.empty()) throw UsageError("the secret name is empty");
  if (name.size() > max_name_bytes)
    throw UsageError("the secret name is longer than 255 bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) throw UsageError("the secret name contains a control character");
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..")
      throw UsageError("invalid secret name '" + std::string(name) +
                       "': no empty, '.' or '..' part, no leading or trailing '/'");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

std::string LocalVaultKeys::locator(std::string_view name) {
  SecretBytes k = hkdf_sha256(key_.span(), {}, label("grypt vault locator v1"));
  std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> mac;
  crypto_auth_hmacsha256(mac.data(), as_bytes(name).data(), name.size(), k.data());
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
  f.push_back(static_cast<std::uint8_t>(recipients.size() >> 8));
  f.push_back(static_cast<std::uint8_t>(recipients.size()));
  for (const PublicKey& r : recipients) {
    f.insert(f.end(), r.bytes().begin(), r.bytes().end());
    std::vector<std::uint8_t> box = r.seal(vault_key.span());
    f.insert(f.end(), box.begin(), box.end());
  }
  auto mac = vault_mac(vault_key, f);
  f.insert(f.end(), mac.begin(), mac.end());
  return f;
}

std::vector<PublicKey> vault_key_recipients(std::span<const std::uint8_t> f) {
  if (f.size() < 10 || std::memcmp(f.data(), key_magic, 7) != 0)
    throw OpenError(Fault::header, "vault.key is not a grypt vault key file");
  if (f[7] != key_magic[7])
    throw OpenError(Fault::header, "vault.key has an unknown version " + std::to_string(f[7]));
  std::size_t n = static_cast<std::size_t>(f[8]) << 8 | f[9];
  if (n == 0 || n > max_recipients || f.size() != 10 + n * record_bytes + mac_bytes)
    throw OpenError(Fault::header, "vault.key is damaged: its size does not match " +
                                       std::to_string(n) + " recipients");
  std::vector<PublicKey> out;
  for (std::size_t i = 0; i < n; ++i) {
    try {
      out.push_back(PublicKey::from_bytes(f.subspan(10 + i * record_bytes, public_key_bytes)));
    } catch (const FormatError& e) {
      throw OpenError(Fault::header, std::string("vault.key is damaged: ") + e.what());
    }
  }
  return out;
}

SecretBytes open_vault_key_file(std::span<const std::uint8_t> f, const Identity& id) {
  std::vector<PublicKey> recipients = vault_key_recipients(f);
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (!(recipients[i] == id.public_key())) continue;
    SecretBytes vault_key;
    auto box = f.subspan(10 + i * record_bytes + public_key_bytes, key_bytes + sealed_box_overhead);
    if (!id.open_sealed(box, vault_key) || vault_key.size() != key_bytes)
      throw OpenError(Fault::wrong_key, "the vault key does not open with this identity");
    auto mac = vault_mac(vault_key, f.first(f.size() - mac_bytes));
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
  put64(&b[16], version);
  put64(&b[24], static_cast<std::uint64_t>(time));
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
  if ((b[8] & ~1u) != 0 || std::any_of(&b[9], &b[16], [](std::uint8_t c) { return c != 0; }))
    throw OpenError(Fault::header, "malformed vault entry header: reserved bits are set");
  EntryHeader h;
  h.tombstone = b[8] & 1;
  h.version = get64(&b[16]);
  h.time = static_cast<std::int64_t>(get64(&b[24]));
  std::memcpy(h.nonce.data(), &b[32], h.nonce.size());
  if (h.version == 0) throw OpenError(Fault::header, "malformed vault entry header: version 0");
  return h;
}

void seal_entry(Output& out, VaultKeys& keys, const EntryHeader& header, std::string_view name,
                Input& plain) {
  check_entry_name(name);
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
  SecretBytes buf(16 * chunk_bytes);  // large reads: fewer system calls
  for (;;) {
    std::size_t n = plain.read(buf.span());
    if (n == 0) break;
    stream.write(std::span(buf.data(), n));
  }
  stream.finish();
}

std::string read_entry_name(std::span<const std::uint8_t> head, VaultKeys& keys,
                            EntryHeader& header) {
  header = EntryHeader::decode(head);
  auto fixed = head.first(entry_header_bytes);
  if (head.size() < entry_header_bytes + name_block_bytes)
    throw OpenError(Fault::truncated, "truncated: the entry's name block is incomplete");
  auto sealed = head.subspan(entry_header_bytes, name_block_bytes);
  SecretBytes nk = keys.name_key(fixed);
  SecretBytes block(256);
  const std::array<std::uint8_t, gcm_nonce_bytes> zero{};
  if (!AesGcm(nk.span()).open(zero, sealed.first(256), sealed.data() + 256, block.data()))
    throw OpenError(Fault::auth, "authentication failed: the entry header or name was modified");
  std::size_t len = block.data()[0];
  if (len == 0 || len > max_name_bytes ||
      !sodium_is_zero(block.data() + 1 + len, 255 - len))
    throw OpenError(Fault::header, "malformed vault entry: bad name block");
  return std::string(reinterpret_cast<const char*>(block.data() + 1), len);
}

EntryOpener::EntryOpener(Input& in, VaultKeys& keys, std::string_view name,
                         std::uint64_t expected_version) {
  std::array<std::uint8_t, entry_header_bytes + name_block_bytes> head;
  std::size_t n = in.read_full(head);
  std::string stored = read_entry_name(std::span(head).first(n), keys, header_);
  if (stored != name)
    throw OpenError(Fault::wrong_name, "the entry holds another name: it was moved or renamed");
  if (expected_version != 0 && header_.version != expected_version)
    throw OpenError(Fault::header, "the entry's version does not match its file name");
  key_ = keys.entry_key(std::span(head).first(entry_header_bytes), name);
  stream_.emplace(key_.span(), in);
}

std::string default_vault_path() {
  if (const char* p = std::getenv("GRYPT_VAULT"); p && *p) return p;
  return xdg_data_home() + "/grypt/vault";
}

void check_vault_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) throw SystemError("cannot open the vault " + dir, errno);
  if (!S_ISDIR(st.st_mode)) throw UsageError("the vault " + dir + " is not a directory");
  if (st.st_uid != ::geteuid())
    throw UsageError("the vault " + dir + " is not owned by you: refusing to use it");
  if (st.st_mode & 022)
    throw UsageError("the vault " + dir + " is writable by others: refusing to use it (chmod 700 " +
                     dir + ")");
}

LocalVaultKeys open_local_vault(const std::string& dir, const Identity& id, bool create) {
  std::string path = dir + "/vault.key";
  if (create && !file_exists(path)) {
    make_dirs(dir);
    check_vault_dir(dir);
    SecretBytes key(key_bytes);
    random_bytes(key.span());
    try {
      write_file_atomic(path, encode_vault_key_file(key, {id.public_key()}), 0600, false);
      return LocalVaultKeys(std::move(key));
    } catch (const SystemError& e) {
      if (e.errnum() != EEXIST) throw;  // another process created it first: use theirs
    }
  }
  check_vault_dir(dir);
  if (!file_exists(path))
    throw UsageError("there is no vault at " + dir + " (vault-put creates one)");
  std::vector<std::uint8_t> f = read_file(path, 10 + max_recipients * record_bytes + mac_bytes);
  try {
    return LocalVaultKeys(open_vault_key_file(f, id));
  } catch (const OpenError& e) {
    throw OpenError(e.fault(), std::string(e.what()) + " (" + path + ")");
  }
}

void reseal_vault(const std::string& dir, const LocalVaultKeys& keys,
                  const std::vector<PublicKey>& recipients) {
  write_file_atomic(dir + "/vault.key", encode_vault_key_file(keys.vault_key(), recipients));
}

Vault::Vault(std::string dir, VaultKeys& keys) : dir_(std::move(dir)), keys_(keys) {}

std::string Vault::entry_dir(std::string_view name) {
  check_entry_name(name);
  return dir_ + "/entries/" + keys_.locator(name);
}

std::vector<std::uint64_t> Vault::versions(const std::string& dir) {
  std::vector<std::uint64_t> out;
  for (const std::string& f : list_dir(dir)) {
    std::uint64_t v;
    if (parse_version_name(f.c_str(), v)) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Vault::put(std::string_view name, Input& in, unsigned keep, bool tombstone) {
  std::string dir = entry_dir(name);
  make_dirs(dir);
  std::vector<std::uint64_t> have = versions(dir);
  EntryHeader h;
  h.tombstone = tombstone;
  h.version = have.empty() ? 1 : have.back() + 1;
  h.time = static_cast<std::int64_t>(std::time(nullptr));
  random_bytes(h.nonce);
  std::string path = dir + "/" + version_name(h.version);
  {
    AtomicFile file(path);
    AtomicFileOutput out(file);
    seal_entry(out, keys_, h, name, in);
    try {
      file.commit(false);
    } catch (const SystemError& e) {
      if (e.errnum() == EEXIST)
        throw SystemError("another vault-put stored " + std::string(name) +
                          " at the same time: nothing was written, try again");
      throw;
    }
  }
  // The new version is durable; only now drop the oldest beyond `keep`.
  have.push_back(h.version);
  if (keep > 0 && have.size() > keep) {
    for (std::size_t i = 0; i + keep < have.size(); ++i)
      ::unlink((dir + "/" + version_name(have[i])).c_str());
    fsync_dir(dir);
  }
}

void Vault::get(std::string_view name, std::uint64_t version, Output& out) {
  std::string dir = entry_dir(name);
  std::vector<std::uint64_t> have = versions(dir);
  if (have.empty()) throw UsageError("no secret named " + std::string(name));
  if (version == 0) {
    version = have.back();
  } else if (!std::binary_search(have.begin(), have.end(), version)) {
    throw UsageError(std::string(name) + " has no version " + std::to_string(version) +
                     " (see --history)");
  }
  FileInput in(dir + "/" + version_name(version));
  EntryOpener entry(in, keys_, name, version);
  if (entry.header().tombstone) {
    while (!entry.done()) entry.next();  // authenticate the tombstone first
    throw UsageError(std::string(name) + " was deleted (see --history)");
  }
  while (!entry.done()) {
    auto plain = entry.next();
    if (!plain.empty()) out.write(plain);
  }
}

std::vector<EntryVersion> Vault::history(std::string_view name) {
  std::string dir = entry_dir(name);
  std::vector<std::uint64_t> have = versions(dir);
  if (have.empty()) throw UsageError("no secret named " + std::string(name));
  std::vector<EntryVersion> out;
  for (auto it = have.rbegin(); it != have.rend(); ++it) {
    std::string path = dir + "/" + version_name(*it);
    EntryHeader h;
    if (read_entry_name(read_head(path), keys_, h) != name)
      throw OpenError(Fault::wrong_name, path + " holds another name: it was moved or renamed");
    if (h.version != *it)
      throw OpenError(Fault::header, path + ": the version does not match the file name");
    EntryVersion v{h.version, h.time, 0, h.tombstone};
    std::uint64_t payload = file_size(path) - entry_header_bytes - name_block_bytes;
    if (!stream_message_size(payload, 0, v.size))
      throw OpenError(Fault::truncated, path + " is truncated");
    out.push_back(v);
  }
  return out;
}

std::vector<std::string> Vault::list(std::string_view prefix,
                                     std::vector<std::string>& unreadable) {
  std::vector<std::string> names;
  std::string entries = dir_ + "/entries";
  for (const std::string& loc : list_dir(entries)) {
    std::vector<std::uint64_t> have = versions(entries + "/" + loc);
    if (have.empty()) continue;
    std::string path = entries + "/" + loc + "/" + version_name(have.back());
    try {
      EntryHeader h;
      std::string name = read_entry_name(read_head(path), keys_, h);
      if (keys_.locator(name) != loc || h.version != have.back())
        throw OpenError(Fault::wrong_name, "moved");
      if (!h.tombstone && name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
    } catch (const OpenError&) {
      unreadable.push_back(path);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace grypt
