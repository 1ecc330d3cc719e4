#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <atomic>
#include <filesystem>
#include <thread>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/group_test_chain.h"
#include "gryptserver/master_key.h"
#include "gryptserver/relay.h"
#include "gryptserver/pg_test_cluster.h"
#include "gryptserver/store_pg.h"
#include "gryptserver/store_sqlite.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

enum class Backend { sqlite, postgresql };
void PrintTo(Backend b, std::ostream* os) { *os << (b == Backend::sqlite ? "sqlite" : "postgresql"); }

// A store with the group "friends": its genesis by TestChain's admin, then
// alice added, as the relay checks and the store keeps them. Every test
// runs on each backend: one suite, two stores (gryptserver.8).
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  bool pg() const { return GetParam() == Backend::postgresql; }
  std::unique_ptr<Store> make(bool create) {
    return pg() ? open_pg_store(conninfo_, create) : open_sqlite_store(dir_, create);
  }

  void SetUp() override {
    if (pg()) conninfo_ = TestPgCluster::get().database();
    master_ = SecretBytes(32);
    random_bytes(master_.span());
    auto store = make(true);
    store->unlock(FieldCipher(master_));
    MasterInfo info;
    info.check = FieldCipher(master_).seal(as_bytes("x"), "meta.master_check.1");
    store->create(info, Identity::generate(), "127.0.0.1:4433", "127.0.0.1", {c_.admin.public_key()});
    Relay relay(store->groups(), *store);
    auto created = relay.check_create(commit_of(1, ""), store->admins());
    ASSERT_TRUE(std::holds_alternative<CheckedCommit>(created));
    const CheckedCommit& g = std::get<CheckedCommit>(created);
    GroupRow row = store->create_group("friends", c_.group, g.row.state, g.row.boxes[0].first, g.row.boxes[0].second);
    relay.add(row, g);
    c_.add_alice();
    commit(relay, *store, 2);
  }

  // The commit of epoch e as its admin's daemon sends it: a box for each
  // member of the roster it makes (the boxes' contents do not matter to
  // the relay, only their number).
  proto::Commit commit_of(std::size_t e, const std::string& group) {
    proto::Commit c;
    c.group = group;
    c.state.assign(c_.bytes[e - 1].begin(), c_.bytes[e - 1].end());
    c.ephemeral = c_.record(e).ephemeral;
    GroupState s = c_.states[e - 1];
    std::size_t n = 1;
    for (std::size_t i = 2; i <= e; ++i) {
      const GroupState& x = c_.states[i - 1];
      if (x.change == Change::add) ++n;
      if (x.change == Change::remove) --n;
    }
    c.boxes.assign(n, EpochBox{});
    return c;
  }
  void commit(Relay& relay, Store& store, std::size_t e) {
    auto checked = relay.check(*relay.find("friends"), commit_of(e, "friends"));
    ASSERT_TRUE(std::holds_alternative<CheckedCommit>(checked)) << std::get<proto::Refused>(checked).message;
    store.commit(std::get<CheckedCommit>(checked).row);
    relay.apply(*relay.find("friends"), std::get<CheckedCommit>(checked));
  }
  std::unique_ptr<Store> open() {
    auto s = make(false);
    s->unlock(FieldCipher(master_));
    return s;
  }
  std::string load_error() {
    try {
      auto s = open();
      s->server_identity();
      Relay r(s->groups(), *s);
    } catch (const OpenError& e) {
      return e.what();
    }
    return "loaded";
  }
  void sql(const std::string& statement) {
    if (pg()) {
      PGconn* c = PQconnectdb(conninfo_.c_str());
      PGresult* r = PQexec(c, statement.c_str());
      std::string err = PQresultErrorMessage(r);
      ExecStatusType st = PQresultStatus(r);
      PQclear(r);
      PQfinish(c);
      ASSERT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << err;
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/grypt.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  // Flips one bit of a blob: an edit that always changes it (setting a byte
  // to a value it may already have would not).
  void flip(const std::string& table, const std::string& column, const std::string& where, std::size_t byte) {
    if (pg()) {
      const std::string b = std::to_string(byte);
      sql("UPDATE " + table + " SET " + column + " = set_byte(" + column + ", " + b + ", get_byte(" + column +
          ", " + b + ") # 1) WHERE " + where);
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/grypt.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    std::string select = "SELECT " + column + " FROM " + table + " WHERE " + where;
    ASSERT_EQ(sqlite3_prepare_v2(db, select.c_str(), -1, &q, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(q, 0));
    std::vector<std::uint8_t> blob(p, p + sqlite3_column_bytes(q, 0));
    sqlite3_finalize(q);
    ASSERT_LT(byte, blob.size());
    blob[byte] ^= 0x01;
    std::string update = "UPDATE " + table + " SET " + column + " = ? WHERE " + where;
    ASSERT_EQ(sqlite3_prepare_v2(db, update.c_str(), -1, &q, nullptr), SQLITE_OK);
    sqlite3_bind_blob(q, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);
  }

  TestDir tmp_;
  std::string dir_ = tmp_.path();
  std::string conninfo_;
  SecretBytes master_;
  TestChain c_;
};

TEST_P(StoreTest, ARestartKeepsEveryStateAndBox) {
  auto s = open();
  Relay r(s->groups(), *s);
  GroupLive* g = r.find("friends");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->head(), Epoch(2));
  EXPECT_EQ(g->roster.size(), 2u);
  EXPECT_EQ(g->row.group_id, c_.group);
  auto boxes = s->boxes(g->row.id, c_.alice.public_key(), Epoch(0));
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_EQ(boxes[0].epoch, Epoch(2));
  EXPECT_EQ(s->boxes(g->row.id, c_.admin.public_key(), Epoch(0)).size(), 2u);
}

// grypt.7, THREAT MODEL: everything the server holds (its store, the
// master key that unlocks it, its own transport identity) opens no box and
// holds no epoch key; the same boxes open for the members they are for.
TEST_P(StoreTest, EverythingTheServerHoldsOpensNoBox) {
  auto s = open();
  Relay r(s->groups(), *s);
  c_.next();  // epoch 3, a rotation: a real box for each member
  proto::Commit c = commit_of(3, "friends");
  const StateHash hash = c_.states[2].hash();
  c.boxes.clear();
  for (const RosterEntry& e : r.find("friends")->roster.entries())
    c.boxes.push_back(c_.ephemerals[2].box(e.key, hash, c_.keys[2].span()));
  auto checked = r.check(*r.find("friends"), c);
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(checked));
  s->commit(std::get<CheckedCommit>(checked).row);
  s.reset();

  auto again = open();
  const Identity server = again->server_identity();
  const GroupRow row = again->groups().at(0);
  std::size_t opened = 0;
  for (const Identity* member : {&c_.admin, &c_.alice})
    for (const BoxRow& b : again->boxes(row.id, member->public_key(), Epoch(0))) {
      const StateHash& h = c_.states[b.epoch.value() - 1].hash();
      const EphemeralPublic& eph = c_.ephemerals[b.epoch.value() - 1].public_key();
      EXPECT_FALSE(open_box(b.box, server, eph, h)) << "epoch " << b.epoch.value();
      if (b.epoch != Epoch(3)) continue;  // the fixture's earlier boxes are blanks
      auto key = open_box(b.box, *member, eph, h);
      ASSERT_TRUE(key);
      EXPECT_TRUE(ct_equal(key->span(), c_.keys[2].span()));
      ++opened;
    }
  EXPECT_EQ(opened, 2u);  // epoch 3's, the admin's and alice's
  again.reset();
  // No epoch key anywhere in the store's files, in any form the server
  // could read them: the database and its journal (PostgreSQL's whole
  // data directory, its write-ahead log included), byte for byte.
  std::string bytes;
  std::vector<std::string> files;
  if (pg()) {
    sql("CHECKPOINT");
    for (const auto& f : std::filesystem::recursive_directory_iterator(TestPgCluster::get().data_dir()))
      if (f.is_regular_file()) files.push_back(f.path().string());
  } else {
    files = {dir_ + "/grypt.db", dir_ + "/grypt.db-wal"};
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 4096u);
  for (const SecretBytes& k : c_.keys) {
    std::string key(reinterpret_cast<const char*>(k.span().data()), k.span().size());
    EXPECT_EQ(bytes.find(key), std::string::npos);
  }
}

TEST_P(StoreTest, ACommitNotOnTheHeadIsStale) {
  auto s = open();
  Relay r(s->groups(), *s);
  c_.next();
  auto checked = r.check(*r.find("friends"), commit_of(3, "friends"));
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(checked));
  s->commit(std::get<CheckedCommit>(checked).row);
  // The same epoch again, as a second admin's race would: the store says no.
  EXPECT_THROW(s->commit(std::get<CheckedCommit>(checked).row), StaleCommit);
  r.apply(*r.find("friends"), std::get<CheckedCommit>(checked));
  auto again = r.check(*r.find("friends"), commit_of(3, "friends"));
  ASSERT_TRUE(std::holds_alternative<proto::Refused>(again));
  EXPECT_EQ(std::get<proto::Refused>(again).code, "stale");
  EXPECT_EQ(std::get<proto::Refused>(again).head, Epoch(3));
}

