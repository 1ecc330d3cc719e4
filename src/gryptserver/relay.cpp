#include "gryptserver/relay.h"

#include <algorithm>
#include <set>

#include "core/error.h"

namespace grypt {
namespace {

[[noreturn]] void damaged(const std::string& group, const std::string& what) {
  throw OpenError(Fault::auth, "the store is damaged: group " + group + ": " + what);
}

proto::Refused refused(const std::string& group, const char* code, Epoch head, const std::string& why) {
  return proto::Refused{group, code, head, why};
}

// The boxes of a commit, one per member of the new roster in key order.
std::vector<std::pair<PublicKey, EpochBox>> pair_boxes(const Roster& roster, const std::vector<EpochBox>& boxes) {
  std::vector<std::pair<PublicKey, EpochBox>> out;
  out.reserve(boxes.size());
  std::size_t i = 0;
  for (const RosterEntry& e : roster.entries()) out.emplace_back(e.key, boxes[i++]);
  return out;
}

// History boxes: only with an add, a grant or a move, for the subject, of distinct
// epochs before the new one.
std::string history_defect(const GroupState& s, const std::vector<proto::HistoryBox>& history) {
  if (history.empty()) return "";
  if (s.change != Change::add && s.change != Change::grant && s.change != Change::move) return "history boxes with a " + std::string(change_name(s.change));
  std::set<std::uint32_t> seen;
  for (const proto::HistoryBox& h : history) {
    if (h.epoch.value() == 0 || h.epoch >= s.epoch) return "a history box of epoch " + h.epoch.to_string();
    if (!seen.insert(h.epoch.value()).second) return "two history boxes of epoch " + h.epoch.to_string();
  }
  return "";
}

// A stored commit as its administrator sent it.
proto::Commit as_commit(const std::string& group, const CommitRow& row) {
  proto::Commit c;
  c.group = group;
  for (const StateRow& r : row.run) c.run.push_back(r.state);
  c.state = row.state.state;
  c.ephemeral = row.state.ephemeral;
  for (const auto& [key, box] : row.boxes) c.boxes.push_back(box);
  for (const auto& [key, b] : row.history) c.history.push_back({b.epoch, b.box});
  return c;
}

}  // namespace

StoredGroup read_group(Store& store, GroupRow row) {
  std::vector<StateRow> states = store.states(row.id);
  StoredGroup out{std::move(row), std::move(states)};
  const auto n = static_cast<std::int64_t>(out.states.size());
  // States beyond the head read first are another front end's commit if
  // the head read after them covers them.
  if (out.row.head < n)
    if (std::optional<GroupRow> again = store.group(out.row.id); again && again->head >= n) out.row.head = n;
  return out;
}

Relay::Relay(std::vector<GroupRow> rows, Store& store) {
  for (GroupRow& row : rows) load(read_group(store, std::move(row)));
}

GroupLive& Relay::load(StoredGroup stored) {
  auto g = std::make_unique<GroupLive>();
  g->row = std::move(stored.row);
  g->states = std::move(stored.states);
  if (g->states.empty()) damaged(g->row.name, "it has no genesis");
  for (std::size_t i = 0; i < g->states.size(); ++i) {
    std::string at = "epoch " + std::to_string(i + 1) + ": ";
    GroupState s;
    try {
      s = GroupState::decode(g->states[i].state);
    } catch (const FormatError& e) {
      damaged(g->row.name, at + e.what());
    }
    std::string why;
    StateFault f = i == 0 ? check_genesis(s, g->row.group_id, g->roster)
                          : check_next(g->decoded.back(), s, g->row.name, g->roster, &why);
    if (f == StateFault::none && s.group_name != g->row.name) f = StateFault::renamed;
    if (f != StateFault::none) damaged(g->row.name, at + state_fault_text(f) + (why.empty() ? "" : ": " + why));
    g->decoded.push_back(s);
    g->hashes.push_back(s.hash());
  }
  // The head column is what a commit is checked against: it must be the
  // newest state, or the next commit would be refused as stale (or a
  // state skipped).
  if (g->row.head != static_cast<std::int64_t>(g->states.size()))
    damaged(g->row.name, "its states end at epoch " + std::to_string(g->states.size()) + ", its head says " +
                             std::to_string(g->row.head));
  groups_.push_back(std::move(g));
  return *groups_.back();
}

GroupLive* Relay::find(const std::string& name) {
  for (auto& g : groups_)
    if (g->row.name == name) return g.get();
  return nullptr;
}

GroupLive* Relay::find(std::int64_t row) {
  for (auto& g : groups_)
    if (g->row.id == row) return g.get();
  return nullptr;
}

std::vector<GroupLive*> Relay::groups() {
  std::vector<GroupLive*> out;
  for (auto& g : groups_) out.push_back(g.get());
  return out;
}

std::variant<CheckedCommit, proto::Refused> Relay::check(GroupLive& g, const proto::Commit& c) const {
  const Epoch head = g.head();
  // The run's states, then the last, decoded.
  std::vector<GroupState> states;
  for (std::size_t i = 0; i <= c.run.size(); ++i) try {
      states.push_back(GroupState::decode(i < c.run.size() ? c.run[i] : c.state));
    } catch (const FormatError& e) {
      return refused(g.name(), "bad-state", head, i < c.run.size() ? "state " + std::to_string(i + 1) + " of the run: " + e.what() : e.what());
    }
  if (states.front().epoch != head.next())
    return refused(g.name(), "stale", head,
                   "epoch " + states.front().epoch.to_string() + " does not follow the group's head, epoch " +
                       head.to_string());
  // Each is checked after the one before, moving the roster on; every move
  // is undone before the answer, which the store's write must come first.
  std::vector<std::function<void()>> undos;
  auto undo_all = [&] {
    for (auto it = undos.rbegin(); it != undos.rend(); ++it) (*it)();
  };
  const GroupState* before = &g.decoded.back();
  const std::set<PublicKey> had = [&] {
    std::set<PublicKey> keys;
    if (!c.run.empty())
      for (const RosterEntry& e : g.roster.entries()) keys.insert(e.key);
    return keys;
  }();
  for (const GroupState& s : states) {
    std::string why;
    std::function<void()> undo;
    StateFault f = check_next(*before, s, g.name(), g.roster, &why, &undo);
    if (f != StateFault::none) {
      undo_all();
      std::string at = &s == &states.back() ? "" : "epoch " + s.epoch.to_string() + " of the run: ";
      if (f == StateFault::not_admin) return refused(g.name(), "not-admin", head, at + state_fault_text(f));
      return refused(g.name(), "bad-state", head, at + state_fault_text(f) + (why.empty() ? "" : ": " + why));
    }
    undos.push_back(std::move(undo));
    before = &s;
  }
  const GroupState& s = states.back();
  CheckedCommit out;
  if (c.boxes.size() != g.roster.size()) {
    std::size_t n = g.roster.size();
    undo_all();
    return refused(g.name(), "bad-boxes", head,
                   std::to_string(c.boxes.size()) + " boxes for " + std::to_string(n) + " members");
  }
  out.row.boxes = pair_boxes(g.roster, c.boxes);
  for (const PublicKey& k : had)
    if (!g.roster.find(k)) out.removed.push_back(k);
  undo_all();
  if (std::string d = history_defect(s, c.history); !d.empty()) return refused(g.name(), "bad-boxes", head, d);
  out.row.group = g.row.id;
  out.row.epoch = s.epoch;
  for (std::size_t i = 0; i < c.run.size(); ++i) out.row.run.push_back({c.run[i], EphemeralPublic{}});
  out.row.state = {c.state, c.ephemeral};
  for (const proto::HistoryBox& h : c.history) out.row.history.push_back({*s.subject, BoxRow{h.epoch, s.epoch, h.box}});
  // The roster is the head's again: a move's old key is the one its name
  // has there. (With a run, `had` found every key that went.)
  for (const GroupState& x : states) {
    if (x.change == Change::add || x.change == Change::move) out.row.added.push_back(*x.subject);
    if (x.change == Change::remove && c.run.empty()) out.removed.push_back(*x.subject);
    if (x.change == Change::move && c.run.empty())
      if (const RosterEntry* old = g.roster.find(x.subject_name)) out.removed.push_back(old->key);
  }
  out.row.removed = out.removed;
  states.pop_back();
  out.run = std::move(states);
  out.state = s;
  return out;
}

std::variant<CheckedCommit, proto::Refused> Relay::check_create(const proto::Commit& c,
                                                                const std::vector<PublicKey>& admins) const {
  GroupState s;
  try {
    s = GroupState::decode(c.state);
  } catch (const FormatError& e) {
    return refused("", "bad-state", Epoch(0), e.what());
  }
  Roster r;
  StateFault f = check_genesis(s, GroupId{}, r);
  if (f != StateFault::none) return refused(s.group_name, "bad-state", Epoch(0), state_fault_text(f));
  if (std::find(admins.begin(), admins.end(), s.signer) == admins.end())
    return refused(s.group_name, "not-admin", Epoch(0), "this server does not let that key create groups");
  if (c.boxes.size() != 1 || !c.history.empty())
    return refused(s.group_name, "bad-boxes", Epoch(0), "a genesis has one box, its creator's");
  CheckedCommit out;
  out.state = s;
  out.row.epoch = Epoch(1);
  out.row.state = {c.state, c.ephemeral};
  out.row.boxes.emplace_back(s.signer, c.boxes[0]);
  return out;
}

void Relay::apply(GroupLive& g, const CheckedCommit& c) {
  auto one = [&](const GroupState& s, const StateRow& row) {
    std::string why;
    if (check_next(g.decoded.back(), s, g.name(), g.roster, &why) != StateFault::none)
      throw std::logic_error("a commit checked before no longer applies");
    g.states.push_back(row);
    g.decoded.push_back(s);
    g.hashes.push_back(s.hash());
  };
  for (std::size_t i = 0; i < c.run.size(); ++i) one(c.run[i], c.row.run[i]);
  one(c.state, c.row.state);
}

std::variant<CheckedCommit, proto::Refused> Relay::check_stored(GroupLive& g, const CommitRow& row) const {
  auto checked = check(g, as_commit(g.name(), row));
  if (auto* c = std::get_if<CheckedCommit>(&checked)) {
    for (std::size_t i = 0; i < c->row.boxes.size(); ++i)
      if (c->row.boxes[i].first != row.boxes[i].first)
        return refused(g.name(), "bad-boxes", g.head(), "a box stored for a key out of its place");
    for (std::size_t i = 0; i < c->row.history.size(); ++i)
      if (c->row.history[i].first != row.history[i].first)
        return refused(g.name(), "bad-boxes", g.head(), "a history box stored for another key");
  }
  return checked;
}

GroupLive& Relay::add(GroupRow row, const CheckedCommit& genesis) {
  auto g = std::make_unique<GroupLive>();
  g->row = std::move(row);
  check_genesis(genesis.state, g->row.group_id, g->roster);
  g->states.push_back(genesis.row.state);
  g->decoded.push_back(genesis.state);
  g->hashes.push_back(genesis.state.hash());
  GroupLive& out = *g;
  groups_.push_back(std::move(g));
  return out;
}

}  // namespace grypt
