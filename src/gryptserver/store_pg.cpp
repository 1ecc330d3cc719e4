// The PostgreSQL store (gryptserver.8, SEVERAL FRONT ENDS): the same rows
// as the SQLite store, sealed the same way, in a database several
// gryptserver front ends share. A commit is one transaction that locks its
// group's row, checks the head and NOTIFYs the front ends; the primary key
// (group, epoch) of the states is the last word on a race.
#include "gryptserver/store_pg.h"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "core/bytes.h"
#include "core/error.h"
#include "gryptserver/store_rows.h"

namespace grypt {
namespace {

using namespace store_rows;

constexpr int format = 2;

// The schema, by version: a store at version v runs migrations v+1.. at
// the next start (under an advisory lock, so front ends starting together
// run each once). Version 1 is the first.
const char* const migrations[] = {
    R"sql(
CREATE TABLE grypt_schema (version integer NOT NULL);
INSERT INTO grypt_schema VALUES (1);
CREATE TABLE meta (
  id integer PRIMARY KEY CHECK (id = 1),
  format integer NOT NULL,
  master_kind text NOT NULL CHECK (master_kind IN ('passphrase', 'key-file')),
  salt bytea, t bigint, m bigint, p bigint,
  master_check bytea NOT NULL,
  server_public bytea NOT NULL,
  server_secret bytea NOT NULL,
  listen text NOT NULL,
  host text NOT NULL,
  created bigint NOT NULL);
CREATE TABLE endpoints (
  position bigint PRIMARY KEY,
  host text NOT NULL,
  port bigint NOT NULL);
CREATE TABLE admins (
  public_key bytea PRIMARY KEY,
  added bigint NOT NULL);
CREATE TABLE groups (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  group_id bytea NOT NULL UNIQUE,
  head bigint NOT NULL,
  created bigint NOT NULL);
CREATE TABLE states (
  group_ref bigint NOT NULL REFERENCES groups(id),
  epoch bigint NOT NULL,
  state bytea NOT NULL,
  ephemeral bytea NOT NULL,
  created bigint NOT NULL,
  PRIMARY KEY (group_ref, epoch));
CREATE TABLE boxes (
  group_ref bigint NOT NULL REFERENCES groups(id),
  member bytea NOT NULL,
  epoch bigint NOT NULL,
  grant_epoch bigint NOT NULL,
  box bytea NOT NULL,
  PRIMARY KEY (group_ref, member, epoch, grant_epoch));
CREATE INDEX boxes_by_grant ON boxes (group_ref, grant_epoch);
CREATE TABLE pending (
  number bigserial PRIMARY KEY,
  group_ref bigint NOT NULL REFERENCES groups(id),
  public_key bytea NOT NULL,
  request bytea NOT NULL,
  first bigint NOT NULL,
  last bigint NOT NULL,
  count bigint NOT NULL,
  UNIQUE (group_ref, public_key));
)sql",
};
constexpr int schema_version = static_cast<int>(std::size(migrations));
// pg_advisory_xact_lock's key for migrations: "grypt" in ASCII.
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(111563117504628)";

std::string hex(std::span<const std::uint8_t> b) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (std::uint8_t c : b) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// Query parameters: numbers and text as text, bytes as binary.
class Params {
 public:
  Params& add(std::int64_t v) { return text(std::to_string(v)); }
  Params& add(const std::string& v) { return text(v); }
  Params& add(const char* v) { return text(v); }
  Params& add(std::span<const std::uint8_t> v) {
    values_.emplace_back(v.begin(), v.end());
    formats_.push_back(1);
    return *this;
  }
  Params& null() {
    values_.emplace_back();
    formats_.push_back(-1);
    return *this;
  }
  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object: valid while it lives unchanged.
  void arrays(std::vector<const char*>& v, std::vector<int>& l, std::vector<int>& f) const {
    for (std::size_t i = 0; i < values_.size(); ++i) {
      v.push_back(formats_[i] < 0 ? nullptr : reinterpret_cast<const char*>(values_[i].data()));
      l.push_back(static_cast<int>(values_[i].size()));
      f.push_back(formats_[i] < 0 ? 0 : formats_[i]);
    }
  }

