// The FILE operands of grypt-seal and grypt-open, read as cat(1) reads
// them ("-" is stdin), and their -o FILE (grypt-seal.1, grypt-open.1).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "cli/options.h"
#include "core/fd.h"
#include "core/file.h"
#include "core/io.h"

namespace grypt {

// One FILE, open and streamed from start to end: a regular file, a FIFO
// (waited for until its writer opens it), a device. A directory, or a file
// that is missing or cannot be read, is an error naming it (exit status 2).
class InputFile {
 public:
  explicit InputFile(const std::string& operand)
      : file_(operand == "-" ? Fd() : open_stream(operand)),
        fd_(file_.valid() ? file_.get() : STDIN_FILENO),
        name_(operand == "-" ? "stdin" : operand),
        in_(fd_, name_) {
    grow_pipe(fd_);
  }
  int fd() const { return fd_; }
  // The operand, or "stdin" for "-".
  const std::string& name() const { return name_; }
  Input& in() { return in_; }

 private:
  Fd file_;
  int fd_;
  std::string name_;
  FdInput in_;
};

inline void add_output_option(cxxopts::Options& o, const std::string& what) {
  o.add_options()("o,output", what, cxxopts::value<std::string>(), "FILE");
}

// Where the output goes: stdout, or with -o FILE ("-" is stdout) a new file
// in FILE's directory that replaces FILE only on commit(), once the tool
// succeeded (AtomicFile: fsync, rename, fsync of the directory). Until then
// FILE is as it was; a tool that fails leaves it so, and the new file is
// gone. A FILE that is a symbolic link is refused: following it would
// write wherever it points (a link planted in a shared directory such as
// /tmp), renaming over it would replace a link the user made on purpose.
class OutputFile {
 public:
  OutputFile(const cxxopts::ParseResult& r, mode_t mode) {
    std::string path = r.count("output") ? option<std::string>(r, "output") : "-";
    if (path == "-") return;
    if (path.empty()) throw UsageError("-o needs a file name (- is stdout)");
    file_.emplace(path, mode, Symlink::refuse);
    file_->set_mode(mode);
    to_file_.emplace(*file_);
  }
  Output& out() { return file_ ? static_cast<Output&>(*to_file_) : stdout_; }
  bool is_file() const { return file_.has_value(); }
  bool is_terminal() const { return !file_ && isatty(STDOUT_FILENO); }
  const std::string& path() const { return file_->path(); }
  void commit() {
    if (file_) file_->commit();
  }

 private:
  FdOutput stdout_{STDOUT_FILENO, "stdout"};
  std::optional<AtomicFile> file_;
  std::optional<AtomicFileOutput> to_file_;
};

}  // namespace grypt
