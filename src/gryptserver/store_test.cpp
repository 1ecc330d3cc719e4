#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>

#include "core/error.h"
#include "gryptserver/authority.h"
#include "gryptserver/master_key.h"
#include "gryptserver/store_sqlite.h"

namespace grypt {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_crypto();
    char tmpl[] = "/tmp/grypt-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    master_ = SecretBytes(32);
    random_bytes(master_.span());
    auto store = open_sqlite_store(dir_, true);
    store->unlock(FieldCipher(master_));
    MasterInfo info;
    info.check = FieldCipher(master_).seal(as_bytes("x"), "meta.master_check.1");
    store->create(info, Identity::generate(), "127.0.0.1:4433", "127.0.0.1");
    Authority a(*store, store->server_identity());
    a.init_group("friends", "test");
    a.add("friends", alice_.public_key().to_string(), "alice", false, "test");
    a.add("friends", bob_.public_key().to_string(), "bob", false, "test");
  }
  void TearDown() override { EXPECT_EQ(std::system(("rm -rf " + dir_).c_str()), 0); }

  std::unique_ptr<Store> open() {
    auto s = open_sqlite_store(dir_, false);
    s->unlock(FieldCipher(master_));
    return s;
  }
  // Loads everything the server loads at start.
  void load() {
    auto s = open();
    Authority a(*s, s->server_identity());
  }
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/grypt.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  std::string load_error() {
    try {
      load();
    } catch (const OpenError& e) {
      return e.what();
    }
    return "loaded";
  }

  std::string dir_;
  SecretBytes master_;
  Identity alice_ = (init_crypto(), Identity::generate());
  Identity bob_ = Identity::generate();
};

TEST_F(StoreTest, ARestartKeepsEverything) {
  auto s = open();
  Authority a(*s, s->server_identity());
  GroupData& g = a.get("friends");
  EXPECT_EQ(g.row.epoch, Epoch(3));
  ASSERT_EQ(g.states.size(), 3u);
  EXPECT_EQ(a.roster(g, Epoch(3)).size(), 2u);
  EXPECT_EQ(a.roster(g, Epoch(2)).size(), 1u);
  a.remove("friends", "bob", "test");
  EXPECT_EQ(a.rotate("friends", "test"), Epoch(5));
  s.reset();
  auto s2 = open();
  Authority b(*s2, s2->server_identity());
  GroupData& g2 = b.get("friends");
  EXPECT_EQ(g2.row.epoch, Epoch(5));
  EXPECT_EQ(b.roster(g2, Epoch(5)).size(), 1u);
  EXPECT_EQ(b.roster(g2, Epoch(3)).size(), 2u);  // history of rosters survives
  const MemberRow* bob = nullptr;
  for (const MemberRow& m : g2.members)
    if (m.name == "bob") bob = &m;
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->until, Epoch(4));
  EXPECT_TRUE(Authority::entitled(*bob, Epoch(3)));
  EXPECT_FALSE(Authority::entitled(*bob, Epoch(4)));
  EXPECT_EQ(b.log(g2).size(), 5u);
}

TEST_F(StoreTest, AnEditedEpochKeyIsNamed) {
  sql("UPDATE epochs SET epoch_key = substr(epoch_key, 1, 20) || x'00' || substr(epoch_key, 22) WHERE epoch = 2");
  EXPECT_NE(load_error().find("epochs.epoch_key.group=1.epoch=2 does not decrypt"), std::string::npos)
      << load_error();
}

TEST_F(StoreTest, AnEpochKeyCopiedToAnotherRowIsNamed) {
  sql("UPDATE epochs SET epoch_key = (SELECT epoch_key FROM epochs WHERE epoch = 1) WHERE epoch = 3");
  EXPECT_NE(load_error().find("epochs.epoch_key.group=1.epoch=3 does not decrypt"), std::string::npos)
      << load_error();
}

TEST_F(StoreTest, TheServerKeyIsBound) {
  sql("UPDATE meta SET server_secret = x'00'");
  EXPECT_THROW(load(), OpenError);
}

TEST_F(StoreTest, AMemberRowEditedOrSwappedIsNamed) {
  sql("UPDATE members SET history = 1 WHERE name = 'bob'");
  EXPECT_NE(load_error().find("members.auth."), std::string::npos) << load_error();
}

TEST_F(StoreTest, AMemberRowInsertedWithoutTheKeyIsRefused) {
  Identity mallory = Identity::generate();
  std::string hex;
  for (std::uint8_t b : mallory.public_key().bytes()) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  sql("INSERT INTO members (group_ref, name, public_key, since, until, history, added, auth)"
      " SELECT group_ref, 'mallory', x'" + hex + "', since, NULL, 1, added, auth FROM members WHERE name = 'bob'");
  EXPECT_NE(load_error().find("does not decrypt"), std::string::npos) << load_error();
}

TEST_F(StoreTest, ARemovedMemberRowRestoredBreaksTheRoster) {
  {
    auto s = open();
    Authority a(*s, s->server_identity());
    a.remove("friends", "bob", "test");
  }
  // Whoever can write the database cannot make bob current again: the row's
  // MAC covers `until`.
  sql("UPDATE members SET until = NULL WHERE name = 'bob'");
  EXPECT_NE(load_error().find("members.auth."), std::string::npos) << load_error();
}

TEST_F(StoreTest, AStateEditedOrDroppedIsNamed) {
  sql("UPDATE epochs SET state = substr(state, 1, 30) || x'ff' || substr(state, 32) WHERE epoch = 2");
  EXPECT_NE(load_error().find("epoch 2: its state is not signed by this server"), std::string::npos)
      << load_error();
}

TEST_F(StoreTest, AMissingEpochIsNamed) {
  sql("DELETE FROM epochs WHERE epoch = 2");
  EXPECT_NE(load_error().find("epochs are missing"), std::string::npos) << load_error();
}

TEST_F(StoreTest, TheAuditLogIsAppendOnly) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/grypt.db").c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit SET actor = 'nobody'", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST_F(StoreTest, PendingRequestsAreOnePerKeyAndBounded) {
  auto s = open();
  Authority a(*s, s->server_identity());
  GroupData& g = a.get("friends");
  Identity first = Identity::generate();
  a.record_pending(g, first.public_key(), "one");
  a.record_pending(g, first.public_key(), "");
  auto p = a.pending(g);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].count, 2u);
  EXPECT_EQ(p[0].note, "one");
  for (std::size_t i = 0; i < Authority::max_pending + 5; ++i) a.record_pending(g, Identity::generate().public_key(), "");
  EXPECT_EQ(a.pending(g).size(), Authority::max_pending);
}

TEST_F(StoreTest, AWrongMasterKeyIsWrongKeyAndChangesNothing) {
  char tmpl[] = "/tmp/grypt-mk-XXXXXX";
  std::string d = mkdtemp(tmpl);
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
  EXPECT_EQ(std::system(("rm -rf " + d).c_str()), 0);
}

}  // namespace
}  // namespace grypt
