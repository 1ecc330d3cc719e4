// Files: careful opening, atomic replacement (DESIGN: every write of a key,
// cache or vault file) and locked read-modify-write.
//
// Opening never blocks and checks what it opened: the file is opened with
// O_NONBLOCK (a FIFO or a device cannot hang the tool), its type, owner and
// mode are checked on the descriptor (nothing swapped in between is read),
// and only then is it read.
//
// An AtomicFile writes to an unnamed file in the target's directory
// (O_TMPFILE, the given mode), and commit() fsyncs it, gives it its name
// (linkat; for a replacement a temporary name renamed over the target) and
// fsyncs the directory. Until commit() the target is untouched; a crash or
// error leaves the old version, never a torn one, and a killed writer
// leaves no file behind. Filesystems without O_TMPFILE get a named
// temporary file (O_EXCL | O_NOFOLLOW) instead, removed by the destructor.
// A target that is a symbolic link is followed: its final target is
// replaced, never the link; or, with Symlink::refuse, it is refused, and a
// link put there later is replaced by the rename, never written through. A
// target that exists and is not a regular file (a device, a FIFO, a
// directory) is refused.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/secret.h"

namespace grypt {

// Who may own and write a file.
enum class Access {
  any,      // no check (public keys, recipient lists)
  owner,    // owned by this user, not writable by group or others (vault files)
  private_  // owned by this user, no group or other permission at all (secret keys)
};

struct FilePolicy {
  Access access = Access::any;
  bool follow_symlinks = true;  // false: O_NOFOLLOW (files inside a store)
  bool regular_only = true;     // false: pipes too (a passphrase from <(command))
};

// Opens `path` to be read through once, as cat(1) reads a file: a regular
// file, a FIFO (waiting for its writer, as cat does), a device. A directory
// is refused (UsageError); a file that cannot be opened is a SystemError
// naming it.
Fd open_stream(const std::string& path);

// Opens `path` for reading under `policy`; `st` receives its status.
// Throws SystemError (cannot open), UsageError (not a regular file) or
// FormatError (owner or mode), each naming the path.
Fd open_for_reading(const std::string& path, const FilePolicy& policy, struct stat* st = nullptr);
// The same relative to a directory descriptor (no symlink is followed).
Fd open_in_dir(int dir_fd, const std::string& name, const std::string& path,
               const FilePolicy& policy, struct stat* st = nullptr);
// Throws FormatError when `st` breaks `access` (naming `path`).
void check_access(const struct stat& st, const std::string& path, Access access);

// Reads a whole file of at most max_size bytes.
std::vector<std::uint8_t> read_file(const std::string& path, std::size_t max_size,
                                    const FilePolicy& policy = {});
// The same into guarded memory.
SecretBytes read_secret_file(const std::string& path, std::size_t max_size,
                             const FilePolicy& policy);
// Reads the rest of an open descriptor, at most max_size bytes.
std::size_t read_bounded(int fd, std::uint8_t* out, std::size_t max_size,
                         const std::string& path);

// Whether something exists at `path` (a dangling symlink counts). Throws
// SystemError for anything but "no such file": an unreadable directory is
// not an absent one.
bool file_exists(const std::string& path);
// Creates missing directories of `dir` with mode 0700.
void make_dirs(const std::string& dir);
std::string dir_name(const std::string& path);
std::string base_name(const std::string& path);
void fsync_dir(const std::string& dir);
// Follows symbolic links at the end of `path` to the name they finally
// designate (which need not exist).
std::string resolve_links(const std::string& path);

// What an AtomicFile does with a target that is a symbolic link.
enum class Symlink { follow, refuse };

class AtomicFile {
 public:
  explicit AtomicFile(std::string path, mode_t mode = 0600, Symlink symlink = Symlink::follow);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const std::uint8_t> bytes);
  // Gives the file `mode` exactly, whatever the umask.
  void set_mode(mode_t mode);
  // replace=false refuses to overwrite an existing target (SystemError
  // with EEXIST), atomically: two writers cannot both win.
  void commit(bool replace = true);
  const std::string& path() const { return path_; }

  // Test seams: the steps of commit() in order, each reported to a hook
  // that may throw to simulate a failure there; and the fallback path of
  // filesystems without O_TMPFILE.
  enum class Step { synced, linked, replaced, dir_synced };
  static void set_step_hook(std::function<void(Step)> hook);
  static void set_force_named_temp(bool on);
  // Replaces the random temporary names (tests plant files at them);
  // `attempt` counts the names tried for one file.
  static void set_temp_name_hook(
      std::function<std::string(const std::string& target, int attempt)> hook);

 private:
  void link_to(const std::string& name);

  std::string path_;    // as given, for messages
  std::string target_;  // with symbolic links resolved
  std::string temp_;    // the named temporary file, when there is one
  int fd_ = -1;
};

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                       mode_t mode = 0600, bool replace = true);

// Read-modify-write of `path` by processes that may run at once: holds an
// exclusive lock (flock on the file's directory) while it reads the current
// content (nullptr when there is none), asks `change` for the new content,
// runs `before_commit` (for output that must precede the change, so that a
// failure there leaves the file as it was) and replaces the file atomically.
void update_file_locked(const std::string& path, std::size_t max_size,
                        const FilePolicy& policy,
                        const std::function<SecretBytes(const SecretBytes* current)>& change,
                        const std::function<void()>& before_commit, mode_t mode = 0600);

}  // namespace grypt
