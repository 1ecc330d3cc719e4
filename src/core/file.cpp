#include "core/file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>

#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

std::function<void(AtomicFile::Step)> g_step_hook;
bool g_force_named_temp = false;
std::function<std::string(const std::string&, int)> g_temp_name_hook;

void step(AtomicFile::Step s) {
  if (g_step_hook) g_step_hook(s);
}

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

// Checks type and access on the opened descriptor, then makes reads block
// again (a pipe, where allowed, is read normally).
Fd checked(Fd fd, const std::string& path, const FilePolicy& policy, struct stat* out) {
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw SystemError("cannot stat " + path, errno);
  bool pipe_ok = !policy.regular_only && S_ISFIFO(st.st_mode);
  if (!S_ISREG(st.st_mode) && !pipe_ok)
    throw UsageError(path + " is " + kind_of(st.st_mode) + ", not a regular file");
  if (!pipe_ok) check_access(st, path, policy.access);
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  if (out) *out = st;
  return fd;
}

[[noreturn]] void open_failed(const std::string& path, int e, bool follow) {
  if (e == ELOOP && !follow) throw UsageError(path + " is a symbolic link: refusing to follow it");
  throw SystemError("cannot open " + path, e);
}

std::string random_temp_name(const std::string& target, int attempt) {
  if (g_temp_name_hook) return g_temp_name_hook(target, attempt);
  std::uint8_t rnd[9];
  random_bytes(rnd);
  return dir_name(target) + "/." + base_name(target) + ".tmp-" +
         base64_encode(rnd, Base64::url_unpadded);
}

}  // namespace

void check_access(const struct stat& st, const std::string& path, Access access) {
  if (access == Access::any) return;
  if (st.st_uid != ::geteuid())
    throw FormatError(path + " is not owned by you: refusing to use it");
  if (access == Access::private_ && (st.st_mode & 077) != 0)
    throw FormatError(path + " has mode " + mode_text(st.st_mode) +
                      ": it must not be readable by others (chmod 600 " + path + ")");
  if (access == Access::owner && (st.st_mode & 022) != 0)
    throw FormatError(path + " has mode " + mode_text(st.st_mode) +
                      ": others can write it, refusing to use it (chmod go-w " + path + ")");
}

Fd open_for_reading(const std::string& path, const FilePolicy& policy, struct stat* st) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (!policy.follow_symlinks) flags |= O_NOFOLLOW;
  Fd fd(::open(path.c_str(), flags));
  if (!fd.valid()) open_failed(path, errno, policy.follow_symlinks);
  return checked(std::move(fd), path, policy, st);
}

Fd open_stream(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) throw SystemError("cannot open " + path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw SystemError("cannot stat " + path, errno);
  if (S_ISDIR(st.st_mode)) throw UsageError(path + " is a directory");
  return fd;
}

Fd open_in_dir(int dir_fd, const std::string& name, const std::string& path,
               const FilePolicy& policy, struct stat* st) {
  Fd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (!fd.valid()) open_failed(path, errno, false);
  return checked(std::move(fd), path, policy, st);
}

// Reads up to max_size bytes of fd into out, which has room for max_size + 1
// so that an oversized file is noticed.
std::size_t read_bounded(int fd, std::uint8_t* out, std::size_t max_size,
                         const std::string& path) {
  std::size_t have = 0;
  while (have <= max_size) {
    ssize_t n = ::read(fd, out + have, max_size + 1 - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read " + path, errno);
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > max_size)
    throw FormatError(path + " is too large (more than " + std::to_string(max_size) +
                      " bytes)");
  return have;
}

std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_size,
                                    const FilePolicy& policy) {
  Fd fd = open_for_reading(path, policy);
  std::vector<std::uint8_t> out(max_size + 1);
  out.resize(read_bounded(fd.get(), out.data(), max_size, path));
  return out;
}

SecretBytes read_secret_file(const std::string& path, std::size_t max_size,
                             const FilePolicy& policy) {
  Fd fd = open_for_reading(path, policy);
  SecretBytes out(max_size + 1);
  out.truncate(read_bounded(fd.get(), out.data(), max_size, path));
  return out;
}

std::string dir_name(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("cannot open directory " + dir, errno);
  if (::fsync(fd.get()) != 0) throw SystemError("cannot sync directory " + dir, errno);
}

std::string resolve_links(const std::string& path) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    char buf[PATH_MAX];
    ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    if (n < 0) throw SystemError("cannot read the link " + p, errno);
    std::string target(buf, static_cast<std::size_t>(n));
    p = target[0] == '/' ? target : dir_name(p) + "/" + target;
  }
  throw SystemError("cannot resolve " + path, ELOOP);
}

bool file_exists(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  throw SystemError("cannot look at " + path, errno);
}

