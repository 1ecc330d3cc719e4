#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
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

int open_regular(const std::string& path, struct stat& st, bool regular_only = true) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw SystemError("cannot open " + path, errno);
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw SystemError("cannot stat " + path, e);
  }
  if (regular_only && !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FormatError(path + " is not a regular file");
  }
  return fd;
}

}  // namespace

std::string dir_name(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw SystemError("cannot open directory " + dir, errno);
  if (::fsync(fd.get()) != 0) throw SystemError("cannot sync directory " + dir, errno);
}

namespace {

std::string temp_name(const std::string& path) {
  std::uint8_t rnd[9];
  random_bytes(rnd);
  return dir_name(path) + "/." + base_name(path) + ".tmp-" + base64_encode(rnd, Base64::url_unpadded);
}

}  // namespace

AtomicFile::AtomicFile(std::string path, mode_t mode) : path_(std::move(path)) {
  std::string dir = dir_name(path_);
  // Naming an unnamed file later goes through /proc/self/fd.
  static const bool have_proc = ::access("/proc/self/fd", X_OK) == 0;
  if (have_proc) {
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (fd_ >= 0) return;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      throw SystemError("cannot create a file in " + dir, errno);
  }
  for (int attempt = 0; attempt < 16; ++attempt) {
    temp_ = temp_name(path_);
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

// Gives the unnamed file a name; fails with EEXIST if the name is taken.
void AtomicFile::link_to(const std::string& name) {
  std::string self = "/proc/self/fd/" + std::to_string(fd_);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) != 0)
    throw SystemError("cannot create " + name, errno);
}

void AtomicFile::commit(bool replace) {
  if (::fsync(fd_) != 0) throw SystemError("cannot write " + path_, errno);
  if (temp_.empty()) {
    // Unnamed file: linkat never replaces, so a replacement goes through a
    // temporary name that is renamed over the target.
    if (!replace) {
      link_to(path_);
    } else {
      std::string t = temp_name(path_);
      link_to(t);
      if (::rename(t.c_str(), path_.c_str()) != 0) {
        int e = errno;
        ::unlink(t.c_str());
        throw SystemError("cannot replace " + path_, e);
      }
    }
  } else if (replace) {
    if (::rename(temp_.c_str(), path_.c_str()) != 0)
      throw SystemError("cannot replace " + path_, errno);
  } else if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) !=
             0) {
    // Filesystems without RENAME_NOREPLACE: link() also refuses to overwrite.
    if (errno != EINVAL && errno != ENOSYS) throw SystemError("cannot create " + path_, errno);
    if (::link(temp_.c_str(), path_.c_str()) != 0)
      throw SystemError("cannot create " + path_, errno);
    ::unlink(temp_.c_str());
  }
  temp_.clear();
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw SystemError("cannot write " + path_, errno);
  }
  fd_ = -1;
  fsync_dir(dir_name(path_));
}

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                       mode_t mode, bool replace) {
  AtomicFile f(path, mode);
  f.write(bytes);
  f.commit(replace);
}

std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_size) {
  struct stat st;
  Fd fd(open_regular(path, st));
  std::vector<std::uint8_t> out(max_size + 1);
  out.resize(read_bounded(fd.get(), out.data(), max_size, path));
  return out;
}

SecretBytes read_secret_file(const std::string& path, std::size_t max_size,
                             bool require_private, bool regular_only) {
  struct stat st;
  Fd fd(open_regular(path, st, regular_only));
  if (require_private) {
    if (st.st_uid != ::geteuid())
      throw FormatError(path + " is not owned by you: refusing to use it");
    if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      throw FormatError(path + " has mode " + mode +
                        ": it must not be readable by others (chmod 600 " + path + ")");
    }
  }
  SecretBytes out(max_size + 1);
  out.truncate(read_bounded(fd.get(), out.data(), max_size, path));
  return out;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
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

}  // namespace grypt
