// gryptserver: the group relay (man/gryptserver.8). "serve" runs the
// server; "init" makes a store; the other verbs are the operator's, and
// talk to the running server over its administration socket, or act on
// the store directly when no server runs. There is no verb that adds,
// removes or rotates: the groups belong to their administrators.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <ctime>

#include "cli/options.h"
#include "core/file.h"
#include "core/reference.h"
#include "core/text.h"
#include "gryptserver/master_key.h"
#include "gryptserver/server.h"
#include "gryptserver/store_pg.h"
#include "gryptserver/store_sqlite.h"
#include "proto/admin.h"
#include "proto/frame.h"

namespace grypt {
namespace {

const char* const usage =
    "gryptserver init --store STORE [--listen HOST:PORT] [--host NAME] [--endpoint HOST:PORT...]\n"
    "                 --admin KEY... MASTER\n"
    "       gryptserver serve --store STORE [--listen HOST:PORT] [--ready-fd N] MASTER\n"
    "       gryptserver groups --store STORE [--json]\n"
    "       gryptserver admins [add KEY | remove KEY] --store STORE [--json]\n"
    "       gryptserver reference --store STORE [--json]\n"
    "MASTER: --master-key-file F, --new-master-key-file F (init), --passphrase-fd N or\n"
    "--passphrase-file F; the operator verbs need it only when no server runs on a directory.\n"
    "STORE: a directory (SQLite; root's default is /var/lib/gryptserver, anyone else must\n"
    "give --store), or postgresql://... shared by several front ends (no password in it:\n"
    "PGPASSFILE or a service file).";

// Owned while a server runs on the store (or an offline verb changes it).
class StoreLock {
 public:
  StoreLock(const std::string& dir, bool wait) {
    std::string path = dir + "/lock";
    fd_ = Fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd_.valid()) throw SystemError("cannot open " + path, errno);
    while (::flock(fd_.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK)
        throw UsageError("the store " + dir + " is in use by a running gryptserver or another "
                         "gryptserver command");
      throw SystemError("cannot lock " + path, errno);
    }
  }

 private:
  Fd fd_;
};

MasterSource master_source(const cxxopts::ParseResult& r) {
  MasterSource m;
  int given = int(r.count("master-key-file") > 0) + int(r.count("passphrase-fd") > 0) +
              int(r.count("passphrase-file") > 0) + int(r.count("new-master-key-file") > 0);
  if (given > 1)
    throw UsageError("give one of --master-key-file, --new-master-key-file, --passphrase-fd and "
                     "--passphrase-file");
  if (r.count("master-key-file")) {
    m.kind = MasterSource::Kind::key_file;
    m.file = option<std::string>(r, "master-key-file");
  } else if (r.count("passphrase-fd") || r.count("passphrase-file")) {
    m.kind = MasterSource::Kind::passphrase;
    m.passphrase = secret_source(r, "passphrase");
  }
  return m;
}

// Root's store is where the package and the FHS put a service's state.
constexpr const char* root_store = "/var/lib/gryptserver";

std::string store_dir(const cxxopts::ParseResult& r) {
  if (r.count("store")) return option<std::string>(r, "store");
  if (::geteuid() == 0) return root_store;
  throw UsageError(std::string("give the --store directory (only root's defaults to ") + root_store + ")");
}

// How messages name a store: its directory, or its database without the
// connection string's secrets.
std::string store_name(const std::string& store) { return is_pg_store(store) ? describe_store(store) : store; }

UsageError exists_already(const std::string& name) {
  return UsageError("the store " + name + " exists already (gryptserver admins adds a key to it)");
}

std::unique_ptr<Store> open_store(const std::string& dir, const MasterSource& master, bool serving = false) {
  const bool pg = is_pg_store(dir);
  const std::string name = store_name(dir);
  std::unique_ptr<Store> store = pg ? open_pg_store(dir, false) : open_sqlite_store(dir, false);
  std::optional<MasterInfo> info = store->master_info();
  if (!info) throw FormatError("the store " + name + " is not initialised");
  if (master.kind == MasterSource::Kind::none)
    throw UsageError(std::string(serving ? "serving " : pg ? "acting on " : "no gryptserver is running on ") + name +
                     (serving || pg ? " needs" : ": to act on the store directly, give") +
                     " its master key: --master-key-file, --passphrase-fd or --passphrase-file");
  SecretBytes key = unlock_master_key(*info, master, name);
  store->unlock(FieldCipher(key));
  return store;
}

// The store directory holds the server's secrets and its admin socket:
// anyone who can write it can answer the admin verbs. It must be a real
// directory (not a symbolic link), this user's, and writable by no one
// else; checked at every start and every verb.
void check_store_dir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) throw SystemError("cannot look at the store " + dir, errno);
  if (S_ISLNK(st.st_mode))
    throw UsageError("the store " + dir + " is a symbolic link: give the directory itself");
  if (!S_ISDIR(st.st_mode)) throw UsageError("the store " + dir + " is not a directory");
  if (st.st_uid != ::geteuid())
    throw UsageError("the store " + dir + " belongs to another user (uid " + std::to_string(st.st_uid) +
                     "): run gryptserver as its owner");
  if ((st.st_mode & 022) != 0)
    throw UsageError("the store " + dir + " can be written by others (chmod 700 " + dir + ")");
}