void make_dirs(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw SystemError(dir + " is not a directory");
    return;
  }
  make_dirs(dir_name(dir));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw SystemError("cannot create directory " + dir, errno);
}

void AtomicFile::set_step_hook(std::function<void(Step)> hook) { g_step_hook = std::move(hook); }
void AtomicFile::set_force_named_temp(bool on) { g_force_named_temp = on; }
void AtomicFile::set_temp_name_hook(
    std::function<std::string(const std::string& target, int attempt)> hook) {
  g_temp_name_hook = std::move(hook);
}

AtomicFile::AtomicFile(std::string path, mode_t mode, Symlink symlink)
    : path_(std::move(path)), target_(symlink == Symlink::follow ? resolve_links(path_) : path_) {
  struct stat st;
  int got = symlink == Symlink::follow ? ::stat(target_.c_str(), &st) : ::lstat(target_.c_str(), &st);
  if (got == 0 && !S_ISREG(st.st_mode))
    throw UsageError(path_ + " is " + kind_of(st.st_mode) + ": refusing to replace it");
  std::string dir = dir_name(target_);
  // Naming an unnamed file later goes through /proc/self/fd.
  static const bool have_proc = ::access("/proc/self/fd", X_OK) == 0;
  if (have_proc && !g_force_named_temp) {
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (fd_ >= 0) return;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      throw SystemError("cannot create a file in " + dir, errno);
  }
  for (int attempt = 0; attempt < 16; ++attempt) {
    temp_ = random_temp_name(target_, attempt);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  int e = errno;
  temp_.clear();
  throw SystemError("cannot create a file in " + dir, e);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot write " + path_, errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

void AtomicFile::set_mode(mode_t mode) {
  if (::fchmod(fd_, mode) != 0) throw SystemError("cannot set the mode of " + path_, errno);
}

// Gives the unnamed file a name; fails with EEXIST if the name is taken.
void AtomicFile::link_to(const std::string& name) {
  std::string self = "/proc/self/fd/" + std::to_string(fd_);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) != 0)
    throw SystemError("cannot create " + name, errno);
}

void AtomicFile::commit(bool replace) {
  if (::fsync(fd_) != 0) throw SystemError("cannot write " + path_, errno);
  step(Step::synced);
  if (temp_.empty()) {
    // Unnamed file: linkat never replaces, so a replacement goes through a
    // temporary name that is renamed over the target. A name taken by
    // someone else (even a planted symlink) is never written through.
    if (!replace) {
      link_to(target_);
      step(Step::linked);
    } else {
      std::string t;
      for (int attempt = 0;; ++attempt) {
        t = random_temp_name(target_, attempt);
        try {
          link_to(t);
          break;
        } catch (const SystemError& e) {
          if (e.errnum() != EEXIST || attempt == 15) throw;
        }
      }
      try {
        step(Step::linked);
        step(Step::replaced);
        if (::rename(t.c_str(), target_.c_str()) != 0)
          throw SystemError("cannot replace " + path_, errno);
      } catch (...) {
        ::unlink(t.c_str());
        throw;
      }
    }
  } else if (replace) {
    step(Step::replaced);
    if (::rename(temp_.c_str(), target_.c_str()) != 0)
      throw SystemError("cannot replace " + path_, errno);
  } else {
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) != 0) {
      // Filesystems without RENAME_NOREPLACE: link() also refuses to overwrite.
      if (errno != EINVAL && errno != ENOSYS) throw SystemError("cannot create " + path_, errno);
      if (::link(temp_.c_str(), target_.c_str()) != 0)
        throw SystemError("cannot create " + path_, errno);
      ::unlink(temp_.c_str());
    }
    step(Step::linked);
  }
  temp_.clear();
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw SystemError("cannot write " + path_, errno);
  }
  fd_ = -1;
  fsync_dir(dir_name(target_));
  step(Step::dir_synced);
}

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                       mode_t mode, bool replace) {
  AtomicFile f(path, mode);
  f.write(bytes);
  f.commit(replace);
}

void update_file_locked(const std::string& path, std::size_t max_size,
                        const FilePolicy& policy,
                        const std::function<SecretBytes(const SecretBytes* current)>& change,
                        const std::function<void()>& before_commit, mode_t mode) {
  std::string target = resolve_links(path);
  std::string dir = dir_name(target);
  // The lock is on the directory: the file itself is replaced by rename,
  // so a lock on it would be left behind on the old inode.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) throw SystemError("cannot open directory " + dir, errno);
  while (::flock(dir_fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw SystemError("cannot lock " + dir, errno);
  SecretBytes current;
  bool exists = file_exists(target);
  if (exists) current = read_secret_file(target, max_size, policy);
  SecretBytes next = change(exists ? &current : nullptr);
  AtomicFile f(target, mode);
  f.write(next.span());
  before_commit();
  f.commit(true);
}

}  // namespace grypt
