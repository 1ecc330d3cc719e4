// Test vectors (test/vectors/*.vec): one case per file.
//
//   expect: ok | armor | header | auth | truncated | trailing data |
//           wrong key | wrong name | forked | <a state fault, below>
//                                           (always the first line)
//   format: pubkey | identity | message | vault-entry | vault-key |
//           state | reference | join-request | commit
//   error: <text the failure message must contain>   (failures only)
//   <more "key: value" lines for the format: keys, names, expected output>
//   data: base64 | text
//   <blank line>
//   <the data: base64 lines, or the text as is>
//
// check_vector() opens the data as its format says and reports what
// happened, so a test can demand that a case fails for its named reason.
//
// The group formats (man/grypt-protocol.7) write byte strings in lowercase
// hex, public keys as key strings (grypt-pk:...) and an identity's secret,
// as the vault-key cases do, in unpadded base64url. Their "ok" cases list
// what opening gave, field by field: every such field of the format is
// compared, line for line and in order (a field with no lines must be
// absent), so a case says all of it.
//
// format: state -- a member takes a group's states, oldest first, as
// GroupChain::take does (CHECKING STATES), then any history boxes
// (History boxes; the history frame).
//   data: base64 of the states, 480 bytes each, concatenated; the last
//         piece may be shorter (a malformed state)
//   group: HEX             the group id the member's reference names
//   name: NAME             the group name the reference names
//   identity-secret: B64   the member (optional: without it no box is
//                          opened, as when the server checks a chain)
//   box: N EPHEMERAL BOX   the Nth state of the data (from 1) comes with the
//                          commit's ephemeral key (32 bytes) and the member's
//                          box (48); other states come with no box
//   history: GRANT EPOCH BOX  after every state: the key of EPOCH boxed to
//                          the member with the commit of epoch GRANT (whose
//                          ephemeral key is that of GRANT's box line)
// expect: ok -- every state and history box is accepted; then
//   placed: HOW...         per state, in order: appended (the next epoch),
//                          held (the same state again: nothing new) or
//                          key-added (a state held, now with its key)
//   head: EPOCH HASH       the newest state's epoch and state hash
//   roster: DIGEST         the roster digest of the head's epoch
//   roster-entry: ROLE NAME KEY   each entry of that roster, in key order
//   held-key: EPOCH KEY    each epoch key the member holds, by epoch
// expect: a state fault (state_fault_name) -- every state and history box
//   but the last is accepted and the last is refused; the error names it,
//   "state N of M: ..." (M states) or "history N of M: ..." (M history
//   lines), so that a case refused earlier than its last item fails. A
//   history box that does not open, or whose key does not match, is a key
//   mismatch; one that is not 48 bytes, malformed.
//
// format: reference -- a grypt-ref: or grypt-srv: text (data: text, no
// newline), read as REFERENCES says. ok:
//   kind: group | server
//   server-key: KEY
//   group-id: HEX          (group references)
//   endpoint: HOST PORT    each endpoint, in order
//   group-name: NAME       (group references)
// A reference that a reader refuses, for any of its checks, is "armor",
// as a key string is.
//
// format: join-request -- a join request's bytes (JOIN REQUESTS). ok:
//   group-id: HEX
//   time: SECONDS
//   key: KEY               the requester
//   note: TEXT             (absent for a request without a note)
// A request that does not decode is "header"; one whose signature does
// not verify, "auth".
//
// format: commit -- what a server answers an administrator's commit or
// create (COMMITS): data: text, the commit frame's body (JSON, its parts
// joined); the server holds the group's states of the "held" lines and
// lets the keys of the "creator" lines create groups.
//   held: HEX              each state the server holds, oldest first (none:
//                          no group; a create is checked against them)
//   creator: KEY           each key allowed to create groups
// expect: ok -- taken; then
//   run: EPOCH HASH        each state of the commit's run stored, oldest
//                          first, with its state hash (no boxes)
//   head: EPOCH HASH       the new head and its state hash
//   box-for: KEY           the member each box is stored for, in the
//                          order of the boxes (the new roster's key order)
//   history-for: KEY EPOCH each history box stored: its member and epoch
// expect: the refusal's code -- stale, bad-state, not-admin, bad-boxes,
// name-taken; "protocol" for a body that is no commit.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/group.h"
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
  // What an "ok" case of a group format opened to, as "key: value" lines
  // (the fields named per format at the top of this file).
  std::vector<std::pair<std::string, std::string>> facts{};
};

Outcome check_vector(const Vector& v);
// What an "ok" case opens to: "size=N sha256=HEX" and `extra`.
std::string summary(std::span<const std::uint8_t> plain, const std::string& extra = {});
// Empty when the outcome is what the vector expects, else why not.
std::string verdict(const Vector& v, const Outcome& got);

std::vector<std::string> vector_files(const std::string& dir);

// The fault class of a state vector: "malformed", "bad signature", "not
// genesis", "other group", "not next", "bad previous", "not admin", "bad
// change", "last admin", "roster mismatch", "renamed", "forked", "key
// mismatch" ("ok" for none).
const char* state_fault_name(StateFault f);
// The expected-output fields of a format's "ok" cases (empty for the
// formats that say it with a result line).
const std::vector<std::string>& fact_keys(const std::string& format);

std::string hex(std::span<const std::uint8_t> b);
std::vector<std::uint8_t> unhex(const std::string& s, const std::string& what);

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