// The reply of the running server, or nullopt when none listens. The
// server must run as this user (SO_PEERCRED): a socket answered by anyone
// else is refused before a request is sent.
std::optional<admin::Reply> ask_server(const std::string& dir, const admin::Request& req) {
  std::string path = dir + "/admin.sock";
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError("cannot make a socket", errno);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw UsageError("the store path is too long for a socket");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return std::nullopt;
    throw SystemError("cannot reach the server at " + path, errno);
  }
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    throw SystemError("cannot tell who answers at " + path, errno);
  if (cred.uid != ::geteuid())
    throw UsageError("the admin socket " + path + " is answered by another user (uid " +
                     std::to_string(cred.uid) + "): refusing to use it");
  const std::string refused = "the server at " + path +
                              " closed the connection without a reply (it serves only its own user)";
  admin::Reply reply;
  try {
    write_frame(fd.get(), admin::encode(req));
    // A long list comes in parts, one frame each.
    for (bool more = true, first = true; more; first = false) {
      std::optional<std::vector<std::uint8_t>> body = read_frame(fd.get(), 30000);
      if (!body && first) throw SystemError(refused);
      if (!body) throw SystemError("the server at " + path + " stopped in the middle of its reply");
      more = admin::decode_reply_part(*body, reply);
    }
  } catch (const SystemError& e) {
    if (e.errnum() == EPIPE || e.errnum() == ECONNRESET) throw SystemError(refused);
    throw;
  }
  return reply;
}

int print_reply(const admin::Request& req, const admin::Reply& r, bool json) {
  if (!r.ok) {
    if (r.code == "damaged") throw AuthError(r.message);
    if (r.code == "store") throw SystemError(r.message);
    throw UsageError(r.message);
  }
  if (json) {
    write_stdout(admin::reply_json(r) + "\n");
    return exit_ok;
  }
  std::string out;
  if (req.type == admin::Request::Type::reference)
    out = r.reference + "\n";
  else if (req.type == admin::Request::Type::groups)
    for (const auto& g : r.groups)
      out += g.name + "  epoch " + std::to_string(g.epoch) + "  " + std::to_string(g.members) + " members  " +
             std::to_string(g.admins) + " admins  " + std::to_string(g.online) + " online  " +
             (g.reference.empty() ? "-" : g.reference) + "\n";
  else
    for (const std::string& k : r.admins) out += k + "\n";
  write_stdout(out);
  return exit_ok;
}

void require_store(const std::string& dir) {
  check_store_dir(dir);
  if (!file_exists(dir + "/grypt.db"))
    throw UsageError("there is no store in " + dir + " (gryptserver init makes one)");
}

int do_operator(const std::string& dir, const admin::Request& req, const cxxopts::ParseResult& r) {
  bool json = r.count("json") > 0;
  // A database the front ends share: acted on directly, where every front
  // end sees the change (they are told of a changed admin list at once).
  if (is_pg_store(dir)) {
    std::unique_ptr<Store> store = open_store(dir, master_source(r));
    return print_reply(req, handle_admin_offline(*store, admin::encode(req)), json);
  }
  require_store(dir);
  if (std::optional<admin::Reply> reply = ask_server(dir, req)) return print_reply(req, *reply, json);
  // No server: act on the store, holding its lock against one starting.
  StoreLock lock(dir, false);
  std::unique_ptr<Store> store = open_store(dir, master_source(r));
  return print_reply(req, handle_admin_offline(*store, admin::encode(req)), json);
}

std::vector<PublicKey> admin_keys(const cxxopts::ParseResult& r) {
  if (!r.count("admin"))
    throw UsageError("init needs --admin KEY, a key allowed to create groups (see gryptserver --help)");
  std::vector<PublicKey> out;
  for (const std::string& k : option<std::vector<std::string>>(r, "admin")) out.push_back(PublicKey::parse(k));
  return out;
}