 private:
  Params& text(const std::string& s) {
    values_.emplace_back(s.begin(), s.end());
    values_.back().push_back(0);
    formats_.push_back(0);
    return *this;
  }
  std::vector<std::vector<std::uint8_t>> values_;
  std::vector<int> formats_;
};

// A result in binary form: bigint columns as 8 bytes, bytea as bytes.
class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  Result& operator=(Result&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const { return PQntuples(r_); }
  bool is_null(int row, int c) const { return PQgetisnull(r_, row, c) != 0; }
  std::int64_t integer(int row, int c) const {
    if (PQgetlength(r_, row, c) != 8) throw std::logic_error("store: a column read as bigint is not");
    std::uint64_t v = 0;
    const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r_, row, c));
    for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
    return static_cast<std::int64_t>(v);
  }
  std::string text(int row, int c) const { return std::string(PQgetvalue(r_, row, c), PQgetlength(r_, row, c)); }
  std::vector<std::uint8_t> blob(int row, int c) const {
    const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r_, row, c));
    return std::vector<std::uint8_t>(p, p + PQgetlength(r_, row, c));
  }
  bool flag(int row, int c) const { return PQgetlength(r_, row, c) == 1 && PQgetvalue(r_, row, c)[0] == 1; }
  PGresult* get() const { return r_; }

 private:
  PGresult* r_;
};

// SQLSTATE of a unique violation.
constexpr const char* unique_violation = "23505";

// A row another writer made first: a commit's race lost.
class Conflict : public SystemError {
 public:
  using SystemError::SystemError;
};

class PgStore : public Store {
 public:
  PgStore(const std::string& conninfo, bool create) : conninfo_(conninfo), name_(describe_store(conninfo)) {
    // A constructor that throws runs no destructor: the connection goes here.
    try {
      connect();
      const bool made = exec("SELECT to_regclass('meta') IS NOT NULL").flag(0, 0);
      if (!made && !create) throw UsageError("there is no store in " + name_ + " (gryptserver init makes one)");
      migrate();
    } catch (...) {
      PQfinish(conn_);
      conn_ = nullptr;
      throw;
    }
  }
  ~PgStore() override { PQfinish(conn_); }
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  std::optional<MasterInfo> master_info() override {
    Result q = exec("SELECT master_kind, salt, t, m, p, master_check, format::bigint FROM meta");
    if (q.rows() == 0) return std::nullopt;
    if (q.integer(0, 6) != format)
      throw FormatError("the store " + name_ + " has format " + std::to_string(q.integer(0, 6)) +
                        "; this gryptserver reads format 2 (group protocol version 2): make a new store");
    MasterInfo i;
    i.kind = q.text(0, 0) == "passphrase" ? MasterInfo::Kind::passphrase : MasterInfo::Kind::key_file;
    if (i.kind == MasterInfo::Kind::passphrase) {
      i.salt = q.blob(0, 1);
      i.params = {static_cast<std::uint32_t>(q.integer(0, 2)), static_cast<std::uint32_t>(q.integer(0, 3)),
                  static_cast<std::uint32_t>(q.integer(0, 4))};
    }
    i.check = q.blob(0, 5);
    return i;
  }

  void unlock(FieldCipher cipher) override { cipher_.emplace(std::move(cipher)); }