TEST_P(StoreTest, TheRelayRefusesByNameWhatMembersWould) {
  auto s = open();
  Relay r(s->groups(), *s);
  GroupLive& g = *r.find("friends");
  auto code = [&](const proto::Commit& c) {
    auto v = r.check(g, c);
    return std::holds_alternative<proto::Refused>(v) ? std::get<proto::Refused>(v).code : "accepted";
  };
  c_.next(Change::rotate, std::nullopt, &c_.alice);  // alice is no admin
  EXPECT_EQ(code(commit_of(3, "friends")), "not-admin");
  proto::Commit bad = commit_of(3, "friends");
  bad.state[100] ^= 1;
  EXPECT_EQ(code(bad), "bad-state");
  EXPECT_EQ(g.head(), Epoch(2));
  EXPECT_EQ(g.roster.size(), 2u);  // checks leave the roster as it was
}

TEST_P(StoreTest, BoxesMustBeOnePerMemberAndHistoryOnlyForItsSubject) {
  auto s = open();
  Relay r(s->groups(), *s);
  GroupLive& g = *r.find("friends");
  c_.next();
  proto::Commit c = commit_of(3, "friends");
  c.boxes.pop_back();
  auto v = r.check(g, c);
  ASSERT_TRUE(std::holds_alternative<proto::Refused>(v));
  EXPECT_EQ(std::get<proto::Refused>(v).message, "1 boxes for 2 members");
  c = commit_of(3, "friends");
  c.history.push_back({Epoch(1), EpochBox{}});
  v = r.check(g, c);
  ASSERT_TRUE(std::holds_alternative<proto::Refused>(v));
  EXPECT_EQ(std::get<proto::Refused>(v).message, "history boxes with a rotate");
}