// --endpoint HOST:PORT, as a reference names it: a host name or address
// (an IPv6 one in brackets) and a port from 1.
Endpoint parse_endpoint(const std::string& text) {
  auto bad = [&](const std::string& why) { return UsageError("--endpoint '" + printable(text) + "': " + why); };
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) throw bad("give HOST:PORT");
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (std::string d = reference_host_defect(host); !d.empty()) throw bad(d);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) < 1 || std::stoul(port) > 65535)
    throw bad("the port is a number from 1 to 65535");
  return {host, static_cast<std::uint16_t>(std::stoul(port))};
}

int do_init(const cxxopts::ParseResult& r) {
  std::string dir = store_dir(r);
  const bool pg = is_pg_store(dir);
  const std::string name = store_name(dir);
  MasterSource master = master_source(r);
  std::string new_file = r.count("new-master-key-file") ? option<std::string>(r, "new-master-key-file") : "";
  std::vector<Endpoint> endpoints;
  if (r.count("endpoint")) {
    if (!pg)
      throw UsageError("--endpoint names several front ends of one store: that store is a PostgreSQL "
                       "database (--store postgresql://...)");
    for (const std::string& e : option<std::vector<std::string>>(r, "endpoint")) endpoints.push_back(parse_endpoint(e));
    if (endpoints.size() > max_endpoints) throw UsageError("a reference names at most 8 endpoints");
  }
  if (!pg && file_exists(dir)) check_store_dir(dir);
  if (!pg && file_exists(dir + "/grypt.db")) throw exists_already(dir);
  if (new_file.empty() && master.kind == MasterSource::Kind::none)
    throw UsageError("a new store needs a master key: --new-master-key-file F, --master-key-file F, "
                     "--passphrase-fd N or --passphrase-file F");
  std::vector<PublicKey> admins = admin_keys(r);
  // Checked as serve and a reference reader check them, before anything
  // is stored.
  std::string listen = r.count("listen") ? option<std::string>(r, "listen") : "0.0.0.0:4433";
  ListenAddress where = parse_listen(listen);
  std::string host = r.count("host") ? option<std::string>(r, "host") : where.host;
  // The endpoints, when given, are what references name instead.
  if (endpoints.empty() && (host == "0.0.0.0" || host == "::" || host.empty()))
    throw UsageError("listening on every address: give --host NAME, the name members connect to");
  if (std::string d = reference_host_defect(host); endpoints.empty() && !d.empty())
    throw UsageError("--host '" + printable(host) + "': " + d);
  bool made_dir = !pg && !file_exists(dir);
  std::optional<StoreLock> lock;
  if (!pg) {
    make_dirs(dir);
    lock.emplace(dir, false);
  }
  bool made_file = false;
  try {
    std::unique_ptr<Store> store = pg ? open_pg_store(dir, true) : open_sqlite_store(dir, true);
    if (store->master_info()) throw exists_already(name);
    auto [key, info] = new_master_key(master, new_file);
    made_file = !new_file.empty();
    store->unlock(FieldCipher(key));
    Identity server = Identity::generate();
    store->create(info, server, listen, host, admins, endpoints);
    if (!endpoints.empty()) {
      write_stdout(ServerReference{server.public_key(), endpoints}.to_string() + "\n");
    } else if (where.port == 0) {
      warn("the store listens on any free port: its reference is known once the server runs "
           "(gryptserver reference prints it then)");
    } else {
      ServerReference ref{server.public_key(), {{host, where.port}}};
      write_stdout(ref.to_string() + "\n");
    }
  } catch (...) {
    // Nothing half-made is left: no store, no orphaned key file. (A
    // database's store is one transaction: it was never written.)
    if (made_file) ::unlink(new_file.c_str());
    if (pg) throw;
    ::unlink((dir + "/grypt.db").c_str());
    ::unlink((dir + "/grypt.db-wal").c_str());
    ::unlink((dir + "/grypt.db-shm").c_str());
    ::unlink((dir + "/lock").c_str());
    if (made_dir) ::rmdir(dir.c_str());
    throw;
  }
  return exit_ok;
}

