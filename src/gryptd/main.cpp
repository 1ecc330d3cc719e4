// gryptd: the member's agent (man/gryptd.1). Without a verb it starts: it
// unlocks the identity, listens on its socket and, unless --foreground,
// detaches once the socket listens. status, stop and join talk to it.
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "core/file.h"
#include "core/group_cache.h"
#include "core/identity_file.h"
#include "core/keyring.h"
#include "core/passphrase.h"
#include "core/notify.h"
#include "core/text.h"
#include "gryptd/daemon.h"
#include "ipc/daemon_client.h"
#include "ipc/unix_socket.h"
#include "cli/options.h"
#include "cli/listing.h"

namespace grypt {
namespace {

// Whether process `pid` ended within `ms` milliseconds: a pidfd becomes
// readable when it does (Linux 5.3), so the wait is signalled, not polled.
// A process that is already gone has no pidfd to open. Where pidfd_open is
// missing or filtered (an old kernel, a container's seccomp profile), the
// process is asked every 50 ms whether it still exists.
bool wait_for_exit(pid_t pid, int ms) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0 && errno == ESRCH) return true;
  if (fd < 0) {
    for (int waited = 0; waited <= ms; waited += 50) {
      if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
      ::usleep(50000);
    }
    return false;
  }
  pollfd p{fd, POLLIN, 0};
  int n;
  while ((n = ::poll(&p, 1, ms)) < 0 && errno == EINTR) {
  }
  ::close(fd);
  return n > 0;
}

// A duration for --lock-after: N seconds, or N followed by s, m, h or d;
// from 1 second to 365 days.
std::chrono::seconds parse_duration(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return UsageError(what + " '" + printable(text) +
                      "' is not a duration from 1s to 365d (a number, or a number and s, m, h or d)");
  };
  std::size_t digits = 0;
  while (digits < text.size() && digits < 9 && text[digits] >= '0' && text[digits] <= '9') digits++;
  if (digits == 0 || text.size() - digits > 1) throw bad();
  std::int64_t n = std::stoll(text.substr(0, digits));
  std::int64_t unit = 1;
  if (digits < text.size()) {
    switch (text[digits]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: throw bad();
    }
  }
  std::int64_t seconds = n * unit;
  if (seconds < 1 || seconds > 365 * 86400) throw bad();
  return std::chrono::seconds(seconds);
}

std::string socket_path(const cxxopts::ParseResult& r) {
  return r.count("socket") ? option<std::string>(r, "socket") : default_socket_path();
}

DaemonClient running(const std::string& path) {
  std::optional<DaemonClient> c = DaemonClient::connect(path);
  if (!c) throw UsageError(daemon_absent(path) + ": start it with gryptd");
  return std::move(*c);
}

std::string fingerprint_of(const std::string& key) { return PublicKey::parse(key).fingerprint_text(); }