TEST_P(StoreTest, OnlyTheServersAdminsCreateGroups) {
  auto s = open();
  Relay r(s->groups(), *s);
  TestChain other;
  proto::Commit c;
  c.state.assign(other.bytes[0].begin(), other.bytes[0].end());
  c.boxes.assign(1, EpochBox{});
  auto v = r.check_create(c, s->admins());
  ASSERT_TRUE(std::holds_alternative<proto::Refused>(v));
  EXPECT_EQ(std::get<proto::Refused>(v).code, "not-admin");
  s->set_admin(other.admin.public_key(), true);
  EXPECT_TRUE(std::holds_alternative<CheckedCommit>(r.check_create(c, s->admins())));
  EXPECT_THROW(s->create_group("friends", other.group, {c.state, {}}, other.admin.public_key(), EpochBox{}),
               UsageError);
}

TEST_P(StoreTest, AStateEditedOrDroppedIsNamed) {
  flip("states", "state", "epoch = 2", 100);
  EXPECT_NE(load_error().find("group friends: epoch 2: "), std::string::npos) << load_error();
}

TEST_P(StoreTest, AMissingEpochIsNamed) {
  sql("DELETE FROM states WHERE epoch = 1");
  EXPECT_NE(load_error().find("epochs are missing"), std::string::npos) << load_error();
}

TEST_P(StoreTest, TheServerKeyIsBound) {
  flip("meta", "server_secret", "id = 1", 20);
  EXPECT_NE(load_error().find("does not decrypt"), std::string::npos) << load_error();
}

