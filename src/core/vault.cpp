#include "core/vault.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "core/error.h"
#include "core/file.h"

namespace grypt {
namespace {

const FilePolicy entry_policy{.access = Access::owner, .follow_symlinks = false};

// Names in `dir` but "." and ".." (and our own temporary files, which start
// with a dot); nothing if it does not exist.
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    throw SystemError("cannot read directory " + dir, errno);
  }
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  closedir(d);
  return out;
}

// Status of a directory inside the vault: not a symlink, ours, not
// writable by others. False if it does not exist.
bool check_inner_dir(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw SystemError("cannot look at " + path, errno);
  }
  if (!S_ISDIR(st.st_mode))
    throw UsageError(path + " is not a directory: the vault is damaged");
  check_access(st, path, Access::owner);
  return true;
}

bool has_entries(const std::string& dir) { return !list_dir(dir + "/entries").empty(); }

// An entry file being read, with its size.
class EntryFile : public Input {
 public:
  explicit EntryFile(const std::string& path) : path_(path) {
    struct stat st;
    fd_ = open_for_reading(path, entry_policy, &st);
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  std::size_t read(std::span<std::uint8_t> buf) override {
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw SystemError("cannot read " + path_, errno);
    }
  }
  std::uint64_t size() const { return size_; }

 private:
  std::string path_;
  Fd fd_;
  std::uint64_t size_ = 0;
};

std::vector<std::uint8_t> read_head(EntryFile& f) {
  std::vector<std::uint8_t> head(entry_head_bytes);
  head.resize(f.read_full(head));
  return head;
}

class NullOutput : public Output {
 public:
  void write(std::span<const std::uint8_t>) override {}
};

}  // namespace

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

bool vault_exists(const std::string& dir) {
  if (file_exists(dir + "/vault.key")) return true;
  if (file_exists(dir) && has_entries(dir))
    throw UsageError(dir + " holds entries but no vault.key: refusing to make a new vault "
                           "beside them (restore vault.key from a backup)");
  return false;
}

