// Files: atomic replacement (DESIGN §6) and careful reads of key files.
//
// An AtomicFile writes to an unnamed file in the target's directory
// (O_TMPFILE, the given mode), and commit() fsyncs it, gives it its name
// (linkat; for a replacement a temporary name renamed over the target) and
// fsyncs the directory. Until commit() the target is untouched; a crash or
// error leaves the old version, never a torn one, and a killed writer
// leaves no file behind. Filesystems without O_TMPFILE get a named
// temporary file (O_EXCL) instead, removed by the destructor.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/secret.h"

namespace grypt {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path, mode_t mode = 0600);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const std::uint8_t> bytes);
  // replace=false refuses to overwrite an existing target (SystemError
  // with EEXIST), atomically: two writers cannot both win.
  void commit(bool replace = true);
  const std::string& path() const { return path_; }

 private:
  void link_to(const std::string& name);

  std::string path_;
  std::string temp_;  // the named temporary file, when there is one
  int fd_ = -1;
};

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                       mode_t mode = 0600, bool replace = true);

// Reads a whole regular file of at most max_size bytes.
std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_size);
// The same into guarded memory; with require_private the file must be owned
// by this user with no group or other permission bits. regular_only=false
// also reads pipes and devices (a passphrase from <(command)).
SecretBytes read_secret_file(const std::string& path, std::size_t max_size,
                             bool require_private, bool regular_only = true);

bool file_exists(const std::string& path);
// Creates missing directories of `dir` with mode 0700.
void make_dirs(const std::string& dir);
std::string dir_name(const std::string& path);
void fsync_dir(const std::string& dir);

}  // namespace grypt
