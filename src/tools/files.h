// The FILE operands of grypt-seal and grypt-open, read as cat(1) reads
// them: "-" is stdin (grypt-seal.1, grypt-open.1).
#pragma once

#include <unistd.h>

#include <string>

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

}  // namespace grypt
