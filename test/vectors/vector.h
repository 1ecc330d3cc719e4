// Test vectors (test/vectors/*.vec): one case per file.
//
//   expect: ok | armor | header | auth | truncated | trailing data |
//           wrong key | wrong name          (always the first line)
//   format: pubkey | identity | message | vault-entry | vault-key
//   error: <text the failure message must contain>   (failures only)
//   <more "key: value" lines for the format: keys, names, expected output>
//   data: base64 | text
//   <blank line>
//   <the data: base64 lines, or the text as is>
//
// check_vector() opens the data as its format says and reports what
// happened, so a test can demand that a case fails for its named reason.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/message.h"

namespace grypt::vectors {

struct Vector {
  std::string name;
  std::map<std::string, std::vector<std::string>> fields;  // a key may repeat
  std::vector<std::uint8_t> data;

  const std::string& get(const std::string& key) const;  // throws if missing
  bool has(const std::string& key) const { return fields.count(key) > 0; }
};

Vector parse_vector(const std::string& name, const std::string& text);
Vector load_vector(const std::string& path);
std::string format_vector(const Vector& v);  // the file text

struct Outcome {
  std::string result;  // "ok" or a fault class
  std::string message;
};

Outcome check_vector(const Vector& v);
// What an "ok" case opens to: "size=N sha256=HEX" and `extra`.
std::string summary(std::span<const std::uint8_t> plain, const std::string& extra = {});
// Empty when the outcome is what the vector expects, else why not.
std::string verdict(const Vector& v, const Outcome& got);

std::vector<std::string> vector_files(const std::string& dir);

// The keys and members a message vector names (group, epoch, state,
// epoch-key, member lines), as the providers a tool would use.
class Keyring : public MessageKeys, public Members {
 public:
  explicit Keyring(const Vector& v);
  MessageKey message_key(const MessageHeader& h) override;
  std::vector<Member> lookup(const MessageHeader&, const KeyId& id) const override;

 private:
  std::vector<std::uint8_t> group_, key_, state_;
  Epoch epoch_;
  std::vector<PublicKey> members_;
};

}  // namespace grypt::vectors
