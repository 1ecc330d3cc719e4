#include "gryptserver/master_key.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/argon2id.h"
#include "core/encoding.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/file.h"
#include "core/io.h"

namespace grypt {
namespace {

constexpr std::string_view check_label = "grypt master key check v1";
constexpr std::string_view file_prefix = "grypt-master:";

SecretBytes from_passphrase(const SecretSource& source, std::span<const std::uint8_t> salt,
                            const Argon2Params& params, bool confirm) {
  SecretPrompt p;
  p.what = "passphrase";
  p.confirm = confirm;
  SecretBytes pass = read_secret(source, p);
  SecretBytes key(key_bytes);
  argon2id(key.span(), {pass.span(), salt, {}, {}}, params);
  return key;
}

SecretBytes read_key_file(const std::string& path) {
  SecretBytes text = read_secret_file(path, 256, {.access = Access::private_});
  std::string_view t = text.view();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
  if (t.substr(0, file_prefix.size()) != file_prefix)
    throw FormatError(path + " is not a grypt master key file");
  SecretBytes key;
  try {
    key = base64_decode_secret(t.substr(file_prefix.size()), Base64::url_unpadded, "master key");
  } catch (const FormatError&) {
    throw FormatError(path + " is damaged: not canonical base64url");
  }
  if (key.size() != key_bytes) throw FormatError(path + " is damaged: not a 32-byte key");
  return key;
}

void write_key_file(const std::string& path, const SecretBytes& key) {
  SecretBytes b64 = base64_encode_secret(key.span(), Base64::url_unpadded);
  SecretBytes line(file_prefix.size() + b64.size() + 1);
  std::copy(file_prefix.begin(), file_prefix.end(), line.data());
  std::copy(b64.data(), b64.data() + b64.size(), line.data() + file_prefix.size());
  line.data()[line.size() - 1] = '\n';
  try {
    write_file_atomic(path, line.span(), 0600, false);
  } catch (const SystemError& e) {
    if (e.errnum() == EEXIST)
      throw UsageError(path + " exists: a new master key file is never written over another");
    throw;
  }
}

std::vector<std::uint8_t> make_check(const SecretBytes& key) {
  return FieldCipher(key).seal(as_bytes(check_label), "meta.master_check.1");
}

}  // namespace

std::pair<SecretBytes, MasterInfo> new_master_key(const MasterSource& source,
                                                  const std::string& new_file,
                                                  const Argon2Params& kdf) {
  MasterInfo info;
  SecretBytes key;
  if (!new_file.empty()) {
    info.kind = MasterInfo::Kind::key_file;
    key = SecretBytes(key_bytes);
    random_bytes(key.span());
    // Its directory, such as /etc/grypt, is made (0700) if missing.
    make_dirs(dir_name(new_file));
    write_key_file(new_file, key);
  } else if (source.kind == MasterSource::Kind::key_file) {
    info.kind = MasterInfo::Kind::key_file;
    key = read_key_file(source.file);
  } else {
    info.kind = MasterInfo::Kind::passphrase;
    info.salt.resize(16);
    random_bytes(info.salt);
    info.params = kdf;
    key = from_passphrase(source.passphrase, info.salt, kdf, true);
  }
  info.check = make_check(key);
  return {std::move(key), info};
}

SecretBytes unlock_master_key(const MasterInfo& info, const MasterSource& source,
                              const std::string& store) {
  SecretBytes key;
  if (info.kind == MasterInfo::Kind::key_file) {
    if (source.kind != MasterSource::Kind::key_file)
      throw UsageError("the store " + store + " is locked by a master key file: give --master-key-file");
    key = read_key_file(source.file);
  } else {
    if (source.kind == MasterSource::Kind::key_file)
      throw UsageError("the store " + store +
                       " is locked by a passphrase: give --passphrase-fd or --passphrase-file");
    std::string defect = argon2_params_defect(info.params);
    if (!defect.empty()) throw FormatError("the store " + store + " asks for " + defect);
    key = from_passphrase(source.passphrase, info.salt, info.params, false);
  }
  try {
    SecretBytes label = FieldCipher(key).open(info.check, "meta.master_check.1");
    if (label.view() != check_label) throw OpenError(Fault::wrong_key, "");
  } catch (const OpenError&) {
    throw OpenError(Fault::wrong_key, std::string(info.kind == MasterInfo::Kind::key_file
                                                      ? "wrong master key file"
                                                      : "wrong passphrase") +
                                          " for the store " + store);
  }
  return key;
}

}  // namespace grypt
