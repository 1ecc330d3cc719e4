// What gryptd makes of each frame a group's server sends about that group
// (grypt-protocol.7, SERVER PROTOCOL and CHECKING STATES), apart from the
// network, so that the unit tests can feed it frames: which states are
// kept, when the group is connected, refused, rolled back or forked, and
// what the log says about it.
#pragma once

#include <cstdint>
#include <string>

#include "core/keyring.h"
#include "proto/daemon.h"
#include "proto/server.h"

namespace grypt {

// The verdicts that outlast a lost connection: the server said them, and
// only the server (or, for a fork, the user) can take them back.
bool standing_is_verdict(Standing s);

struct Live {
  Standing standing = Standing::offline;
  std::string why;            // rolled back or forked: what the server did
  std::uint64_t answers = 0;  // the server's answers about the group so far
};

// What a frame calls for.
struct Outcome {
  std::string log;  // a line for the log, or empty
  bool end = false; // a refusal: the connection ends
};

class Follower {
 public:
  explicit Follower(Keyring& keyring) : keyring_(keyring) {}

  // A forked group keeps its standing (and its proof) from the cache.
  void load(KnownGroup& g, Live& l);
  Outcome state(KnownGroup& g, Live& l, const proto::State& s);
  Outcome history(KnownGroup& g, Live& l, const proto::History& h);
  // `now`: the time of this confirmation, in Unix seconds.
  Outcome synced(KnownGroup& g, Live& l, const proto::Synced& s, std::int64_t now);
  Outcome not_member(KnownGroup& g, Live& l);
  Outcome removed(KnownGroup& g, Live& l);

 private:
  Outcome forked(KnownGroup& g, Live& l, const Fork& f);
  Keyring& keyring_;
};

}  // namespace grypt
