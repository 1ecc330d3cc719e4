// The SQLite store: STORE/grypt.db in WAL mode with synchronous=FULL, so a
// commit is acknowledged only once its transaction is on disk, and a crash
// leaves the last committed state.
#include "gryptserver/store_sqlite.h"

#include <sqlite3.h>

#include <cstring>
#include <ctime>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/file.h"
#include "gryptserver/store_rows.h"

namespace grypt {
namespace {

using namespace store_rows;

constexpr int format = 2;

const char* schema = R"sql(
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format INTEGER NOT NULL,
  master_kind TEXT NOT NULL CHECK (master_kind IN ('passphrase', 'key-file')),
  salt BLOB, t INTEGER, m INTEGER, p INTEGER,
  master_check BLOB NOT NULL,
  server_public BLOB NOT NULL,
  server_secret BLOB NOT NULL,
  listen TEXT NOT NULL,
  host TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE admins (
  public_key BLOB PRIMARY KEY,
  added INTEGER NOT NULL);
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  group_id BLOB NOT NULL UNIQUE,
  head INTEGER NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE states (
  group_ref INTEGER NOT NULL REFERENCES groups(id),
  epoch INTEGER NOT NULL,
  state BLOB NOT NULL,
  ephemeral BLOB NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (group_ref, epoch));
CREATE TABLE boxes (
  group_ref INTEGER NOT NULL REFERENCES groups(id),
  member BLOB NOT NULL,
  epoch INTEGER NOT NULL,
  grant_epoch INTEGER NOT NULL,
  box BLOB NOT NULL,
  PRIMARY KEY (group_ref, member, epoch, grant_epoch));
CREATE TABLE pending (
  number INTEGER PRIMARY KEY,
  group_ref INTEGER NOT NULL REFERENCES groups(id),
  public_key BLOB NOT NULL,
  request BLOB NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  count INTEGER NOT NULL,
  UNIQUE (group_ref, public_key));
)sql";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw SystemError(std::string("store: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Stmt& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bind(int i, std::span<const std::uint8_t> v) {
    check(sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bind_null(int i) {
    check(sqlite3_bind_null(s_, i));
    return *this;
  }
  // True while there is a row.
  bool step() {
    int r = sqlite3_step(s_);
    if (r == SQLITE_ROW) return true;
    if (r == SQLITE_DONE) return false;
    throw SystemError(std::string("store: ") + sqlite3_errmsg(db_));
  }
  void run() {
    while (step()) {
    }
  }
  // Ready to run again with new bindings: one statement for many rows.
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    auto p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c)) : "";
  }
  std::vector<std::uint8_t> blob(int c) const {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, c));
    return p ? std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(s_, c))
             : std::vector<std::uint8_t>();
  }

 private:
  void check(int r) {
    if (r != SQLITE_OK) throw SystemError(std::string("store: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

class SqliteStore : public Store {
 public:
  SqliteStore(const std::string& dir, bool create) : path_(dir + "/grypt.db") {
    if (!create && !file_exists(path_))
      throw UsageError("there is no store in " + dir + " (gryptserver init makes one)");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string m = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw SystemError("cannot open the store " + path_ + ": " + m);
    }
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
    exec("PRAGMA secure_delete=ON");
    Stmt q(db_, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'");
    q.step();
    if (q.integer(0) == 0) {
      if (!create) throw FormatError(path_ + " is not a gryptserver store");
      exec("BEGIN IMMEDIATE");
      exec(schema);
      exec("COMMIT");
    }
    Stmt ok(db_, "PRAGMA quick_check");
    if (!ok.step() || ok.text(0) != "ok")
      throw FormatError("the store " + path_ + " is damaged: " + ok.text(0));
  }
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  std::optional<MasterInfo> master_info() override {
    Stmt q(db_, "SELECT master_kind, salt, t, m, p, master_check, format FROM meta");
    if (!q.step()) return std::nullopt;
    if (q.integer(6) != format)
      throw FormatError("the store " + path_ + " has format " + std::to_string(q.integer(6)) +
                        "; this gryptserver reads format 2 (group protocol version 2): make a new store");
    MasterInfo i;
    i.kind = q.text(0) == "passphrase" ? MasterInfo::Kind::passphrase : MasterInfo::Kind::key_file;
    i.salt = q.blob(1);
    i.params = {static_cast<std::uint32_t>(q.integer(2)), static_cast<std::uint32_t>(q.integer(3)),
                static_cast<std::uint32_t>(q.integer(4))};
    i.check = q.blob(5);
    return i;
  }

  void unlock(FieldCipher cipher) override { cipher_.emplace(std::move(cipher)); }

  void create(const MasterInfo& master, const Identity& server, const std::string& listen,
              const std::string& host, const std::vector<PublicKey>& admins,
              const std::vector<Endpoint>& endpoints) override {
    if (!endpoints.empty()) throw std::logic_error("a store directory has one server: no endpoints");
    Transaction t(*this);
    Stmt q(db_,
           "INSERT INTO meta (id, format, master_kind, salt, t, m, p, master_check,"
           " server_public, server_secret, listen, host, created)"
           " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, format).bind(2, master.kind == MasterInfo::Kind::passphrase ? "passphrase" : "key-file");
    if (master.kind == MasterInfo::Kind::passphrase)
      q.bind(3, master.salt).bind(4, master.params.t_cost).bind(5, master.params.m_kib)
          .bind(6, master.params.lanes);
    else
      q.bind_null(3).bind_null(4).bind_null(5).bind_null(6);
    q.bind(7, master.check)
        .bind(8, server.public_key().bytes())
        .bind(9, cipher().seal(server.secret().span(), server_secret_where))
        .bind(10, listen)
        .bind(11, host)
        .bind(12, now());
    q.run();
    for (const PublicKey& k : admins) insert_admin(k);
    t.commit();
  }

  Identity server_identity() override {
    Stmt q(db_, "SELECT server_public, server_secret FROM meta");
    if (!q.step()) throw FormatError("the store " + path_ + " has no server key");
    SecretBytes secret = cipher().open(q.blob(1), server_secret_where);
    Identity id = Identity::from_secret(secret.span());
    check_server_public(id, q.blob(0));
    return id;
  }

  std::string listen() override { return meta_text("listen"); }
  std::string host() override { return meta_text("host"); }

  std::vector<PublicKey> admins() override {
    Stmt q(db_, "SELECT public_key FROM admins ORDER BY added, public_key");
    std::vector<PublicKey> out;
    while (q.step()) out.push_back(key_of(q.blob(0), "admins.public_key"));
    return out;
  }

  void set_admin(const PublicKey& key, bool allowed) override {
    Transaction t(*this);
    if (allowed) {
      Stmt q(db_, "SELECT 1 FROM admins WHERE public_key = ?");
      q.bind(1, key.bytes());
      if (!q.step()) insert_admin(key);
    } else {
      Stmt q(db_, "DELETE FROM admins WHERE public_key = ?");
      q.bind(1, key.bytes()).run();
    }
    t.commit();
  }

  std::vector<GroupRow> groups() override {
    Stmt q(db_, "SELECT id, name, group_id, head FROM groups ORDER BY name");
    std::vector<GroupRow> out;
    while (q.step()) out.push_back(group_row(q));
    return out;
  }

  std::optional<GroupRow> group(std::int64_t id) override {
    Stmt q(db_, "SELECT id, name, group_id, head FROM groups WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    return group_row(q);
  }

  GroupRow create_group(const std::string& name, const GroupId& id, const StateRow& genesis,
                        const PublicKey& creator, const EpochBox& box) override {
    Transaction t(*this);
    {
      Stmt q(db_, "SELECT 1 FROM groups WHERE name = ?");
      q.bind(1, name);
      if (q.step()) throw UsageError("the server has a group named " + name + " already");
    }
    Stmt q(db_, "INSERT INTO groups (name, group_id, head, created) VALUES (?, ?, 1, ?)");
    q.bind(1, name).bind(2, id).bind(3, now()).run();
    GroupRow g{sqlite3_last_insert_rowid(db_), name, id};
    insert_state(g.id, Epoch(1), genesis);
    insert_box(g.id, creator, Epoch(1), Epoch(1), box);
    t.commit();
    return g;
  }

  std::vector<StateRow> states(std::int64_t group) override { return states_after(group, Epoch(0)); }

  std::vector<CommitRow> commits_after(std::int64_t group, Epoch after) override {
    Transaction t(*this, "BEGIN");
    std::vector<StateRow> states = states_after(group, after);
    Stmt q(db_,
           "SELECT member, epoch, grant_epoch, box FROM boxes WHERE group_ref = ? AND grant_epoch > ?"
           " ORDER BY grant_epoch, member, epoch");
    q.bind(1, group).bind(2, after.value());
    std::vector<StoredBox> boxes;
    while (q.step()) boxes.emplace_back(q.blob(0), q.integer(1), q.integer(2), q.blob(3));
    t.commit();
    return split_commits(group, after, std::move(states), boxes);
  }

  std::vector<StateRow> states_after(std::int64_t group, Epoch after) {
    Stmt q(db_, "SELECT epoch, state, ephemeral FROM states WHERE group_ref = ? AND epoch > ? ORDER BY epoch");
    q.bind(1, group).bind(2, after.value());
    std::vector<StateRow> out;
    while (q.step()) {
      std::string where = "states.epoch " + std::to_string(q.integer(0)) + " of group " + std::to_string(group);
      if (q.integer(0) != static_cast<std::int64_t>(after.value() + out.size()) + 1)
        throw OpenError(Fault::auth, "the store is damaged: " + where + ": epochs are missing");
      out.push_back({q.blob(1), fixed<32>(q.blob(2), where)});
    }
    return out;
  }

  void commit(const CommitRow& c) override {
    Transaction t(*this);
    {
      Stmt q(db_, "SELECT head FROM groups WHERE id = ?");
      q.bind(1, c.group);
      if (!q.step()) throw std::logic_error("no such group row");
      if (q.integer(0) + 1 != c.first().value())
        throw StaleCommit("the group is at epoch " + std::to_string(q.integer(0)), q.integer(0));
    }
    for (std::size_t i = 0; i < c.run.size(); ++i)
      insert_state(c.group, Epoch(c.first().value() + static_cast<std::uint32_t>(i)), c.run[i]);
    insert_state(c.group, c.epoch, c.state);
    // One statement for every box: preparing it is most of a row's cost.
    Stmt q(db_, insert_box_sql);
    for (const auto& [key, box] : c.boxes) insert_box(q, c.group, key, c.epoch, c.epoch, box);
    for (const auto& [key, b] : c.history) insert_box(q, c.group, key, b.epoch, b.grant, b.box);
    for (const std::vector<PublicKey>* keys : {&c.added, &c.removed})
      for (const PublicKey& k : *keys) {
        Stmt d(db_, "DELETE FROM pending WHERE group_ref = ? AND public_key = ?");
        d.bind(1, c.group).bind(2, k.bytes()).run();
      }
    Stmt g(db_, "UPDATE groups SET head = ? WHERE id = ?");
    g.bind(1, c.epoch.value()).bind(2, c.group).run();
    t.commit();
  }

  std::vector<BoxRow> boxes(std::int64_t group, const PublicKey& key, Epoch after) override {
    Stmt q(db_,
           "SELECT epoch, box FROM boxes WHERE group_ref = ? AND member = ? AND epoch > ?"
           " AND grant_epoch = epoch ORDER BY epoch");
    q.bind(1, group).bind(2, key.bytes()).bind(3, after.value());
    std::vector<BoxRow> out;
    while (q.step()) {
      Epoch e(static_cast<std::uint32_t>(q.integer(0)));
      out.push_back({e, e, fixed<box_bytes>(q.blob(1), "boxes.box")});
    }
    return out;
  }

  std::vector<BoxRow> history(std::int64_t group, const PublicKey& key,
                              const std::vector<std::pair<Epoch, Epoch>>& ranges) override {
    std::vector<BoxRow> out;
    for (auto [from, to] : ranges) {
      Stmt q(db_,
             "SELECT epoch, grant_epoch, box FROM boxes WHERE group_ref = ? AND member = ?"
             " AND epoch BETWEEN ? AND ? ORDER BY epoch, grant_epoch");
      q.bind(1, group).bind(2, key.bytes()).bind(3, from.value()).bind(4, to.value());
      while (q.step())
        out.push_back({Epoch(static_cast<std::uint32_t>(q.integer(0))),
                       Epoch(static_cast<std::uint32_t>(q.integer(1))), fixed<box_bytes>(q.blob(2), "boxes.box")});
    }
    return out;
  }

  void record_pending(std::int64_t group, const PublicKey& key, const std::vector<std::uint8_t>& request,
                      std::int64_t at, std::size_t keep) override {
    Transaction t(*this);
    Stmt q(db_,
           "INSERT INTO pending (group_ref, public_key, request, first, last, count)"
           " VALUES (?, ?, ?, ?, ?, 1)"
           " ON CONFLICT (group_ref, public_key) DO UPDATE SET"
           " last = excluded.last, count = count + 1, request = excluded.request");
    q.bind(1, group).bind(2, key.bytes()).bind(3, cipher().seal(request, request_where(group, key)))
        .bind(4, at).bind(5, at).run();
    Stmt d(db_,
           "DELETE FROM pending WHERE group_ref = ? AND number NOT IN"
           " (SELECT number FROM pending WHERE group_ref = ? ORDER BY last DESC, number DESC"
           "  LIMIT ?)");
    d.bind(1, group).bind(2, group).bind(3, static_cast<std::int64_t>(keep)).run();
    t.commit();
  }

  std::vector<PendingRow> pending(std::int64_t group) override {
    Stmt q(db_,
           "SELECT number, public_key, request, first, last, count FROM pending"
           " WHERE group_ref = ? ORDER BY number");
    q.bind(1, group);
    std::vector<PendingRow> out;
    while (q.step()) {
      PendingRow p;
      p.number = q.integer(0);
      if (!open_pending(cipher(), group, q.blob(1), q.blob(2), p)) continue;
      p.first = q.integer(3);
      p.last = q.integer(4);
      p.count = static_cast<std::uint64_t>(q.integer(5));
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  class Transaction {
   public:
    explicit Transaction(SqliteStore& s, const char* begin = "BEGIN IMMEDIATE") : s_(s) { s_.exec(begin); }
    ~Transaction() {
      if (!done_) sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }

   private:
    SqliteStore& s_;
    bool done_ = false;
  };

  FieldCipher& cipher() {
    if (!cipher_) throw std::logic_error("store used before unlock");
    return *cipher_;
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw SystemError("store " + path_ + ": " + m);
    }
  }

  static GroupRow group_row(const Stmt& q) {
    GroupRow g;
    g.id = q.integer(0);
    g.name = q.text(1);
    g.group_id = fixed<32>(q.blob(2), "groups.group_id of " + g.name);
    g.head = q.integer(3);
    return g;
  }

  std::string meta_text(const char* column) {
    Stmt q(db_, (std::string("SELECT ") + column + " FROM meta").c_str());
    if (!q.step()) throw FormatError("the store " + path_ + " is not initialised");
    return q.text(0);
  }

  void insert_admin(const PublicKey& k) {
    Stmt q(db_, "INSERT INTO admins (public_key, added) VALUES (?, ?)");
    q.bind(1, k.bytes()).bind(2, now()).run();
  }

  void insert_state(std::int64_t group, Epoch e, const StateRow& s) {
    Stmt q(db_, "INSERT INTO states (group_ref, epoch, state, ephemeral, created) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, group).bind(2, e.value()).bind(3, s.state).bind(4, s.ephemeral).bind(5, now()).run();
  }

  static constexpr const char* insert_box_sql =
      "INSERT OR REPLACE INTO boxes (group_ref, member, epoch, grant_epoch, box) VALUES (?, ?, ?, ?, ?)";
  void insert_box(std::int64_t group, const PublicKey& key, Epoch e, Epoch grant, const EpochBox& box) {
    Stmt q(db_, insert_box_sql);
    insert_box(q, group, key, e, grant, box);
  }
  static void insert_box(Stmt& q, std::int64_t group, const PublicKey& key, Epoch e, Epoch grant, const EpochBox& box) {
    q.bind(1, group).bind(2, key.bytes()).bind(3, e.value()).bind(4, grant.value()).bind(5, box).run();
    q.reset();
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::optional<FieldCipher> cipher_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& dir, bool create) {
  return std::make_unique<SqliteStore>(dir, create);
}

}  // namespace grypt