  void create(const MasterInfo& master, const Identity& server, const std::string& listen,
              const std::string& host, const std::vector<PublicKey>& admins,
              const std::vector<Endpoint>& endpoints) override {
    Transaction t(*this);
    Params p;
    p.add(format).add(master.kind == MasterInfo::Kind::passphrase ? "passphrase" : "key-file");
    if (master.kind == MasterInfo::Kind::passphrase)
      p.add(master.salt).add(master.params.t_cost).add(master.params.m_kib).add(master.params.lanes);
    else
      p.null().null().null().null();
    p.add(master.check)
        .add(server.public_key().bytes())
        .add(cipher().seal(server.secret().span(), server_secret_where))
        .add(listen)
        .add(host)
        .add(now());
    Result exists = exec("SELECT 1 FROM meta");
    if (exists.rows() != 0) throw UsageError("the store " + name_ + " exists already (gryptserver admins adds a key to it)");
    exec("INSERT INTO meta (id, format, master_kind, salt, t, m, p, master_check,"
         " server_public, server_secret, listen, host, created)"
         " VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
         p);
    for (const PublicKey& k : admins) insert_admin(k);
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      Params e;
      e.add(static_cast<std::int64_t>(i)).add(endpoints[i].host).add(endpoints[i].port);
      exec("INSERT INTO endpoints (position, host, port) VALUES ($1, $2, $3)", e);
    }
    t.commit();
  }

  std::vector<Endpoint> endpoints() override {
    Result q = exec("SELECT host, port FROM endpoints ORDER BY position");
    std::vector<Endpoint> out;
    for (int i = 0; i < q.rows(); ++i) {
      std::int64_t port = q.integer(i, 1);
      if (port < 1 || port > 65535 || !reference_host_defect(q.text(i, 0)).empty())
        throw OpenError(Fault::auth, "the store is damaged: endpoints holds a host or port no reference can name");
      out.push_back({q.text(i, 0), static_cast<std::uint16_t>(port)});
    }
    return out;
  }

  Identity server_identity() override {
    Result q = exec("SELECT server_public, server_secret FROM meta");
    if (q.rows() == 0) throw FormatError("the store " + name_ + " has no server key");
    SecretBytes secret = cipher().open(q.blob(0, 1), server_secret_where);
    Identity id = Identity::from_secret(secret.span());
    check_server_public(id, q.blob(0, 0));
    return id;
  }

  std::string listen() override { return meta_text("listen"); }
  std::string host() override { return meta_text("host"); }

  std::vector<PublicKey> admins() override {
    Result q = exec("SELECT public_key FROM admins ORDER BY added, public_key");
    std::vector<PublicKey> out;
    for (int i = 0; i < q.rows(); ++i) out.push_back(key_of(q.blob(i, 0), "admins.public_key"));
    return out;
  }

  void set_admin(const PublicKey& key, bool allowed) override {
    Transaction t(*this);
    if (allowed) {
      Params p;
      p.add(key.bytes()).add(now());
      exec("INSERT INTO admins (public_key, added) VALUES ($1, $2) ON CONFLICT DO NOTHING", p);
    } else {
      Params p;
      p.add(key.bytes());
      exec("DELETE FROM admins WHERE public_key = $1", p);
    }
    exec("NOTIFY " + std::string(pg_channel) + ", 'admins'");
    t.commit();
  }

  std::vector<GroupRow> groups() override {
    Result q = exec("SELECT id, name, group_id, head FROM groups ORDER BY name");
    std::vector<GroupRow> out;
    for (int i = 0; i < q.rows(); ++i) out.push_back(group_row(q, i));
    return out;
  }

  std::optional<GroupRow> group(std::int64_t id) override {
    Params p;
    p.add(id);
    Result q = exec("SELECT id, name, group_id, head FROM groups WHERE id = $1", p);
    if (q.rows() == 0) return std::nullopt;
    return group_row(q, 0);
  }

  GroupRow create_group(const std::string& name, const GroupId& id, const StateRow& genesis,
                        const PublicKey& creator, const EpochBox& box) override {
    Transaction t(*this);
    Params p;
    p.add(name).add(id).add(now());
    Result q = exec("INSERT INTO groups (name, group_id, head, created) VALUES ($1, $2, 1, $3)"
                    " ON CONFLICT DO NOTHING RETURNING id",
                    p);
    if (q.rows() == 0) throw UsageError("the server has a group named " + name + " already");
    GroupRow g{q.integer(0, 0), name, id};
    insert_state(g.id, Epoch(1), genesis);
    insert_boxes(g.id, {{creator, BoxRow{Epoch(1), Epoch(1), box}}});
    notify_commit(g.id, Epoch(1));
    t.commit();
    return g;
  }

  std::vector<StateRow> states(std::int64_t group) override { return states_after(group, Epoch(0)); }

  void commit(const CommitRow& c) override {
    try {
      write_commit(c);
    } catch (const Conflict& e) {
      // The row lock makes this rare: a race the primary key caught.
      throw StaleCommit(std::string("another commit took the epoch first: ") + e.what(), c.first().value());
    } catch (const SystemError&) {
      // The connection lost during the transaction: the database may have
      // taken it, COMMIT and all, just before it went away (a restart, a
      // failover). Whether it holds the commit's last state tells.
      if (PQstatus(conn_) == CONNECTION_OK) throw;
      std::optional<bool> took = took_after_all(c);
      if (took && *took) return;
      if (took) throw;
      throw SystemError("store " + name_ + ": the connection was lost while committing epoch " + c.epoch.to_string() +
                        ", and the store could not be read again within 5 s to learn whether it took it");
    }
  }

  // Whether the store holds `c`'s last state, read on a new connection,
  // tried for 5 s while the database comes back; nullopt if it did not.
  std::optional<bool> took_after_all(const CommitRow& c) {
    for (int i = 0; i < 20; ++i) {
      try {
        Params p;
        p.add(c.group).add(c.epoch.value());
        Result q = exec("SELECT state FROM states WHERE group_ref = $1 AND epoch = $2", p);
        return q.rows() == 1 && q.blob(0, 0) == c.state.state;
      } catch (const SystemError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
    return std::nullopt;
  }

  void write_commit(const CommitRow& c) {
    Transaction t(*this);
    {
      Params p;
      p.add(c.group);
      // The group's row, locked until this transaction ends: a second
      // commit to the group, through any front end, waits here and then
      // reads the head this one wrote.
      Result q = exec("SELECT head FROM groups WHERE id = $1 FOR UPDATE", p);
      if (q.rows() == 0) throw std::logic_error("no such group row");
      if (q.integer(0, 0) + 1 != c.first().value())
        throw StaleCommit("the group is at epoch " + std::to_string(q.integer(0, 0)), q.integer(0, 0));
    }
    for (std::size_t i = 0; i < c.run.size(); ++i)
      insert_state(c.group, Epoch(c.first().value() + static_cast<std::uint32_t>(i)), c.run[i]);
    insert_state(c.group, c.epoch, c.state);
    std::vector<std::pair<PublicKey, BoxRow>> rows;
    rows.reserve(c.boxes.size() + c.history.size());
    for (const auto& [key, box] : c.boxes) rows.push_back({key, BoxRow{c.epoch, c.epoch, box}});
    rows.insert(rows.end(), c.history.begin(), c.history.end());
    insert_boxes(c.group, rows);
    for (const std::vector<PublicKey>* keys : {&c.added, &c.removed})
      for (const PublicKey& k : *keys) {
        Params p;
        p.add(c.group).add(k.bytes());
        exec("DELETE FROM pending WHERE group_ref = $1 AND public_key = $2", p);
      }
    Params p;
    p.add(c.epoch.value()).add(c.group);
    exec("UPDATE groups SET head = $1 WHERE id = $2", p);
    notify_commit(c.group, c.epoch);
    t.commit();
  }

  std::vector<CommitRow> commits_after(std::int64_t group, Epoch after) override {
    Transaction t(*this, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::vector<StateRow> states = states_after(group, after);
    Params p;
    p.add(group).add(after.value());
    Result q = exec("SELECT member, epoch, grant_epoch, box FROM boxes WHERE group_ref = $1 AND grant_epoch > $2"
                    " ORDER BY grant_epoch, member, epoch",
                    p);
    std::vector<StoredBox> boxes;
    for (int i = 0; i < q.rows(); ++i) boxes.emplace_back(q.blob(i, 0), q.integer(i, 1), q.integer(i, 2), q.blob(i, 3));
    t.commit();
    return split_commits(group, after, std::move(states), boxes);
  }

  std::vector<BoxRow> boxes(std::int64_t group, const PublicKey& key, Epoch after) override {
    Params p;
    p.add(group).add(key.bytes()).add(after.value());
    Result q = exec("SELECT epoch, box FROM boxes WHERE group_ref = $1 AND member = $2 AND epoch > $3"
                    " AND grant_epoch = epoch ORDER BY epoch",
                    p);
    std::vector<BoxRow> out;
    for (int i = 0; i < q.rows(); ++i) {
      Epoch e(static_cast<std::uint32_t>(q.integer(i, 0)));
      out.push_back({e, e, fixed<box_bytes>(q.blob(i, 1), "boxes.box")});
    }
    return out;
  }

  std::vector<BoxRow> history(std::int64_t group, const PublicKey& key,
                              const std::vector<std::pair<Epoch, Epoch>>& ranges) override {
    std::vector<BoxRow> out;
    for (auto [from, to] : ranges) {
      Params p;
      p.add(group).add(key.bytes()).add(from.value()).add(to.value());
      Result q = exec("SELECT epoch, grant_epoch, box FROM boxes WHERE group_ref = $1 AND member = $2"
                      " AND epoch BETWEEN $3 AND $4 ORDER BY epoch, grant_epoch",
                      p);
      for (int i = 0; i < q.rows(); ++i)
        out.push_back({Epoch(static_cast<std::uint32_t>(q.integer(i, 0))),
                       Epoch(static_cast<std::uint32_t>(q.integer(i, 1))), fixed<box_bytes>(q.blob(i, 2), "boxes.box")});
    }
    return out;
  }

  void record_pending(std::int64_t group, const PublicKey& key, const std::vector<std::uint8_t>& request,
                      std::int64_t at, std::size_t keep) override {
    Transaction t(*this);
    Params p;
    p.add(group).add(key.bytes()).add(cipher().seal(request, request_where(group, key))).add(at);
    exec("INSERT INTO pending (group_ref, public_key, request, first, last, count)"
         " VALUES ($1, $2, $3, $4, $4, 1)"
         " ON CONFLICT (group_ref, public_key) DO UPDATE SET"
         " last = excluded.last, count = pending.count + 1, request = excluded.request",
         p);
    Params d;
    d.add(group).add(static_cast<std::int64_t>(keep));
    exec("DELETE FROM pending WHERE group_ref = $1 AND number NOT IN"
         " (SELECT number FROM pending WHERE group_ref = $1 ORDER BY last DESC, number DESC LIMIT $2)",
         d);
    t.commit();
  }

  std::vector<PendingRow> pending(std::int64_t group) override {
    Params p;
    p.add(group);
    Result q = exec("SELECT number, public_key, request, first, last, count FROM pending"
                    " WHERE group_ref = $1 ORDER BY number",
                    p);
    std::vector<PendingRow> out;
    for (int i = 0; i < q.rows(); ++i) {
      PendingRow r;
      r.number = q.integer(i, 0);
      if (!open_pending(cipher(), group, q.blob(i, 1), q.blob(i, 2), r)) continue;
      r.first = q.integer(i, 3);
      r.last = q.integer(i, 4);
      r.count = static_cast<std::uint64_t>(q.integer(i, 5));
      out.push_back(std::move(r));
    }
    return out;
  }

  std::string feed_conninfo() const override { return conninfo_; }

 private:
  class Transaction {
   public:
    explicit Transaction(PgStore& s, const char* begin = "BEGIN") : s_(s) {
      s_.exec(begin);
      s_.in_transaction_ = true;
    }
    ~Transaction() {
      s_.in_transaction_ = false;
      if (!done_ && PQstatus(s_.conn_) == CONNECTION_OK) PQclear(PQexec(s_.conn_, "ROLLBACK"));
    }
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }

   private:
    PgStore& s_;
    bool done_ = false;
  };

  void connect() {
    conn_ = PQconnectdb(conninfo_.c_str());
    if (!conn_) throw SystemError("cannot reach the store " + name_ + ": out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string m = one_line(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      throw SystemError("cannot reach the store " + name_ + ": " + m);
    }
    quiet();
  }

  // Notices (a table that exists already, a shutdown's warning) are not
  // the operator's: what matters comes as an error.
  void quiet() { PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr); }

  // A connection the database closed (a restart, a failover) is made
  // again before the next transaction or statement outside one; inside a
  // transaction the statement fails, and with it the transaction.
  void ready() {
    if (PQstatus(conn_) == CONNECTION_OK) return;
    if (in_transaction_)
      throw SystemError("store " + name_ + ": the connection was lost in a transaction (nothing of it was written)");
    reconnect();
  }
  // The same connection made again (its notice processor kept).
  void reconnect() {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      throw SystemError("cannot reach the store " + name_ + ": " + one_line(PQerrorMessage(conn_)));
  }

  Result exec(const std::string& sql, const Params& p = Params()) {
    ready();
    std::vector<const char*> v;
    std::vector<int> l, f;
    p.arrays(v, l, f);
    auto run = [&] { return Result(PQexecParams(conn_, sql.c_str(), p.size(), nullptr, v.data(), l.data(), f.data(), 1)); };
    Result r = run();
    ExecStatusType s = PQresultStatus(r.get());
    // libpq learns that the database went away (a restart, a failover)
    // only when a statement fails: outside a transaction (a read, or the
    // BEGIN of one) nothing was done, and it runs again on a new
    // connection, once.
    const bool lost = PQstatus(conn_) == CONNECTION_BAD || !PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && lost && !in_transaction_) {
      reconnect();
      r = run();
      s = PQresultStatus(r.get());
    }
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return r;
    const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    std::string m = one_line(PQresultErrorMessage(r.get()));
    if (m.empty()) m = one_line(PQerrorMessage(conn_));
    if (state && std::strcmp(state, unique_violation) == 0) throw Conflict("store " + name_ + ": " + m);
    throw SystemError("store " + name_ + ": " + m);
  }

  // Statements without parameters, several in one string (a migration).
  void script(const char* sql) {
    Result r(PQexec(conn_, sql));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      throw SystemError("store " + name_ + ": " + one_line(PQresultErrorMessage(r.get())));
  }

  static std::string one_line(const char* m) {
    std::string s = m ? m : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    std::replace(s.begin(), s.end(), '\n', ' ');
    std::replace(s.begin(), s.end(), '\t', ' ');
    return s;
  }

  void migrate() {
    Transaction t(*this);
    exec(migration_lock);
    int at = 0;
    Result has = exec("SELECT to_regclass('grypt_schema') IS NOT NULL");
    if (has.flag(0, 0)) {
      Result v = exec("SELECT version::bigint FROM grypt_schema");
      at = v.rows() == 1 ? static_cast<int>(v.integer(0, 0)) : -1;
    } else {
      Result other = exec("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()");
      if (other.integer(0, 0) != 0)
        throw FormatError("the database " + name_ + " holds tables that are not a gryptserver store");
    }
    if (at < 0 || at > schema_version)
      throw FormatError("the store " + name_ + " has schema version " + std::to_string(at) +
                        "; this gryptserver knows versions up to " + std::to_string(schema_version));
    for (int v = at; v < schema_version; ++v) {
      script(migrations[v]);
      exec("UPDATE grypt_schema SET version = " + std::to_string(v + 1));
    }
    t.commit();
  }

  FieldCipher& cipher() {
    if (!cipher_) throw std::logic_error("store used before unlock");
    return *cipher_;
  }

  std::string meta_text(const char* column) {
    Result q = exec(std::string("SELECT ") + column + " FROM meta");
    if (q.rows() == 0) throw FormatError("the store " + name_ + " is not initialised");
    return q.text(0, 0);
  }

  static GroupRow group_row(const Result& q, int i) {
    GroupRow g;
    g.id = q.integer(i, 0);
    g.name = q.text(i, 1);
    g.group_id = fixed<32>(q.blob(i, 2), "groups.group_id of " + g.name);
    g.head = q.integer(i, 3);
    return g;
  }

  void insert_admin(const PublicKey& k) {
    Params p;
    p.add(k.bytes()).add(now());
    exec("INSERT INTO admins (public_key, added) VALUES ($1, $2)", p);
  }

  void insert_state(std::int64_t group, Epoch e, const StateRow& s) {
    Params p;
    p.add(group).add(e.value()).add(s.state).add(s.ephemeral).add(now());
    exec("INSERT INTO states (group_ref, epoch, state, ephemeral, created) VALUES ($1, $2, $3, $4, $5)", p);
  }

  // Every box of a commit in one statement: ten thousand members are one
  // round trip, not ten thousand.
  void insert_boxes(std::int64_t group, const std::vector<std::pair<PublicKey, BoxRow>>& rows) {
    if (rows.empty()) return;
    std::string members = "{", epochs = "{", grants = "{", boxes = "{";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const char* sep = i == 0 ? "" : ",";
      members += sep + hex(rows[i].first.bytes());
      epochs += sep + std::to_string(rows[i].second.epoch.value());
      grants += sep + std::to_string(rows[i].second.grant.value());
      boxes += sep + hex(rows[i].second.box);
    }
    for (std::string* s : {&members, &epochs, &grants, &boxes}) *s += "}";
    Params p;
    p.add(group).add(members).add(epochs).add(grants).add(boxes);
    exec("INSERT INTO boxes (group_ref, member, epoch, grant_epoch, box)"
         " SELECT $1, decode(m, 'hex'), e, g, decode(b, 'hex')"
         " FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS t(m, e, g, b)"
         " ON CONFLICT (group_ref, member, epoch, grant_epoch) DO UPDATE SET box = excluded.box",
         p);
  }

  std::vector<StateRow> states_after(std::int64_t group, Epoch after) {
    Params p;
    p.add(group).add(after.value());
    Result q = exec("SELECT epoch, state, ephemeral FROM states WHERE group_ref = $1 AND epoch > $2 ORDER BY epoch", p);
    std::vector<StateRow> out;
    for (int i = 0; i < q.rows(); ++i) {
      std::string where = "states.epoch " + std::to_string(q.integer(i, 0)) + " of group " + std::to_string(group);
      if (q.integer(i, 0) != static_cast<std::int64_t>(after.value() + out.size()) + 1)
        throw OpenError(Fault::auth, "the store is damaged: " + where + ": epochs are missing");
      out.push_back({q.blob(i, 1), fixed<32>(q.blob(i, 2), where)});
    }
    return out;
  }

  void notify_commit(std::int64_t group, Epoch e) {
    Params p;
    p.add(std::string(pg_channel)).add(std::to_string(group) + " " + e.to_string());
    exec("SELECT pg_notify($1, $2)", p);
  }

  std::string conninfo_, name_;
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
  std::optional<FieldCipher> cipher_;
};

}  // namespace

bool is_pg_store(const std::string& store) {
  return store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0;
}

// "the database D on H" from a connection string, never its password.
std::string describe_store(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* o = PQconninfoParse(conninfo.c_str(), &err);
  if (!o) {
    std::string m = err ? err : "out of memory";
    PQfreemem(err);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    throw UsageError("the store's connection string: " + m);
  }
  std::map<std::string, std::string> v;
  for (PQconninfoOption* i = o; i->keyword; ++i)
    if (i->val) v[i->keyword] = i->val;
  PQconninfoFree(o);
  if (v.count("password"))
    throw UsageError("the store's connection string holds a password: keep it in PGPASSFILE or a "
                     "service file (gryptserver(8)), never on a command line");
  std::string db = v.count("dbname") ? v["dbname"] : v.count("user") ? v["user"] : "";
  std::string host = v.count("host") ? v["host"] : "the local socket";
  return "PostgreSQL database " + (db.empty() ? std::string("(default)") : db) + " on " + host;
}

std::unique_ptr<Store> open_pg_store(const std::string& conninfo, bool create) {
  return std::make_unique<PgStore>(conninfo, create);
}

}  // namespace grypt