TEST_P(StoreTest, PendingRequestsAreSealedOnePerKeyAndBounded) {
  auto s = open();
  std::int64_t g = s->groups()[0].id;
  Identity first = Identity::generate();
  s->record_pending(g, first.public_key(), {1, 2, 3}, 100, 100);
  s->record_pending(g, first.public_key(), {4, 5}, 200, 100);
  auto p = s->pending(g);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].count, 2u);
  EXPECT_EQ(p[0].request, (std::vector<std::uint8_t>{4, 5}));
  for (int i = 0; i < 105; ++i) s->record_pending(g, Identity::generate().public_key(), {9}, 300 + i, 100);
  EXPECT_EQ(s->pending(g).size(), 100u);
  // A request's note is not in the clear, and an edited one is left out.
  flip("pending", "request", "number = (SELECT max(number) FROM pending)", 14);
  EXPECT_EQ(s->pending(g).size(), 99u);
}

TEST_P(StoreTest, AWrongMasterKeyIsWrongKeyAndChangesNothing) {
  TestDir keys;
  const std::string& d = keys.path();
  MasterSource make;
  make.kind = MasterSource::Kind::none;
  auto [key, info] = new_master_key(make, d + "/mk");
  MasterSource other;
  other.kind = MasterSource::Kind::key_file;
  other.file = d + "/other";
  new_master_key(make, other.file);
  EXPECT_THROW(unlock_master_key(info, other, d), OpenError);
  MasterSource right;
  right.kind = MasterSource::Kind::key_file;
  right.file = d + "/mk";
  EXPECT_TRUE(ct_equal(unlock_master_key(info, right, d).span(), key.span()));
  EXPECT_THROW(new_master_key(make, d + "/mk"), UsageError);  // never over another key file
}

