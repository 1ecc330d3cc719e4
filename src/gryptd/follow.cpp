#include "gryptd/follow.h"

#include "core/bytes.h"

namespace grypt {

bool standing_is_verdict(Standing s) {
  return s == Standing::not_member || s == Standing::wrong_server || s == Standing::rolled_back ||
         s == Standing::forked;
}

namespace {

std::string fork_text(const Fork& f, const std::string& where) {
  return "two different states were signed for epoch " + f.held.epoch.to_string() +
         ": the group's history forked (both kept in " + where + ")";
}

}  // namespace

void Follower::load(KnownGroup& g, Live& l) {
  if (!g.fork) return;
  l.standing = Standing::forked;
  l.why = fork_text(*g.fork, g.dir + "/forked-" + g.fork->held.epoch.to_string());
}

Outcome Follower::forked(KnownGroup& g, Live& l, const Fork& f) {
  std::string path = keyring_.save_fork(g, f);
  l.standing = Standing::forked;
  l.why = fork_text(f, path);
  ++l.answers;
  return {g.entry.name + ": " + l.why, true};
}

Outcome Follower::state(KnownGroup& g, Live& l, const proto::State& s) {
  std::string at = g.entry.name + " epoch " + s.epoch.to_string();
  // The frame's own fields must say what the signed state says.
  if (s.state.size() == state_bytes && Epoch(get_be32(&s.state[40])) != s.epoch)
    return {at + ": refused: the frame names another epoch than its state", true};
  Placed p = g.chain.take({s.state, s.ephemeral, s.box}, keyring_.identity());
  if (p.fault == StateFault::forked) return forked(g, l, {*p.conflict, p.state});
  if (p.fault != StateFault::none)
    return {at + ": refused: " + state_fault_text(p.fault) + (p.why.empty() ? "" : ": " + p.why), true};
  ++l.answers;
  return {};
}

Outcome Follower::history(KnownGroup& g, Live& l, const proto::History& h) {
  if (!g.chain.take_history(h.grant, h.epoch, h.box, keyring_.identity()))
    return {g.entry.name + " epoch " + h.epoch.to_string() + ": refused: the history box given with epoch " +
                h.grant.to_string() + " does not open or does not match its state",
            true};
  ++l.answers;
  return {};
}

Outcome Follower::synced(KnownGroup& g, Live& l, const proto::Synced& s, std::int64_t now) {
  std::string at = g.entry.name + ": ";
  if (g.chain.empty() || s.epoch > g.chain.head().epoch)
    return {at + "refused: the server says it is at epoch " + s.epoch.to_string() +
                ", which it did not send",
            true};
  ++l.answers;
  if (s.epoch < g.chain.head().epoch) {
    l.standing = Standing::rolled_back;
    l.why = "the server went back to epoch " + s.epoch.to_string() + " while this member holds epoch " +
            g.chain.head().epoch.to_string() + " (a store restored from an old copy, or a replay)";
    return {at + l.why, true};
  }
  l.standing = Standing::connected;
  l.why.clear();
  g.chain.confirmed = now;
  keyring_.save_chain(g);
  return {at + "epoch " + s.epoch.to_string()};
}

Outcome Follower::not_member(KnownGroup& g, Live& l) {
  l.standing = Standing::not_member;
  ++l.answers;
  return {g.entry.name + ": not a member; send your key to the group's administrator: " +
          keyring_.public_key().to_string()};
}

Outcome Follower::removed(KnownGroup& g, Live& l) {
  l.standing = Standing::not_member;
  ++l.answers;
  return {g.entry.name + ": removed from the group"};
}

}  // namespace grypt
