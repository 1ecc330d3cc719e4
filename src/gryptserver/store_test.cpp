#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/group_test_chain.h"
#include "gryptserver/master_key.h"
#include "gryptserver/relay.h"
#include "gryptserver/store_sqlite.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

// A store with the group "friends": its genesis by TestChain's admin, then
// alice added, as the relay checks and the store keeps them.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master_ = SecretBytes(32);
    random_bytes(master_.span());
    auto store = open_sqlite_store(dir_, true);
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
    auto s = open_sqlite_store(dir_, false);
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
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/grypt.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  // Flips one bit of a blob: an edit that always changes it (setting a byte
  // to a value it may already have would not).
  void flip(const std::string& table, const std::string& column, const std::string& where, std::size_t byte) {
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
  SecretBytes master_;
  TestChain c_;
};

TEST_F(StoreTest, ARestartKeepsEveryStateAndBox) {
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
TEST_F(StoreTest, EverythingTheServerHoldsOpensNoBox) {
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
  // could read them: the database and its journal, byte for byte.
  std::string bytes;
  for (const char* f : {"/grypt.db", "/grypt.db-wal"}) {
    std::ifstream in(dir_ + f, std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 4096u);
  for (const SecretBytes& k : c_.keys) {
    std::string key(reinterpret_cast<const char*>(k.span().data()), k.span().size());
    EXPECT_EQ(bytes.find(key), std::string::npos);
  }
}

TEST_F(StoreTest, ACommitNotOnTheHeadIsStale) {
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

TEST_F(StoreTest, TheRelayRefusesByNameWhatMembersWould) {
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

TEST_F(StoreTest, BoxesMustBeOnePerMemberAndHistoryOnlyForItsSubject) {
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

TEST_F(StoreTest, OnlyTheServersAdminsCreateGroups) {
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

TEST_F(StoreTest, AStateEditedOrDroppedIsNamed) {
  flip("states", "state", "epoch = 2", 100);
  EXPECT_NE(load_error().find("group friends: epoch 2: "), std::string::npos) << load_error();
}

TEST_F(StoreTest, AMissingEpochIsNamed) {
  sql("DELETE FROM states WHERE epoch = 1");
  EXPECT_NE(load_error().find("epochs are missing"), std::string::npos) << load_error();
}

TEST_F(StoreTest, TheServerKeyIsBound) {
  sql("UPDATE meta SET server_secret = x'00'");
  EXPECT_NE(load_error().find("does not decrypt"), std::string::npos) << load_error();
}

TEST_F(StoreTest, PendingRequestsAreSealedOnePerKeyAndBounded) {
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

TEST_F(StoreTest, AWrongMasterKeyIsWrongKeyAndChangesNothing) {
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

}  // namespace
}  // namespace grypt