int do_serve(const cxxopts::ParseResult& r) {
  std::string dir = store_dir(r);
  const bool pg = is_pg_store(dir);
  // Several front ends serve one database; one server serves a directory.
  std::optional<StoreLock> lock;
  if (!pg) {
    require_store(dir);
    lock.emplace(dir, false);
  }
  std::unique_ptr<Store> store = open_store(dir, master_source(r), true);
  ServeOptions s;
  s.listen = r.count("listen") ? option<std::string>(r, "listen") : store->listen();
  parse_listen(s.listen);
  if (!pg) s.admin_path = dir + "/admin.sock";
  if (r.count("ready-fd")) s.ready_fd = option<int>(r, "ready-fd");
  std::signal(SIGPIPE, SIG_IGN);
  return serve(*store, s);
}

int do_groups(const cxxopts::ParseResult& r, const std::vector<std::string>& words) {
  if (words.size() != 1) throw UsageError("groups takes no arguments");
  return do_operator(store_dir(r), {admin::Request::Type::groups, ""}, r);
}

int do_admins(const cxxopts::ParseResult& r, const std::vector<std::string>& words) {
  admin::Request q{admin::Request::Type::admins, ""};
  if (words.size() == 3 && (words[1] == "add" || words[1] == "remove")) {
    q.type = words[1] == "add" ? admin::Request::Type::admit : admin::Request::Type::revoke;
    q.key = PublicKey::parse(words[2]).to_string();
  } else if (words.size() != 1) {
    throw UsageError("admins takes nothing, add KEY or remove KEY");
  }
  return do_operator(store_dir(r), q, r);
}

struct Verb {
  const char* name;
  int (*run)(const cxxopts::ParseResult&, const std::vector<std::string>&);
};

const Verb verbs[] = {
    {"init", [](const cxxopts::ParseResult& r, const std::vector<std::string>& w) {
       if (w.size() != 1) throw UsageError("init takes no arguments: --store DIR --admin KEY");
       return do_init(r);
     }},
    {"serve", [](const cxxopts::ParseResult& r, const std::vector<std::string>& w) {
       if (w.size() != 1) throw UsageError("serve takes no arguments");
       return do_serve(r);
     }},
    {"groups", do_groups},
    {"admins", do_admins},
    {"reference", [](const cxxopts::ParseResult& r, const std::vector<std::string>& w) {
       if (w.size() != 1) throw UsageError("reference takes no arguments");
       return do_operator(store_dir(r), {admin::Request::Type::reference, ""}, r);
     }},
};

int body(int argc, char** argv) {
  cxxopts::Options o("gryptserver", "The grypt group relay");
  o.custom_help("VERB ... (see below)");
  o.positional_help("");
  o.add_options()
      ("store", "the store: a directory (root's default: /var/lib/gryptserver) or postgresql://...",
       cxxopts::value<std::string>(), "STORE")
      ("listen", "where to listen (init stores it; serve may override)", cxxopts::value<std::string>(), "HOST:PORT")
      ("host", "init: the host name members connect to (default: the --listen host)",
       cxxopts::value<std::string>(), "NAME")
      ("admin", "init: a key allowed to create groups (repeatable)", cxxopts::value<std::vector<std::string>>(), "KEY")
      ("endpoint", "init, PostgreSQL: a front end as members reach it (repeatable, up to 8)",
       cxxopts::value<std::vector<std::string>>(), "HOST:PORT")
      ("json", "groups, admins: JSON output")
      ("master-key-file", "the master key file", cxxopts::value<std::string>(), "F")
      ("new-master-key-file", "init: make a new master key file F (0600)", cxxopts::value<std::string>(), "F")
      ("passphrase-fd", "read the store's passphrase from descriptor N", cxxopts::value<int>(), "N")
      ("passphrase-file", "read the store's passphrase from F", cxxopts::value<std::string>(), "F")
      ("ready-fd", "serve: write HOST:PORT to descriptor N once listening", cxxopts::value<int>(), "N")
      ("h,help", "print this help")
      ("version", "print the version");
  o.add_options("hidden")("words", "", cxxopts::value<std::vector<std::string>>());
  o.parse_positional({"words"});
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r, std::string("\n") + usage +
                                      "\nExit status: 0 success, 1 wrong master key or a damaged "
                                      "store, 2 error. See gryptserver(8).\n"))
    return exit_ok;
  std::vector<std::string> w = r.count("words") ? option<std::vector<std::string>>(r, "words")
                                                : std::vector<std::string>{};
  if (w.empty()) throw UsageError("give a verb (see gryptserver --help)");
  for (const Verb& v : verbs)
    if (w[0] == v.name) return v.run(r, w);
  throw UsageError("unknown verb '" + printable(w[0]) + "' (see gryptserver --help)");
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("gryptserver", argc, argv, grypt::body); }