int do_status(const std::string& path, bool json) {
  DaemonClient c = running(path);
  auto s = std::get<daemon::StatusReply>(c.call(daemon::Status{}));
  if (json) {
    nlohmann::ordered_json j = {{"identity", s.identity}, {"fingerprint", fingerprint_of(s.identity)},
                                {"pid", s.pid}, {"locked", s.locked}, {"socket", path}};
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (const auto& g : s.groups)
      groups.push_back({{"name", g.name}, {"state", standing_name(g.state)}, {"epoch", g.epoch},
                        {"confirmed", json_time(g.confirmed)}, {"members", g.members}, {"reference", g.reference},
                        {"why", g.why},
                        {"head", g.epoch ? base64_encode(g.head, Base64::url_unpadded) : ""},
                        {"expires", json_time(g.expires)}, {"role", g.role}});
    j["groups"] = groups;
    write_stdout(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
    return exit_ok;
  }
  std::string out = "identity " + s.identity + "\nfingerprint " + fingerprint_of(s.identity) + "\npid " +
                    std::to_string(s.pid) + "\n";
  if (s.locked) out += "locked: give the passphrase with gryptd unlock\n";
  for (const auto& g : s.groups) {
    out += g.name + "  " + standing_name(g.state) + "  epoch " + std::to_string(g.epoch) + "  confirmed " +
           utc_time(g.confirmed);
    if (g.members) out += "  " + std::to_string(g.members) + (g.members == 1 ? " member" : " members");
    out += "\n";
    // The head, short enough to compare by voice: two members who see
    // different heads for one epoch are shown different histories.
    if (g.epoch) {
      out += "  head " + short_code(g.head);
      if (g.expires) out += "  expires " + utc_time(g.expires);
      if (!g.role.empty()) out += "  " + g.role;
      out += "\n";
    }
    if (g.state == Standing::not_member)
      out += "  not a member: send your key above to the group's administrator\n";
    if (!g.why.empty()) out += "  " + printable(g.why) + "\n";
  }
  write_stdout(out);
  return exit_ok;
}

int do_members(const std::string& path, const std::string& group, bool json) {
  DaemonClient c = running(path);
  daemon::Reply reply;
  try {
    reply = c.call(daemon::Listing{daemon::Listing::What::roster, group});
  } catch (const DaemonRefusal& e) {
    if (e.code() == daemon::Code::unknown_group) throw UsageError(e.what());
    throw;
  }
  const auto& m = std::get<daemon::RosterReply>(reply);
  if (json) write_stdout(roster_json(m).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
  else write_stdout(roster_text(m));
  return exit_ok;
}

int do_join(const std::string& path, const std::string& name, const std::string& ref_text,
            const std::string& note) {
  if (std::string d = group_name_defect(name); !d.empty())
    throw UsageError("invalid group name '" + name + "': " + d);
  if (std::string d = join_note_defect(note); !note.empty() && !d.empty())
    throw UsageError("invalid --note: " + d);
  GroupReference ref = GroupReference::parse(ref_text);
  if (std::optional<DaemonClient> c = DaemonClient::connect(path)) {
    c->call(daemon::Join{name, ref.to_string(), note});
    return exit_ok;
  }
  // No daemon: only the groups file changes; the next gryptd connects.
  std::string file = groups_file_path();
  std::vector<GroupEntry> groups = load_groups_file(file);
  bool known = false;
  for (GroupEntry& g : groups) {
    if (g.name == name && g.reference.to_string() == ref.to_string()) {
      if (note.empty() || note == g.note) return exit_ok;
      g.note = note;
      known = true;
      break;
    }
    if (g.name == name) throw UsageError("a group named " + name + " is known already, with another reference");
    if (g.reference.group == ref.group) throw UsageError("that group is known already, as " + g.name);
  }
  if (!known) groups.push_back({name, ref, note});
  save_groups_file(file, groups);
  return exit_ok;
}

// gryptd leave: through the running daemon, or else in the files
// themselves (the groups file's line, the group's cache directory).
int do_leave(const std::string& path, const std::string& name, const std::string& identity) {
  auto untold = [&](const std::string& why) {
    warn("the administrators of " + name + " were not told (" + why +
         "): your key stays a member until one removes it");
  };
  if (std::optional<DaemonClient> c = DaemonClient::connect(path)) {
    daemon::Reply r;
    try {
      r = c->call(daemon::Leave{name});
    } catch (const DaemonRefusal& e) {
      if (e.code() == daemon::Code::unknown_group) throw UsageError(e.what());
      throw;
    }
    if (!std::get<daemon::LeftReply>(r).told) untold("the server could not be told now; see the daemon's log");
    return exit_ok;
  }
  std::string file = groups_file_path();
  std::vector<GroupEntry> groups = load_groups_file(file);
  auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& g) { return g.name == name; });
  if (it == groups.end()) throw UsageError("no group named " + printable(name) + " (see gryptd status)");
  std::string dir = group_cache_dir(default_cache_dir(), load_identity_info(identity).public_key, it->reference.group);
  groups.erase(it);
  save_groups_file(file, groups);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) throw SystemError("left " + name + ", but its cache " + dir + " could not be removed: " + ec.message());
  untold("no gryptd runs to tell them");
  return exit_ok;
}

void refuse_if_running(const std::string& path) {
  if (DaemonClient::connect(path)) throw UsageError("gryptd is already running (socket " + path + ")");
}

struct Listening {
  Fd fd;
  dev_t dev = 0;
  ino_t ino = 0;
  // Removes the socket if it is still ours: a daemon started after this one
  // was asked to stop has its own at the same path.
  void remove(const std::string& path) const {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino) ::unlink(path.c_str());
  }
};

