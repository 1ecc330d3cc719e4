// gryptserver: the group authority (man/gryptserver.8). "serve" runs the
// server; the other verbs talk to it over its administration socket, or act
// on the store directly when no server runs.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <ctime>

#include "core/file.h"
#include "core/text.h"
#include "gryptserver/authority.h"
#include "gryptserver/master_key.h"
#include "gryptserver/server.h"
#include "gryptserver/store_sqlite.h"
#include "proto/admin.h"
#include "proto/frame.h"
#include "cli/options.h"

namespace grypt {
namespace {

const char* const usage =
    "gryptserver init --store DIR --group NAME [--listen HOST:PORT] [--host NAME] MASTER\n"
    "       gryptserver serve --store DIR [--listen HOST:PORT] [--ready-fd N] MASTER\n"
    "       gryptserver add GROUP KEY|NUMBER --name NAME [--with-history] --store DIR\n"
    "       gryptserver remove GROUP NAME|KEY --store DIR\n"
    "       gryptserver rotate|members|pending|log|invite GROUP --store DIR [--json]\n"
    "       gryptserver groups --store DIR [--json]\n"
    "MASTER: --master-key-file F, --new-master-key-file F (init), --passphrase-fd N or\n"
    "--passphrase-file F; the admin verbs need it only when no server runs.";

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

std::string store_dir(const cxxopts::ParseResult& r) {
  if (!r.count("store")) throw UsageError("give the --store directory (see gryptserver --help)");
  return option<std::string>(r, "store");
}

// Opens the store and the authority over it, for verbs run without a server.
struct Opened {
  std::unique_ptr<Store> store;
  std::optional<Authority> authority;
};

Opened open_store(const std::string& dir, const MasterSource& master, bool serving = false) {
  Opened o;
  o.store = open_sqlite_store(dir, false);
  std::optional<MasterInfo> info = o.store->master_info();
  if (!info) throw FormatError("the store " + dir + " is not initialised");
  if (master.kind == MasterSource::Kind::none)
    throw UsageError(std::string(serving ? "serving " : "no gryptserver is running on ") + dir +
                     (serving ? " needs" : ": to act on the store directly, give") +
                     " its master key: --master-key-file, --passphrase-fd or --passphrase-file");
  SecretBytes key = unlock_master_key(*info, master, dir);
  o.store->unlock(FieldCipher(key));
  o.authority.emplace(*o.store, o.store->server_identity());
  return o;
}

std::string actor_here() { return "uid " + std::to_string(::geteuid()) + " (store)"; }

// Prints the reference of a group just made, checked before anyone relies on
// it; a store on port 0 has none until a server runs.
void print_new_reference(const Authority& a, const GroupData& g) {
  GroupReference ref = a.reference(g);
  if (ref.port == 0) {
    warn("the store listens on any free port: the reference is known once the server runs "
         "(gryptserver invite " + g.row.name + ")");
    return;
  }
  std::string text = ref.to_string();
  GroupReference::parse(text);
  write_stdout(text + "\n");
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
  if (req.type == "groups")
    for (const auto& g : r.groups)
      out += g.name + "  epoch " + std::to_string(g.epoch) + "  " + std::to_string(g.members) +
             " members  " + std::to_string(g.pending) + " pending  " + (g.reference.empty() ? "-" : g.reference) + "\n";
  else if (req.type == "members")
    for (const auto& m : r.members)
      out += m.name + "  " + m.key + "  since epoch " + std::to_string(m.since) +
             (m.history ? "  with history" : "") + (m.online ? "  online" : "") + "\n";
  else if (req.type == "pending")
    for (const auto& p : r.pending)
      out += std::to_string(p.number) + "  " + p.key + "  " + utc_time(p.last) + "  " +
             std::to_string(p.count) + "x" + (p.note.empty() ? "" : "  \"" + printable(p.note) + "\"") +
             "\n";
  else if (req.type == "log")
    for (const auto& l : r.log)
      out += utc_time(l.time) + "  " + printable(l.actor) + "  " + l.action + "  " + printable(l.detail) + "\n";
  else if (r.reference)
    out = *r.reference + "\n";
  else if (r.epoch)
    out = "epoch " + std::to_string(*r.epoch) + "\n";
  write_stdout(out);
  return exit_ok;
}

void require_store(const std::string& dir) {
  check_store_dir(dir);
  if (!file_exists(dir + "/grypt.db"))
    throw UsageError("there is no store in " + dir + " (gryptserver init makes one)");
}

int do_admin(const std::string& dir, const admin::Request& req, const cxxopts::ParseResult& r,
             bool json) {
  require_store(dir);
  if (std::optional<admin::Reply> reply = ask_server(dir, req)) return print_reply(req, *reply, json);
  // No server: act on the store, holding its lock against one starting.
  StoreLock lock(dir, false);
  Opened o = open_store(dir, master_source(r));
  AdminContext ctx{*o.authority, actor_here(), nullptr};
  return print_reply(req, handle_admin(ctx, admin::encode(req)), json);
}

int do_init(const cxxopts::ParseResult& r) {
  std::string dir = store_dir(r);
  if (!r.count("group")) throw UsageError("init needs --group NAME");
  std::string group = option<std::string>(r, "group");
  if (std::string d = group_name_defect(group); !d.empty())
    throw UsageError("invalid group name '" + group + "': " + d);
  MasterSource master = master_source(r);
  std::string new_file = r.count("new-master-key-file") ? option<std::string>(r, "new-master-key-file") : "";
  if (file_exists(dir)) check_store_dir(dir);
  bool exists = file_exists(dir + "/grypt.db");
  if (exists) {
    if (!new_file.empty()) throw UsageError("the store " + dir + " exists: it has its master key already");
    admin::Request q{"init", group, "", "", false, ""};
    if (std::optional<admin::Reply> reply = ask_server(dir, q)) {
      print_reply(q, *reply, false);  // the running server added it
      return exit_ok;
    }
    StoreLock lock(dir, false);
    Opened o = open_store(dir, master);
    GroupData& g = o.authority->init_group(group, actor_here());
    print_new_reference(*o.authority, g);
    return exit_ok;
  }
  if (new_file.empty() && master.kind == MasterSource::Kind::none)
    throw UsageError("a new store needs a master key: --new-master-key-file F, --master-key-file F, "
                     "--passphrase-fd N or --passphrase-file F");
  // Checked as serve and a reference reader check them, before anything
  // is stored.
  std::string listen = r.count("listen") ? option<std::string>(r, "listen") : "0.0.0.0:4433";
  ListenAddress where = parse_listen(listen);
  std::string host = r.count("host") ? option<std::string>(r, "host") : where.host;
  if (host == "0.0.0.0" || host == "::" || host.empty())
    throw UsageError("listening on every address: give --host NAME, the name members connect to");
  if (std::string d = reference_host_defect(host); !d.empty())
    throw UsageError("--host '" + printable(host) + "': " + d);
  bool made_dir = !file_exists(dir);
  make_dirs(dir);
  StoreLock lock(dir, false);
  bool made_file = false;
  try {
    auto [key, info] = new_master_key(master, new_file);
    made_file = !new_file.empty();
    auto store = open_sqlite_store(dir, true);
    store->unlock(FieldCipher(key));
    store->create(info, Identity::generate(), listen, host);
    Authority a(*store, store->server_identity());
    GroupData& g = a.init_group(group, actor_here());
    print_new_reference(a, g);
  } catch (...) {
    // Nothing half-made is left: no store, no orphaned key file.
    ::unlink((dir + "/grypt.db").c_str());
    ::unlink((dir + "/grypt.db-wal").c_str());
    ::unlink((dir + "/grypt.db-shm").c_str());
    if (made_file) ::unlink(new_file.c_str());
    ::unlink((dir + "/lock").c_str());
    if (made_dir) ::rmdir(dir.c_str());
    throw;
  }
  return exit_ok;
}

int do_serve(const cxxopts::ParseResult& r) {
  std::string dir = store_dir(r);
  require_store(dir);
  StoreLock lock(dir, false);
  Opened o = open_store(dir, master_source(r), true);
  ServeOptions s;
  s.listen = r.count("listen") ? option<std::string>(r, "listen") : o.store->listen();
  s.admin_path = dir + "/admin.sock";
  if (r.count("ready-fd")) s.ready_fd = option<int>(r, "ready-fd");
  std::signal(SIGPIPE, SIG_IGN);
  return serve(*o.authority, s);
}

int body(int argc, char** argv) {
  cxxopts::Options o("gryptserver", "The grypt group authority");
  o.custom_help("VERB ... (see below)");
  o.positional_help("");
  o.add_options()
      ("store", "the store directory", cxxopts::value<std::string>(), "DIR")
      ("group", "init: the group to create", cxxopts::value<std::string>(), "NAME")
      ("listen", "where to listen (init stores it; serve may override)", cxxopts::value<std::string>(), "HOST:PORT")
      ("host", "init: the host name members connect to (default: the --listen host)",
       cxxopts::value<std::string>(), "NAME")
      ("name", "add: the member's name", cxxopts::value<std::string>(), "NAME")
      ("with-history", "add: grant every epoch, not only those from now on")
      ("json", "listing verbs: JSON output")
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
  const std::string verb = w[0];
  auto args = [&](std::size_t n, const char* what) {
    if (w.size() != n + 1)
      throw UsageError(verb + " takes " + what + " (see gryptserver --help)");
  };
  bool json = r.count("json") > 0;
  if (verb == "init") {
    args(0, "no arguments: --store DIR --group NAME");
    return do_init(r);
  }
  if (verb == "serve") {
    args(0, "no arguments");
    return do_serve(r);
  }
  std::string dir = store_dir(r);
  admin::Request q;
  q.type = verb;
  if (verb == "groups") {
    args(0, "no arguments");
  } else if (verb == "add") {
    args(2, "GROUP and KEY (or a pending request's number)");
    if (!r.count("name")) throw UsageError("add needs --name NAME");
    q.group = w[1];
    q.key = w[2];
    q.name = option<std::string>(r, "name");
    q.history = r.count("with-history") > 0;
  } else if (verb == "remove") {
    args(2, "GROUP and a member's NAME or KEY");
    q.group = w[1];
    q.member = w[2];
  } else if (verb == "rotate" || verb == "members" || verb == "pending" || verb == "log" ||
             verb == "invite") {
    args(1, "GROUP");
    q.group = w[1];
  } else {
    throw UsageError("unknown verb '" + verb + "' (see gryptserver --help)");
  }
  if (!q.group.empty())
    if (std::string d = group_name_defect(q.group); !d.empty())
      throw UsageError("invalid group name '" + q.group + "': " + d);
  return do_admin(dir, q, r, json);
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("gryptserver", argc, argv, grypt::body); }