// Another front end's commits, read back from the store: each commit with
// its run, its boxes in key order and its history boxes, which a relay
// that did not see them checks and applies to the same head.
TEST_P(StoreTest, CommitsAfterGiveEachCommitAsItsAdministratorSentIt) {
  auto writer = open();
  Relay here(writer->groups(), *writer);
  auto elsewhere_store = open();
  Relay elsewhere(elsewhere_store->groups(), *elsewhere_store);
  // Epoch 3 adds bob with epoch 1's key; epochs 4 and 5 are one commit.
  Identity bob = Identity::generate();
  c_.next(Change::add, RosterEntry{"bob", bob.public_key(), Role::member});
  proto::Commit third = commit_of(3, "friends");
  for (std::size_t i = 0; i < third.boxes.size(); ++i) third.boxes[i][0] = static_cast<std::uint8_t>(i + 1);
  third.history.push_back({Epoch(1), EpochBox{7}});
  auto checked = here.check(*here.find("friends"), third);
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(checked)) << std::get<proto::Refused>(checked).message;
  writer->commit(std::get<CheckedCommit>(checked).row);
  here.apply(*here.find("friends"), std::get<CheckedCommit>(checked));
  c_.next();
  c_.next();
  proto::Commit run = commit_of(5, "friends");
  run.run.assign(1, std::vector<std::uint8_t>(c_.bytes[3].begin(), c_.bytes[3].end()));
  checked = here.check(*here.find("friends"), run);
  ASSERT_TRUE(std::holds_alternative<CheckedCommit>(checked)) << std::get<proto::Refused>(checked).message;
  writer->commit(std::get<CheckedCommit>(checked).row);

  GroupLive& g = *elsewhere.find("friends");
  std::vector<CommitRow> rows = elsewhere_store->commits_after(g.row.id, g.head());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].epoch, Epoch(3));
  EXPECT_TRUE(rows[0].run.empty());
  ASSERT_EQ(rows[0].boxes.size(), 3u);
  EXPECT_TRUE(std::is_sorted(rows[0].boxes.begin(), rows[0].boxes.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
  ASSERT_EQ(rows[0].history.size(), 1u);
  EXPECT_EQ(rows[0].history[0].first, bob.public_key());
  EXPECT_EQ(rows[0].history[0].second.epoch, Epoch(1));
  EXPECT_EQ(rows[0].history[0].second.box[0], 7);
  EXPECT_EQ(rows[1].epoch, Epoch(5));
  ASSERT_EQ(rows[1].run.size(), 1u);
  EXPECT_EQ(rows[1].run[0].state, run.run[0]);
  // A stored box moved to another member's key: named, not applied.
  {
    CommitRow moved = rows[0];
    std::swap(moved.boxes[0].first, moved.boxes[1].first);
    auto v = elsewhere.check_stored(g, moved);
    ASSERT_TRUE(std::holds_alternative<proto::Refused>(v));
    EXPECT_EQ(std::get<proto::Refused>(v).message, "a box stored for a key out of its place");
    moved = rows[0];
    moved.history[0].first = c_.alice.public_key();
    v = elsewhere.check_stored(g, moved);
    ASSERT_TRUE(std::holds_alternative<proto::Refused>(v));
    EXPECT_EQ(std::get<proto::Refused>(v).message, "a history box stored for another key");
    EXPECT_EQ(g.head(), Epoch(2));
  }
  for (const CommitRow& row : rows) {
    auto again = elsewhere.check_stored(g, row);
    ASSERT_TRUE(std::holds_alternative<CheckedCommit>(again)) << std::get<proto::Refused>(again).message;
    const CheckedCommit& cc = std::get<CheckedCommit>(again);
    // The same box for each member as the administrator sent.
    if (row.epoch == Epoch(3)) {
      for (std::size_t i = 0; i < third.boxes.size(); ++i) EXPECT_EQ(cc.row.boxes[i].second, third.boxes[i]);
    }
    elsewhere.apply(g, cc);
  }
  EXPECT_EQ(g.head(), Epoch(5));
  EXPECT_EQ(g.hashes.back(), c_.states[4].hash());
  EXPECT_TRUE(elsewhere_store->commits_after(g.row.id, Epoch(5)).empty());
  // A group created elsewhere is loaded from its genesis.
  Relay fresh;
  EXPECT_EQ(fresh.load(read_group(*elsewhere_store, *elsewhere_store->group(g.row.id))).head(), Epoch(5));
}

// Two front ends (two connections to one store) commit the same epoch at
// once: exactly one wins, the other is told it is stale, and the store
// holds the winner's state.
TEST_P(StoreTest, OfTwoRacingCommitsExactlyOneWins) {
  c_.next();
  const proto::Commit third = commit_of(3, "friends");
  std::vector<std::unique_ptr<Store>> fronts;
  std::vector<CommitRow> rows;
  for (int i = 0; i < 2; ++i) {
    fronts.push_back(open());
    Relay r(fronts.back()->groups(), *fronts.back());
    proto::Commit c = third;
    c.boxes[0][0] = static_cast<std::uint8_t>(i + 1);  // whose boxes are kept
    auto checked = r.check(*r.find("friends"), c);
    ASSERT_TRUE(std::holds_alternative<CheckedCommit>(checked));
    rows.push_back(std::get<CheckedCommit>(checked).row);
  }
  for (int round = 0; round < 10; ++round) {
    std::atomic<int> won{0}, stale{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([&, i] {
        try {
          fronts[i]->commit(rows[i]);
          ++won;
        } catch (const StaleCommit&) {
          ++stale;
        } catch (...) {
          ++other;
        }
      });
    for (auto& t : threads) t.join();
    ASSERT_EQ(won.load(), round == 0 ? 1 : 0) << "round " << round;
    ASSERT_EQ(stale.load(), round == 0 ? 1 : 2);
    ASSERT_EQ(other.load(), 0);
  }
  auto s = open();
  EXPECT_EQ(s->groups()[0].head, 3);
  auto rest = s->commits_after(s->groups()[0].id, Epoch(2));
  ASSERT_EQ(rest.size(), 1u);
  const std::uint8_t winner = rest[0].boxes[0].second[0];
  EXPECT_TRUE(winner == 1 || winner == 2);
  for (const auto& [k, b] : rest[0].boxes) EXPECT_TRUE(b[0] == winner || b[0] == 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::sqlite, Backend::postgresql),
                         [](const auto& i) { return i.param == Backend::sqlite ? "sqlite" : "postgresql"; });

}  // namespace
}  // namespace grypt