// The socket's directory is the user's alone; a socket that answers is a
// running daemon; one that does not is left from a killed one.
Listening listen_socket(const std::string& path) {
  std::string dir = dir_name(path);
  make_dirs(dir);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) throw SystemError("cannot look at " + dir, errno);
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
    throw UsageError("the socket directory " + dir + " must be yours and private (chmod 700 " + dir + ")");
  if (file_exists(path)) {
    if (::lstat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
      throw UsageError(path + " exists and is not a socket: refusing to replace it");
    refuse_if_running(path);
    ::unlink(path.c_str());
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError("cannot make a socket", errno);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw UsageError("the socket path " + path + " is too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw SystemError("cannot listen on " + path, errno);
  Listening l;
  if (::lstat(path.c_str(), &st) != 0) throw SystemError("cannot look at " + path, errno);
  l.dev = st.st_dev;
  l.ino = st.st_ino;
  ::chmod(path.c_str(), 0600);
  if (::listen(fd.get(), 64) != 0) {
    l.remove(path);
    throw SystemError("cannot listen on " + path, errno);
  }
  l.fd = std::move(fd);
  return l;
}

// The socket a service manager made and passed (sd_listen_fds(3)): when
// LISTEN_PID is this process and LISTEN_FDS is 1, descriptor 3, which must
// be a listening Unix stream socket; nullopt when none was passed. The
// LISTEN_ variables leave the environment either way.
std::optional<int> activation_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  bool ours = pid && std::to_string(::getpid()) == pid;
  std::string count = fds ? fds : "";
  for (const char* v : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) ::unsetenv(v);
  if (!ours) return std::nullopt;
  if (count != "1")
    throw UsageError("the service manager passed " + printable(count) + " sockets (LISTEN_FDS): gryptd serves one");
  constexpr int fd = 3;  // SD_LISTEN_FDS_START
  int type = 0, domain = 0, listening = 0;
  socklen_t len = sizeof type;
  auto get = [&](int opt, int& v) {
    len = sizeof v;
    return ::getsockopt(fd, SOL_SOCKET, opt, &v, &len) == 0;
  };
  if (!get(SO_TYPE, type) || !get(SO_DOMAIN, domain) || !get(SO_ACCEPTCONN, listening) || type != SOCK_STREAM ||
      domain != AF_UNIX || !listening)
    throw UsageError("descriptor 3, passed by the service manager (LISTEN_FDS), is not a listening Unix stream socket");
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

// The path a Unix socket is bound to.
std::string bound_path(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || len <= offsetof(sockaddr_un, sun_path))
    return "(the socket passed by the service manager)";
  if (addr.sun_path[0] == '\0') return "@" + std::string(addr.sun_path + 1, len - offsetof(sockaddr_un, sun_path) - 1);
  return std::string(addr.sun_path, strnlen(addr.sun_path, len - offsetof(sockaddr_un, sun_path)));
}

int do_run(const cxxopts::ParseResult& r) {
  std::optional<int> activated = activation_socket();
  if (activated && r.count("socket"))
    throw UsageError("--socket with a socket passed by the service manager (LISTEN_FDS): it is that one");
  std::string path = activated ? bound_path(*activated) : socket_path(r);
  DaemonOptions o;
  o.socket_path = path;
  if (r.count("lock-after")) o.lock_after = parse_duration(option<std::string>(r, "lock-after"), "--lock-after");
  std::string id_path =
      r.count("identity") ? option<std::string>(r, "identity") : default_identity_path();
  if (!file_exists(id_path))
    throw UsageError("no identity at " + id_path + " (create one with grypt-keygen, or give -i)");
  bool foreground = r.count("foreground") > 0;
  bool use_syslog = r.count("syslog") > 0 || !foreground;
  // Whatever can fail is done before detaching, so that it is reported; a
  // running daemon is told before the passphrase is asked for, and the
  // socket is made only once the identity and its cache opened.
  if (!activated) refuse_if_running(path);
  o.identity_path = std::filesystem::absolute(id_path).string();
  IdentityInfo info = load_identity_info(id_path);
  o.passphrase_free = !info.encrypted;
  // --locked asks nothing: the chains are read and checked, their boxes
  // opened at unlock. An identity without a passphrase is never locked.
  std::optional<Identity> id;
  if (!r.count("locked") || o.passphrase_free)
    id.emplace(unlock_identity(id_path, secret_source(r, "passphrase"), false));
  Keyring keyring = id ? Keyring(*id, groups_file_path(), default_cache_dir())
                       : Keyring(info.public_key, groups_file_path(), default_cache_dir());
  Listening listener;
  if (activated) listener.fd = Fd(*activated);
  else listener = listen_socket(path);
  std::signal(SIGPIPE, SIG_IGN);

  if (r.count("test-frame-timeout-ms"))
    o.tool_frame_timeout = std::chrono::milliseconds(option<int>(r, "test-frame-timeout-ms"));
  if (r.count("test-answer-wait-ms"))
    o.answer_wait = std::chrono::milliseconds(option<int>(r, "test-answer-wait-ms"));
  if (r.count("test-state-lifetime")) o.state_lifetime = std::max(2, option<int>(r, "test-state-lifetime"));
  if (r.count("test-reply-part-bytes"))
    o.reply_part_bytes = static_cast<std::size_t>(std::max(256, option<int>(r, "test-reply-part-bytes")));
  if (use_syslog) {
    openlog("gryptd", LOG_PID, LOG_DAEMON);
    o.log = [](const std::string& line) { syslog(LOG_INFO, "%s", line.c_str()); };
  } else {
    o.log = [](const std::string& line) {
      std::string l = "gryptd: " + line + "\n";
      [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, l.data(), l.size());
    };
  }
  int ready[2] = {-1, -1};
  if (!foreground) {
    if (::pipe2(ready, O_CLOEXEC) != 0) throw SystemError("cannot make a pipe", errno);
    pid_t pid = ::fork();
    if (pid < 0) throw SystemError("cannot detach", errno);
    if (pid > 0) {
      // The parent returns once the daemon listens, or tells why not.
      ::close(ready[1]);
      char c = 0;
      ssize_t n;
      while ((n = ::read(ready[0], &c, 1)) < 0 && errno == EINTR) {
      }
      if (n != 1) throw SystemError("gryptd stopped while starting (see the system log)");
      ::_exit(exit_ok);
    }
    ::close(ready[0]);
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) ::close(null);
    if (::chdir("/") != 0) {
    }
  }
  o.ready = [&] {
    o.log("serving " + std::to_string(keyring.groups().size()) + " group(s) on " + path);
    // Type=notify: the user unit starts what needs the agent once it answers.
    notify_service_manager("READY=1");
    if (ready[1] >= 0) {
      char c = 1;
      [[maybe_unused]] ssize_t n = ::write(ready[1], &c, 1);
      ::close(ready[1]);
      ready[1] = -1;
    }
  };
  int status = run_daemon(keyring, id, listener.fd.release(), o);
  // A passed socket stays, the manager's, to start the next gryptd.
  if (!activated) listener.remove(path);
  o.log("stopped");
  return status;
}

