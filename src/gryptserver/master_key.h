// The master key (man/gryptserver.8, MASTER KEY): it encrypts the server's
// secret key and every epoch key in the store. It comes from a passphrase
// (Argon2id; salt and parameters kept in the store) or from a key file of
// 32 random bytes (base64url on one line, mode 0600, kept apart from the
// store: the role of a hardware module). A sealed check value in the store
// tells a wrong master key (exit 1) before anything is read or changed.
#pragma once

#include <string>
#include <utility>

#include "core/passphrase.h"
#include "gryptserver/store.h"

namespace grypt {

struct MasterSource {
  enum class Kind { none, passphrase, key_file } kind = Kind::none;
  SecretSource passphrase;
  std::string file;
};

inline constexpr Argon2Params master_kdf_default{3, 64u << 10, 4};

// A new master key for a new store, and what the store keeps of it.
// `new_file`: write a new key file there (O_EXCL, 0600).
std::pair<SecretBytes, MasterInfo> new_master_key(const MasterSource& source,
                                                  const std::string& new_file,
                                                  const Argon2Params& kdf = master_kdf_default);
// The master key of an existing store; OpenError(wrong_key) when it is not
// the one the store was made with.
SecretBytes unlock_master_key(const MasterInfo& info, const MasterSource& source,
                              const std::string& store);

}  // namespace grypt
