// Typed errors: thrown where they arise, turned into "tool: error: ..." and
// an exit status in one place (run_tool, tool.h). DESIGN §11: exit 1 means the
// cryptography said no; exit 2 means usage, input or system error.
#pragma once

#include <stdexcept>
#include <string>

namespace grypt {

inline constexpr int exit_ok = 0;
inline constexpr int exit_no = 1;     // bad passphrase, tampered data, mismatch
inline constexpr int exit_error = 2;  // usage, input or system error

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual int exit_status() const { return exit_error; }
};

// The command line was wrong.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Input that is not in the expected format (a malformed hash, a corrupt file).
class FormatError : public Error {
 public:
  using Error::Error;
};

// The operating system refused (I/O, memory); the message names the file.
class SystemError : public Error {
 public:
  // what: "cannot open /x/y"; errno is appended as ": No such file ...".
  SystemError(const std::string& what, int errnum);
  explicit SystemError(const std::string& what) : Error(what) {}
  int errnum() const { return errnum_; }

 private:
  int errnum_ = 0;
};

// The cryptography said no: wrong passphrase, wrong key, tampered data.
class AuthError : public Error {
 public:
  using Error::Error;
  int exit_status() const override { return exit_no; }
};

// Why a message, vault entry or identity did not open; the test vectors
// (test/vectors) name these classes.
enum class Fault { armor, header, auth, truncated, trailing, wrong_key, wrong_name, forked };
const char* fault_name(Fault f);  // "armor", "header", ..., "trailing data", "wrong key"

// The data did not open. Exit status 1: corrupt and tampered look alike.
class OpenError : public AuthError {
 public:
  OpenError(Fault fault, const std::string& what) : AuthError(what), fault_(fault) {}
  Fault fault() const { return fault_; }

 private:
  Fault fault_;
};

}  // namespace grypt
