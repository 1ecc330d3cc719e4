// The SQLite store: STORE/grypt.db in WAL mode with synchronous=FULL, so an
// admin change is acknowledged only once its transaction is on disk, and a
// crash leaves the last committed state.
#include "gryptserver/store_sqlite.h"

#include <sqlite3.h>

#include <cstring>
#include <ctime>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/file.h"

namespace grypt {
namespace {

constexpr int format = 1;

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
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  group_id BLOB NOT NULL UNIQUE,
  epoch INTEGER NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  group_ref INTEGER NOT NULL REFERENCES groups(id),
  name TEXT NOT NULL,
  public_key BLOB NOT NULL,
  since INTEGER NOT NULL,
  until INTEGER,
  history INTEGER NOT NULL,
  added INTEGER NOT NULL,
  auth BLOB NOT NULL);
CREATE UNIQUE INDEX members_name ON members(group_ref, name) WHERE until IS NULL;
CREATE UNIQUE INDEX members_key ON members(group_ref, public_key) WHERE until IS NULL;
CREATE TABLE epochs (
  group_ref INTEGER NOT NULL REFERENCES groups(id),
  epoch INTEGER NOT NULL,
  state BLOB NOT NULL,
  epoch_key BLOB NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (group_ref, epoch));
CREATE TABLE pending (
  number INTEGER PRIMARY KEY,
  group_ref INTEGER NOT NULL REFERENCES groups(id),
  public_key BLOB NOT NULL,
  note TEXT NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  count INTEGER NOT NULL,
  UNIQUE (group_ref, public_key));
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  group_ref INTEGER,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
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

// The associated data of a member row: everything a member's rights depend on.
std::string member_where(std::int64_t id, std::int64_t group, const MemberRow& m) {
  return "members.auth." + std::to_string(id) + " group=" + std::to_string(group) +
         " name=" + m.name + " key=" + m.key.to_string() +
         " since=" + m.since.to_string() +
         " until=" + (m.until ? m.until->to_string() : "-") +
         " history=" + (m.history ? "1" : "0") + " added=" + std::to_string(m.added);
}

std::string epoch_where(std::int64_t group, Epoch e) {
  return "epochs.epoch_key.group=" + std::to_string(group) + ".epoch=" + e.to_string();
}

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
                        "; this gryptserver reads format 1");
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
              const std::string& host) override {
    exec("BEGIN IMMEDIATE");
    try {
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
          .bind(9, cipher().seal(server.secret().span(), "meta.server_secret.1"))
          .bind(10, listen)
          .bind(11, host)
          .bind(12, static_cast<std::int64_t>(std::time(nullptr)));
      q.run();
      exec("COMMIT");
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }

  Identity server_identity() override {
    Stmt q(db_, "SELECT server_public, server_secret FROM meta");
    if (!q.step()) throw FormatError("the store " + path_ + " has no server key");
    SecretBytes secret = cipher().open(q.blob(1), "meta.server_secret.1");
    Identity id = Identity::from_secret(secret.span());
    if (!std::equal(id.public_key().bytes().begin(), id.public_key().bytes().end(),
                    q.blob(0).begin()) ||
        q.blob(0).size() != public_key_bytes)
      throw OpenError(Fault::auth, "the store is damaged: meta.server_public does not match the "
                                   "server's secret key");
    return id;
  }

  std::string listen() override { return meta_text("listen"); }
  std::string host() override { return meta_text("host"); }

  std::vector<GroupRow> groups() override {
    Stmt q(db_, "SELECT id, name, group_id, epoch, created FROM groups ORDER BY name");
    std::vector<GroupRow> out;
    while (q.step()) {
      GroupRow g;
      g.id = q.integer(0);
      g.name = q.text(1);
      auto gid = q.blob(2);
      if (gid.size() != g.group_id.size())
        throw OpenError(Fault::auth, "the store is damaged: groups.group_id of " + g.name);
      std::copy(gid.begin(), gid.end(), g.group_id.begin());
      g.epoch = Epoch(static_cast<std::uint32_t>(q.integer(3)));
      g.created = q.integer(4);
      out.push_back(std::move(g));
    }
    return out;
  }

  GroupRow add_group(const std::string& name, const GroupId& id, const EpochRow& first,
                     const AuditRow& audit) override {
    Transaction t(*this);
    Stmt q(db_, "INSERT INTO groups (name, group_id, epoch, created) VALUES (?, ?, ?, ?)");
    q.bind(1, name).bind(2, id).bind(3, first.epoch.value()).bind(4, audit.time).run();
    GroupRow g{sqlite3_last_insert_rowid(db_), name, id, first.epoch, audit.time};
    insert_epoch(g.id, first, audit.time);
    insert_audit(g.id, audit);
    t.commit();
    return g;
  }

  std::vector<MemberRow> members(std::int64_t group) override {
    Stmt q(db_,
           "SELECT id, name, public_key, since, until, history, added, auth FROM members"
           " WHERE group_ref = ? ORDER BY id");
    q.bind(1, group);
    std::vector<MemberRow> out;
    while (q.step()) {
      MemberRow m;
      m.id = q.integer(0);
      m.name = q.text(1);
      std::string where = "members row " + std::to_string(m.id);
      try {
        m.key = PublicKey::from_bytes(q.blob(2));
      } catch (const FormatError&) {
        throw OpenError(Fault::auth, "the store is damaged: " + where + " holds no valid key");
      }
      m.since = Epoch(static_cast<std::uint32_t>(q.integer(3)));
      if (!q.is_null(4)) m.until = Epoch(static_cast<std::uint32_t>(q.integer(4)));
      m.history = q.integer(5) != 0;
      m.added = q.integer(6);
      // The row's MAC covers every column a member's rights depend on.
      cipher().open(q.blob(7), member_where(m.id, group, m));
      out.push_back(std::move(m));
    }
    return out;
  }

  std::vector<EpochRow> epochs(std::int64_t group) override {
    Stmt q(db_, "SELECT epoch, state, epoch_key FROM epochs WHERE group_ref = ? ORDER BY epoch");
    q.bind(1, group);
    std::vector<EpochRow> out;
    while (q.step()) {
      EpochRow e;
      e.epoch = Epoch(static_cast<std::uint32_t>(q.integer(0)));
      e.state = q.blob(1);
      e.key = cipher().open(q.blob(2), epoch_where(group, e.epoch));
      out.push_back(std::move(e));
    }
    return out;
  }

  std::int64_t apply(const Change& c) override {
    Transaction t(*this);
    std::int64_t added = 0;
    if (c.remove) {
      Stmt q(db_,
             "SELECT id, name, public_key, since, history, added, auth FROM members"
             " WHERE id = ? AND until IS NULL");
      q.bind(1, *c.remove);
      if (!q.step()) throw std::logic_error("no member row to remove");
      MemberRow m;
      m.id = q.integer(0);
      m.name = q.text(1);
      m.key = PublicKey::from_bytes(q.blob(2));
      m.since = Epoch(static_cast<std::uint32_t>(q.integer(3)));
      m.history = q.integer(4) != 0;
      m.added = q.integer(5);
      cipher().open(q.blob(6), member_where(m.id, c.group, m));  // never re-seal a forged row
      m.until = c.epoch.epoch;
      Stmt u(db_, "UPDATE members SET until = ?, auth = ? WHERE id = ?");
      u.bind(1, c.epoch.epoch.value())
          .bind(2, cipher().seal({}, member_where(m.id, c.group, m)))
          .bind(3, m.id)
          .run();
    }
    if (c.add) {
      const MemberRow& m = *c.add;
      Stmt q(db_,
             "INSERT INTO members (group_ref, name, public_key, since, until, history, added, auth)"
             " VALUES (?, ?, ?, ?, NULL, ?, ?, x'')");
      q.bind(1, c.group).bind(2, m.name).bind(3, m.key.bytes()).bind(4, m.since.value())
          .bind(5, m.history ? 1 : 0).bind(6, m.added).run();
      std::int64_t id = sqlite3_last_insert_rowid(db_);
      Stmt u(db_, "UPDATE members SET auth = ? WHERE id = ?");
      u.bind(1, cipher().seal({}, member_where(id, c.group, m))).bind(2, id).run();
      added = id;
    }
    if (c.taken_pending) {
      Stmt q(db_, "DELETE FROM pending WHERE number = ? AND group_ref = ?");
      q.bind(1, *c.taken_pending).bind(2, c.group).run();
    }
    insert_epoch(c.group, c.epoch, c.audit.time);
    Stmt g(db_, "UPDATE groups SET epoch = ? WHERE id = ?");
    g.bind(1, c.epoch.epoch.value()).bind(2, c.group).run();
    insert_audit(c.group, c.audit);
    t.commit();
    return added;
  }

  void record_pending(std::int64_t group, const PublicKey& key, const std::string& note,
                      std::int64_t now, std::size_t keep) override {
    Transaction t(*this);
    Stmt q(db_,
           "INSERT INTO pending (group_ref, public_key, note, first, last, count)"
           " VALUES (?, ?, ?, ?, ?, 1)"
           " ON CONFLICT (group_ref, public_key) DO UPDATE SET"
           " last = excluded.last, count = count + 1,"
           " note = CASE WHEN excluded.note = '' THEN note ELSE excluded.note END");
    q.bind(1, group).bind(2, key.bytes()).bind(3, note).bind(4, now).bind(5, now).run();
    Stmt d(db_,
           "DELETE FROM pending WHERE group_ref = ? AND number NOT IN"
           " (SELECT number FROM pending WHERE group_ref = ? ORDER BY last DESC, number DESC"
           "  LIMIT ?)");
    d.bind(1, group).bind(2, group).bind(3, static_cast<std::int64_t>(keep)).run();
    t.commit();
  }

  std::vector<PendingRow> pending(std::int64_t group) override {
    Stmt q(db_,
           "SELECT number, public_key, note, first, last, count FROM pending"
           " WHERE group_ref = ? ORDER BY number");
    q.bind(1, group);
    std::vector<PendingRow> out;
    while (q.step()) {
      PendingRow p;
      p.number = q.integer(0);
      try {
        p.key = PublicKey::from_bytes(q.blob(1));
      } catch (const FormatError&) {
        continue;  // a damaged request is only a request: skip it
      }
      p.note = q.text(2);
      p.first = q.integer(3);
      p.last = q.integer(4);
      p.count = static_cast<std::uint64_t>(q.integer(5));
      out.push_back(std::move(p));
    }
    return out;
  }

  std::vector<AuditRow> log(std::int64_t group) override {
    Stmt q(db_,
           "SELECT a.time, a.actor, a.action, a.detail, coalesce(g.name, '') FROM audit a"
           " LEFT JOIN groups g ON g.id = a.group_ref WHERE a.group_ref = ? ORDER BY a.id");
    q.bind(1, group);
    std::vector<AuditRow> out;
    while (q.step()) out.push_back({q.integer(0), q.text(1), q.text(4), q.text(2), q.text(3)});
    return out;
  }

  void append_audit(std::int64_t group, const AuditRow& audit) override {
    Transaction t(*this);
    insert_audit(group, audit);
    t.commit();
  }

 private:
  class Transaction {
   public:
    explicit Transaction(SqliteStore& s) : s_(s) { s_.exec("BEGIN IMMEDIATE"); }
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

  std::string meta_text(const char* column) {
    Stmt q(db_, (std::string("SELECT ") + column + " FROM meta").c_str());
    if (!q.step()) throw FormatError("the store " + path_ + " is not initialised");
    return q.text(0);
  }

  void insert_epoch(std::int64_t group, const EpochRow& e, std::int64_t now) {
    Stmt q(db_, "INSERT INTO epochs (group_ref, epoch, state, epoch_key, created) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, group).bind(2, e.epoch.value()).bind(3, e.state)
        .bind(4, cipher().seal(e.key.span(), epoch_where(group, e.epoch))).bind(5, now).run();
  }

  void insert_audit(std::int64_t group, const AuditRow& a) {
    Stmt q(db_, "INSERT INTO audit (group_ref, time, actor, action, detail) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, group).bind(2, a.time).bind(3, a.actor).bind(4, a.action).bind(5, a.detail).run();
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::optional<FieldCipher> cipher_;
};

}  // namespace

FieldCipher::FieldCipher(const SecretBytes& master_key)
    : key_(hkdf_sha256(master_key.span(), {}, as_bytes("grypt store field key v1"))) {}

std::vector<std::uint8_t> FieldCipher::seal(std::span<const std::uint8_t> plain,
                                            const std::string& where) {
  std::vector<std::uint8_t> out(gcm_nonce_bytes + plain.size() + gcm_tag_bytes);
  random_bytes(std::span(out).first(gcm_nonce_bytes));
  std::string aad = "grypt store v1 " + where;
  AesGcm(key_.span()).seal(std::span<const std::uint8_t, gcm_nonce_bytes>(out.data(), gcm_nonce_bytes),
                           plain, out.data() + gcm_nonce_bytes,
                           out.data() + gcm_nonce_bytes + plain.size(), as_bytes(aad));
  return out;
}

SecretBytes FieldCipher::open(std::span<const std::uint8_t> sealed, const std::string& where) {
  auto damaged = [&] {
    return OpenError(Fault::auth, "the store is damaged: " + where +
                                      " does not decrypt (edited, or copied from another row)");
  };
  if (sealed.size() < gcm_nonce_bytes + gcm_tag_bytes) throw damaged();
  std::size_t n = sealed.size() - gcm_nonce_bytes - gcm_tag_bytes;
  SecretBytes plain(n);
  std::string aad = "grypt store v1 " + where;
  if (!AesGcm(key_.span()).open(std::span<const std::uint8_t, gcm_nonce_bytes>(sealed.data(), gcm_nonce_bytes),
                                sealed.subspan(gcm_nonce_bytes, n), sealed.data() + gcm_nonce_bytes + n,
                                plain.data(), as_bytes(aad)))
    throw damaged();
  return plain;
}

std::unique_ptr<Store> open_sqlite_store(const std::string& dir, bool create) {
  return std::make_unique<SqliteStore>(dir, create);
}

}  // namespace grypt
