// What an administrator's daemon makes (grypt-protocol.7, COMMITS): the
// next state of a group, a fresh epoch key, and a box of it for every
// member of the new roster, with history boxes for the subject of an add
// with history, a grant or a move. Pure: the tools' side asks, the link sends.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/epoch_box.h"
#include "core/group_cache.h"
#include "proto/server.h"

namespace grypt {

// How long an epoch lasts unless an admin makes another: a removed member
// kept out of it by a withholding server is kept out for at most this long.
inline constexpr std::int64_t default_lifetime = 7 * 24 * 3600;

struct Proposal {
  Change change = Change::rotate;
  std::optional<RosterEntry> subject;  // with its role after the change
  bool history = false;                // add, move: box every past epoch held
};

struct MadeCommit {
  proto::Commit commit;
  GroupState state;
  bool committer_stays = true;  // false: the change takes the committer out (it is sent no state)
};

// Why `p` cannot be the next change of `chain` (the roster's rules: a key
// or name taken, the last admin...), or empty.
std::string proposal_defect(const GroupChain& chain, const Proposal& p);
std::string proposal_defect(const Roster& roster, const Proposal& p);
// The same for each change of a run after the ones before it: the first
// defect, with the change's place in the run when there are several.
std::string run_defect(const Roster& roster, std::span<const Proposal> changes);
// The next epoch after the chain's head, signed by `admin`, its boxes made
// with `ephemeral` (made ahead, gryptd/ahead.h, or fresh).
MadeCommit make_commit(const GroupChain& chain, const Identity& admin, const Proposal& p, std::int64_t now,
                       std::int64_t lifetime = default_lifetime, EphemeralKey ephemeral = EphemeralKey::generate());
// One commit of several changes (grypt-protocol.7, commit: a run): a state
// for each, signed by `admin`, each committing to a key that is thrown
// away, but the last, which is boxed to its roster. 1 to 1001 changes, each
// valid after the ones before (proposal_defect on the roster they make).
MadeCommit make_run(const GroupChain& chain, const Identity& admin, std::span<const Proposal> changes,
                    std::int64_t now, std::int64_t lifetime = default_lifetime,
                    EphemeralKey ephemeral = EphemeralKey::generate());
// A new group's genesis, its creator its only member and admin.
MadeCommit make_genesis(const std::string& group, const std::string& admin_name, const Identity& admin,
                        std::int64_t now, std::int64_t lifetime = default_lifetime);

}  // namespace grypt
