// The pepper file of pw-hash (man/pw-hash.1, PEPPER FILE): RFC 9106's
// secret input K, kept apart from the hashes, several by id so they rotate.
//
//   # comment lines and blank lines are ignored
//   <ID> <SECRET>
//
// ID is unpadded standard base64 of 6 random bytes (8 characters; the PHC
// keyid), SECRET unpadded standard base64 of 32 random bytes. The last line
// is the current pepper. The file must be a regular file owned by the user
// with no group or other permissions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/secret.h"

namespace grypt {

struct Pepper {
  std::string id;
  SecretBytes key;
};

class PepperFile {
 public:
  // Throws FormatError naming the file (and line) on any defect.
  static PepperFile load(const std::string& path);
  // Creates the file, or appends a new current pepper keeping the old ones,
  // atomically and under a lock (two rotations at once both land). The new
  // id goes to `announce` before the file changes: if that fails, nothing
  // changes. Returns the new id.
  static std::string add_new(const std::string& path,
                             const std::function<void(const std::string& id)>& announce);

  const Pepper& current() const { return peppers_.back(); }
  const Pepper* find(const std::string& id) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<Pepper> peppers_;
};

}  // namespace grypt