LocalVaultKeys open_local_vault(const std::string& dir, const Identity& id, bool create) {
  std::string path = dir + "/vault.key";
  if (create && !vault_exists(dir)) {
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
  if (!vault_exists(dir))
    throw UsageError("there is no vault at " + dir + " (vault-put creates one)");
  std::vector<std::uint8_t> f = read_file(path, max_vault_key_file, entry_policy);
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

Vault::Vault(std::string dir, VaultKeys& keys) : dir_(std::move(dir)), keys_(keys) {
  check_vault_dir(dir_);
  scan();
}

void Vault::scan() {
  names_.clear();
  unreadable_.clear();
  stray_.clear();
  std::string entries = dir_ + "/entries";
  if (!check_inner_dir(entries)) return;
  // The newest version of every name, read first; their keys are then
  // asked for in two batches (one round trip each through the daemon).
  struct Newest {
    std::string locator, path;
    std::uint64_t version;
    std::vector<std::uint8_t> head;
  };
  std::vector<Newest> found;
  for (const std::string& loc : list_dir(entries)) {
    std::string ldir = entries + "/" + loc;
    struct stat st;
    if (!valid_locator(loc) || ::lstat(ldir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      stray_.push_back(ldir);
      continue;
    }
    check_access(st, ldir, Access::owner);
    // A concurrent put may prune a version between listing and reading:
    // list again once.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::vector<std::uint64_t> have = versions(ldir);
      if (have.empty()) break;
      std::string path = ldir + "/" + version_file_name(have.back());
      try {
        EntryFile f(path);
        found.push_back({loc, path, have.back(), read_head(f)});
      } catch (const SystemError& e) {
        if (e.errnum() == ENOENT && attempt == 0) continue;
        throw;
      }
      break;
    }
  }
  std::vector<std::span<const std::uint8_t>> heads;
  std::vector<Newest*> asked;
  for (Newest& n : found) {
    try {
      EntryHeader::decode(n.head);
      if (n.head.size() < entry_head_bytes) throw OpenError(Fault::truncated, "");
      heads.push_back(std::span(n.head).first(entry_header_bytes));
      asked.push_back(&n);
    } catch (const OpenError&) {
      unreadable_.push_back(n.path);
    }
  }
  std::vector<SecretBytes> keys = keys_.name_keys(heads);
  std::vector<std::string> names;
  std::vector<std::pair<Newest*, EntryHeader>> opened;
  for (std::size_t i = 0; i < asked.size(); ++i) {
    try {
      EntryHeader h;
      std::string name = read_entry_name_with(asked[i]->head, keys[i], h);
      if (h.version != asked[i]->version) throw OpenError(Fault::header, "");
      names.push_back(std::move(name));
      opened.emplace_back(asked[i], h);
    } catch (const OpenError&) {
      unreadable_.push_back(asked[i]->path);
    }
  }
  std::vector<std::string> locators = keys_.locators(names);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (locators[i] != opened[i].first->locator)
      unreadable_.push_back(opened[i].first->path);  // moved from another name's place
    else
      names_.push_back({opened[i].first->locator, std::move(names[i]), opened[i].second});
  }
  std::sort(unreadable_.begin(), unreadable_.end());
  std::sort(stray_.begin(), stray_.end());
  stray_.erase(std::unique(stray_.begin(), stray_.end()), stray_.end());
}

void Vault::require_bound(std::string_view except) const {
  std::vector<std::string> bad;
  std::string skip = except.empty() ? "" : dir_ + "/entries/" + std::string(except) + "/";
  for (const std::string& path : unreadable_)
    if (skip.empty() || path.compare(0, skip.size(), skip) != 0) bad.push_back(path);
  if (bad.empty()) return;
  std::string more = bad.size() > 1 ? " (and " + std::to_string(bad.size() - 1) + " more)" : "";
  throw OpenError(Fault::wrong_key,
                  "the vault key does not match its entries: " + bad.front() + " does not open" +
                      more + "; vault.key was replaced, or that entry was damaged or moved");
}

std::string Vault::entry_dir(std::string_view name) {
  check_entry_name(name);
  return dir_ + "/entries/" + keys_.locator(name);
}

std::vector<std::uint64_t> Vault::versions(const std::string& dir) {
  std::vector<std::uint64_t> out;
  for (const std::string& f : list_dir(dir)) {
    std::uint64_t v;
    if (parse_version_file_name(f, v))
      out.push_back(v);
    else
      stray_.push_back(dir + "/" + f);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Vault::put(std::string_view name, Input& in, unsigned keep) {
  store(name, in, keep, false);
}

void Vault::store(std::string_view name, Input& in, unsigned keep, bool tombstone) {
  require_bound();
  std::string dir = entry_dir(name);
  make_dirs(dir);
  check_inner_dir(dir_ + "/entries");
  check_inner_dir(dir);
  std::vector<std::uint64_t> have = versions(dir);
  if (!have.empty() && have.back() >= max_version)
    throw UsageError(std::string(name) + " has reached the highest version number");
  EntryHeader h;
  h.tombstone = tombstone;
  h.version = have.empty() ? 1 : have.back() + 1;
  h.time = static_cast<std::int64_t>(std::time(nullptr));
  random_bytes(h.nonce);
  std::string path = dir + "/" + version_file_name(h.version);
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
  // The new version is durable; only now drop the oldest beyond `keep`,
  // from the sorted list of real versions (never a stray file).
  have.push_back(h.version);
  if (keep > 0 && have.size() > keep) {
    for (std::size_t i = 0; i + keep < have.size(); ++i)
      ::unlink((dir + "/" + version_file_name(have[i])).c_str());
    fsync_dir(dir);
  }
}

void Vault::remove(std::string_view name, unsigned keep) {
  std::string dir = entry_dir(name);
  require_bound(keys_.locator(name));
  std::vector<std::uint64_t> have = versions(dir);
  if (have.empty()) throw UsageError("no secret named " + std::string(name));
  std::string path = dir + "/" + version_file_name(have.back());
  EntryFile f(path);
  try {
    EntryOpener entry(f, keys_, name, have.back(), f.size());
    NullOutput none;
    while (!entry.done()) none.write(entry.next());
    if (entry.header().tombstone) throw UsageError(std::string(name) + " is already deleted");
  } catch (const OpenError& e) {
    throw OpenError(e.fault(), path + ": " + e.what() + "; nothing was deleted");
  }
  MemoryInput empty({});
  store(name, empty, keep, true);
}

void Vault::get(std::string_view name, std::uint64_t version, Output& out) {
  std::string dir = entry_dir(name);
  require_bound(keys_.locator(name));
  std::vector<std::uint64_t> have = versions(dir);
  if (have.empty()) throw UsageError("no secret named " + std::string(name));
  if (version == 0) {
    version = have.back();
  } else if (!std::binary_search(have.begin(), have.end(), version)) {
    throw UsageError(std::string(name) + " has no version " + std::to_string(version) +
                     " (see --history)");
  }
  EntryFile in(dir + "/" + version_file_name(version));
  EntryOpener entry(in, keys_, name, version, in.size());
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
  require_bound(keys_.locator(name));
  std::vector<std::uint64_t> have = versions(dir);
  if (have.empty()) throw UsageError("no secret named " + std::string(name));
  std::vector<EntryVersion> out;
  for (auto it = have.rbegin(); it != have.rend(); ++it) {
    std::string path = dir + "/" + version_file_name(*it);
    EntryFile f(path);
    EntryHeader h;
    if (read_entry_name(read_head(f), keys_, h) != name)
      throw OpenError(Fault::wrong_name, path + " holds another name: it was moved or renamed");
    if (h.version != *it)
      throw OpenError(Fault::header, path + ": the version does not match the file name");
    EntryVersion v{h.version, h.time, 0, h.tombstone};
    if (f.size() < entry_head_bytes ||
        !stream_message_size(f.size() - entry_head_bytes, 0, v.size))
      throw OpenError(Fault::truncated, path + " is truncated");
    out.push_back(v);
  }
  return out;
}

bool name_matches(std::string_view pattern, std::string_view name) {
  if (pattern.find_first_of("*?[") == std::string_view::npos) return name.starts_with(pattern);
  return fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), FNM_PATHNAME) == 0;
}

std::vector<std::string> Vault::list(std::string_view pattern) {
  scan();
  if (names_.empty() && !unreadable_.empty()) require_bound();
  std::vector<std::string> out;
  for (const Name& n : names_)
    if (!n.newest.tombstone && name_matches(pattern, n.name)) out.push_back(n.name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace grypt