int body(int argc, char** argv) {
  cxxopts::Options o("gryptd", "The grypt member's agent");
  o.custom_help(
      "[--foreground] [--syslog] [-i FILE] [--locked] [--lock-after DURATION] | status [--json] | "
      "members GROUP [--json] | stop | lock | unlock | join NAME REFERENCE [--note TEXT] | leave GROUP");
  o.positional_help("");
  o.add_options()
      ("foreground", "stay in the foreground and log to stderr (for service managers)")
      ("syslog", "log to syslog (the default when detached)")
      ("i,identity", "the identity (default: $GRYPT_IDENTITY or $XDG_DATA_HOME/grypt/identity)",
       cxxopts::value<std::string>(), "FILE")
      ("locked", "start locked: ask no passphrase until unlock or a tool at a terminal needs the keys")
      ("lock-after", "lock once no tool used a key for DURATION (N, Ns, Nm, Nh or Nd)",
       cxxopts::value<std::string>(), "DURATION")
      ("passphrase-fd", "read the identity's passphrase from descriptor N", cxxopts::value<int>(), "N")
      ("passphrase-file", "read the identity's passphrase from F", cxxopts::value<std::string>(), "F")
      ("socket", "the socket (default: $GRYPT_SOCKET or $XDG_RUNTIME_DIR/grypt/gryptd.sock)",
       cxxopts::value<std::string>(), "PATH")
      ("json", "status, members: JSON output")
      ("note", "join: a note for the group's administrators while you are not a member",
       cxxopts::value<std::string>(), "TEXT")
      ("h,help", "print this help")
      ("version", "print the version");
  o.add_options("hidden")("words", "", cxxopts::value<std::vector<std::string>>())
      // Tests only: how long a tool may take to finish a request it began.
      ("test-frame-timeout-ms", "", cxxopts::value<int>())
      // Tests only: the lifetime in seconds of the epochs this daemon signs.
      ("test-state-lifetime", "", cxxopts::value<int>())
      // Tests only: how long an administrator's request waits for the server.
      ("test-answer-wait-ms", "", cxxopts::value<int>())
      // Tests only: the largest part of a long answer, so a small group's shows parts.
      ("test-reply-part-bytes", "", cxxopts::value<int>());
  o.parse_positional({"words"});
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r, "\nExit status: 0 success, 1 wrong passphrase, 2 error. See gryptd(1).\n"))
    return exit_ok;
  std::vector<std::string> w = r.count("words") ? option<std::vector<std::string>>(r, "words")
                                                : std::vector<std::string>{};
  std::string path = socket_path(r);
  if (r.count("note") && (w.empty() || w[0] != "join")) throw UsageError("--note goes with join");
  if (!w.empty() && (r.count("locked") || r.count("lock-after")))
    throw UsageError("--locked and --lock-after go with starting gryptd");
  if (r.count("locked") && (r.count("passphrase-fd") || r.count("passphrase-file")))
    throw UsageError("--locked asks no passphrase: give it with gryptd unlock");
  if ((r.count("passphrase-fd") || r.count("passphrase-file")) && !w.empty() && w[0] != "unlock")
    throw UsageError("--passphrase-fd and --passphrase-file go with starting gryptd or unlock");
  if (w.empty()) return do_run(r);
  if (r.count("json") && w[0] != "status" && w[0] != "members") throw UsageError("--json goes with status or members");
  if (w[0] == "status" && w.size() == 1) return do_status(path, r.count("json") > 0);
  if (w[0] == "members" && w.size() == 2) return do_members(path, w[1], r.count("json") > 0);
  if (w[0] == "stop" && w.size() == 1) {
    DaemonClient c = running(path);
    auto s = std::get<daemon::StatusReply>(c.call(daemon::Status{}));
    c.call(daemon::Stop{});
    // Returns once the process has ended, so that a gryptd started next
    // finds the socket free. The daemon is ours (SO_PEERCRED), so its pid
    // can be watched.
    pid_t pid = static_cast<pid_t>(s.pid);
    if (wait_for_exit(pid, 10000)) return exit_ok;
    throw SystemError("gryptd (pid " + std::to_string(pid) + ") was asked to stop but still runs after 10 s");
  }
  if (w[0] == "lock" && w.size() == 1) {
    running(path).call(daemon::Lock{});
    return exit_ok;
  }
  if (w[0] == "unlock" && w.size() == 1) {
    DaemonClient c = running(path);
    // Nothing is asked of a daemon that holds its keys, nor for an identity
    // without a passphrase (the one at -i or the default, if it is the
    // daemon's).
    auto s = std::get<daemon::StatusReply>(c.call(daemon::Status{}));
    if (!s.locked) return exit_ok;
    std::string id_path = r.count("identity") ? option<std::string>(r, "identity") : default_identity_path();
    if (file_exists(id_path)) {
      IdentityInfo info = load_identity_info(id_path);
      if (!info.encrypted && info.public_key.to_string() == s.identity) {
        c.unlock(SecretBytes{});
        return exit_ok;
      }
    }
    c.unlock(read_secret(secret_source(r, "passphrase"), SecretPrompt{}));
    return exit_ok;
  }
  if (w[0] == "leave" && w.size() == 2)
    return do_leave(path, w[1], r.count("identity") ? option<std::string>(r, "identity") : default_identity_path());
  if (w[0] == "join" && w.size() == 3)
    return do_join(path, w[1], w[2], r.count("note") ? option<std::string>(r, "note") : "");
  throw UsageError("unknown verb or arguments '" + printable(w[0]) + "' (see gryptd --help)");
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("gryptd", argc, argv, grypt::body); }
