// grypt-admin: a group administrator's verbs (man/grypt-admin.1), through
// the administrator's own gryptd, which holds the identity that signs the
// group's states and makes its epoch keys. The server only relays.
#include <nlohmann/json.hpp>

#include <set>

#include "cli/options.h"
#include "cli/listing.h"
#include "core/file.h"
#include "core/io.h"
#include "core/keys.h"
#include "core/move_statement.h"
#include "core/text.h"
#include "ipc/daemon_client.h"

namespace grypt {
namespace {

using OJson = nlohmann::ordered_json;

struct Args {
  const cxxopts::ParseResult& r;
  const std::vector<std::string>& w;
  bool json() const { return r.count("json") > 0; }
};

void print(const OJson& j) { write_stdout(j.dump(-1, ' ', false, OJson::error_handler_t::replace) + "\n"); }

daemon::Reply ask(const cxxopts::ParseResult& r, const daemon::Request& q) {
  std::string path = r.count("socket") ? option<std::string>(r, "socket") : default_socket_path();
  std::optional<DaemonClient> c = DaemonClient::connect(path);
  if (!c) throw UsageError(daemon_absent(path) + ": start it with gryptd");
  try {
    return c->call(q);
  } catch (const DaemonRefusal& e) {
    // A group name the daemon does not know is a usage error, as in
    // grypt-seal: exit 2.
    if (e.code() == daemon::Code::unknown_group) throw UsageError(e.what());
    throw;
  }
}

int epoch_out(const Args& a, const daemon::Request& q) {
  auto e = std::get<daemon::EpochReply>(ask(a.r, q));
  if (a.json()) print({{"epoch", e.epoch}});
  else write_stdout("epoch " + std::to_string(e.epoch) + "\n");
  return exit_ok;
}

int members(const Args& a) {
  auto m = std::get<daemon::RosterReply>(ask(a.r, daemon::Listing{daemon::Listing::What::roster, a.w[1]}));
  if (a.json()) print(roster_json(m));
  else write_stdout(roster_text(m));
  return exit_ok;
}

int pending(const Args& a) {
  auto p = std::get<daemon::PendingReply>(ask(a.r, daemon::Listing{daemon::Listing::What::pending, a.w[1]}));
  OJson list = OJson::array();
  std::string out;
  for (const auto& e : p.requests) {
    list.push_back({{"number", e.number}, {"kind", e.leave ? "leave" : "join"}, {"key", e.key.to_string()},
                    {"name", e.name ? OJson(*e.name) : OJson(nullptr)}, {"fingerprint", e.key.fingerprint_text()},
                    {"note", e.note}, {"time", json_time(e.time)}, {"first", json_time(e.first)},
                    {"last", json_time(e.last)}, {"count", e.count}});
    out += std::to_string(e.number) + "  " + e.key.fingerprint_text() + "  " + utc_time(e.time) + "  " +
           std::to_string(e.count) + "x" + (e.leave ? "  leave " + e.name.value_or("?") : "") +
           (e.note.empty() ? "" : "  \"" + printable(e.note) + "\"") + "\n";
  }
  if (a.json()) print({{"pending", list}});
  else write_stdout(out);
  return exit_ok;
}

int log(const Args& a) {
  auto l = std::get<daemon::LogReply>(ask(a.r, daemon::Listing{daemon::Listing::What::log, a.w[1]}));
  OJson list = OJson::array();
  std::string out;
  for (const auto& e : l.entries) {
    list.push_back({{"epoch", e.epoch}, {"time", json_time(e.time)}, {"change", e.change}, {"subject", e.subject_name},
                    {"subject_key", e.subject ? OJson(e.subject->to_string()) : OJson(nullptr)},
                    {"role", e.role}, {"signer", e.signer_name}, {"signer_key", e.signer.to_string()}});
    out += "epoch " + std::to_string(e.epoch) + "  " + utc_time(e.time) + "  " + e.signer_name + "  " + e.change +
           (e.subject_name.empty() ? "" : "  " + e.subject_name) + (e.role.empty() ? "" : " (" + e.role + ")") + "\n";
  }
  if (a.json()) print({{"log", list}});
  else write_stdout(out);
  return exit_ok;
}

int reference_out(const Args& a, const std::string& ref) {
  if (a.json()) print({{"reference", ref}});
  else write_stdout(ref + "\n");
  return exit_ok;
}

// The members a --from file lists, a name and a key a line; every line
// checked before anything is added.
std::vector<std::pair<std::string, PublicKey>> members_listed(const std::string& path) {
  constexpr std::size_t max_bytes = 64 << 20;
  std::vector<std::uint8_t> bytes;
  if (path == "-") {
    bytes.resize(max_bytes + 1);
    bytes.resize(read_bounded(0, bytes.data(), max_bytes, "the standard input"));
  } else {
    bytes = read_file(path, max_bytes, FilePolicy{Access::any, true, false});
  }
  const std::string where = path == "-" ? "the standard input" : path;
  std::string text(bytes.begin(), bytes.end());
  std::vector<std::pair<std::string, PublicKey>> out;
  std::set<std::string> names;
  std::set<PublicKey> keys;
  std::size_t line_no = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto bad = [&](const std::string& why) {
      throw UsageError(where + ", line " + std::to_string(line_no) + ": " + why + "; nothing was added");
    };
    std::vector<std::string> words;
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) words.push_back(line.substr(i, j - i));
      i = j;
    }
    if (words.empty() || words[0][0] == '#') continue;
    if (words.size() != 2) bad("not a name and a public key");
    if (std::string d = group_name_defect(words[0]); !d.empty())
      bad("invalid member name '" + printable(words[0]) + "': " + d);
    PublicKey key;
    try {
      key = PublicKey::parse(words[1]);
    } catch (const FormatError& e) {
      bad(e.what());
    }
    if (!names.insert(words[0]).second) bad("the name " + words[0] + " comes twice");
    if (!keys.insert(key).second) bad("the key of " + words[0] + " comes twice");
    out.emplace_back(words[0], key);
  }
  if (out.empty()) throw UsageError(where + " lists no member");
  return out;
}

// add --from: 1000 members a commit; what was added is said if a later
// thousand fails.
int add_from(const Args& a) {
  if (a.r.count("name") || a.r.count("with-history") || a.r.count("admin"))
    throw UsageError("add --from takes the names from its file and adds members without history: "
                     "no --name, --with-history or --admin");
  const auto listed = members_listed(option<std::string>(a.r, "from"));
  constexpr std::size_t per_commit = 1000;
  std::uint32_t epoch = 0;
  for (std::size_t i = 0; i < listed.size(); i += per_commit) {
    daemon::AddMany q{a.w[1], {}};
    q.members.assign(listed.begin() + static_cast<std::ptrdiff_t>(i),
                     listed.begin() + static_cast<std::ptrdiff_t>(std::min(listed.size(), i + per_commit)));
    const std::string done = "added " + std::to_string(i) + " of " + std::to_string(listed.size()) +
                             " members (to epoch " + std::to_string(epoch) + "); then: ";
    try {
      epoch = std::get<daemon::EpochReply>(ask(a.r, q)).epoch;
    } catch (const DaemonRefusal& e) {
      if (i == 0) throw;
      throw DaemonRefusal(e.code(), done + e.what());
    } catch (const UsageError& e) {
      if (i == 0) throw;
      throw UsageError(done + e.what());
    }
  }
  if (a.json()) print({{"epoch", epoch}, {"added", listed.size()}});
  else write_stdout("epoch " + std::to_string(epoch) + "\n");
  return exit_ok;
}

daemon::Change change_of(grypt::Change c, const Args& a) {
  if (c == grypt::Change::rotate) return {c, a.w[1], ""};
  const std::string& who = a.w[2];
  if (who.rfind("grypt-pk:", 0) == 0)
    PublicKey::parse(who);
  else if (std::string d = group_name_defect(who); !d.empty())
    throw UsageError("invalid member name '" + printable(who) + "': " + d);
  return {c, a.w[1], who};
}

// move: the statement from the command line or, as -, the standard input.
// It is checked here so that a damaged one is named before the daemon is
// asked; the daemon checks it again.
int move(const Args& a) {
  std::string text = a.w[2];
  if (text == "-") {
    constexpr std::size_t max_bytes = daemon::max_move_statement_chars;
    std::string in(max_bytes + 1, '\0');
    in.resize(read_bounded(0, reinterpret_cast<std::uint8_t*>(in.data()), max_bytes, "the standard input"));
    text = std::move(in);
  }
  if (text.size() > daemon::max_move_statement_chars) throw UsageError("not a move statement: too long");
  MoveStatement m;
  try {
    m = MoveStatement::parse(text);
  } catch (const FormatError& e) {
    throw UsageError(e.what());
  }
  // Said as a key change of a member people know, with both fingerprints:
  // its name from the roster before the move (an administrator that moves
  // itself holds no later one).
  auto roster = std::get<daemon::RosterReply>(ask(a.r, daemon::Listing{daemon::Listing::What::roster, a.w[1]}));
  int status = epoch_out(a, daemon::Move{a.w[1], text, a.r.count("with-history") > 0});
  for (const auto& e : roster.members)
    if (e.key == m.from)
      note(e.name + " moved from " + m.from.fingerprint_text() + " to " + m.to.fingerprint_text() +
           " (statement signed " + utc_time(m.time) + ")");
  return status;
}

struct Verb {
  const char* name;
  std::size_t words;  // with the verb
  const char* takes;
  int (*run)(const Args&);
};

const Verb verbs[] = {
    {"create", 3, "GROUP SERVER-REFERENCE [--name NAME]", [](const Args& a) {
       return reference_out(a, std::get<daemon::CreateReply>(ask(a.r, daemon::Create{a.w[1], a.w[2], a.r.count("name") ? option<std::string>(a.r, "name") : ""})).reference);
     }},
    {"invite", 2, "GROUP", [](const Args& a) {
       auto r = ask(a.r, daemon::Listing{daemon::Listing::What::invite, a.w[1]});
       return reference_out(a, std::get<daemon::InviteReply>(r).reference);
     }},
    {"add", 3, "GROUP KEY|NUMBER --name NAME, or GROUP --from FILE", [](const Args& a) {
       if (a.r.count("from")) return add_from(a);
       if (!a.r.count("name")) throw UsageError("add needs --name NAME, the member's name in the group");
       // A key is read here, so that a mistyped one is named before the
       // daemon is asked; a number is a pending request's.
       const std::string& who = a.w[2];
       if (who.empty()) throw UsageError("add takes a public key or the number of a pending request, not an empty word");
       if (who.find_first_not_of("0123456789") != std::string::npos) PublicKey::parse(who);
       return epoch_out(a, daemon::Add{a.w[1], a.w[2], option<std::string>(a.r, "name"),
                                       a.r.count("with-history") > 0, a.r.count("admin") > 0});
     }},
    {"remove", 3, "GROUP NAME|KEY", [](const Args& a) { return epoch_out(a, change_of(grypt::Change::remove, a)); }},
    {"rotate", 2, "GROUP", [](const Args& a) { return epoch_out(a, change_of(grypt::Change::rotate, a)); }},
    {"promote", 3, "GROUP NAME", [](const Args& a) { return epoch_out(a, change_of(grypt::Change::promote, a)); }},
    {"demote", 3, "GROUP NAME", [](const Args& a) { return epoch_out(a, change_of(grypt::Change::demote, a)); }},
    {"grant", 3, "GROUP NAME", [](const Args& a) { return epoch_out(a, change_of(grypt::Change::grant, a)); }},
    {"move", 3, "GROUP STATEMENT|- [--with-history]", move},
    {"members", 2, "GROUP", members},
    {"pending", 2, "GROUP", pending},
    {"log", 2, "GROUP", log},
};

int body(int argc, char** argv) {
  cxxopts::Options o("grypt-admin", "A group administrator's verbs, through gryptd");
  o.custom_help("VERB GROUP ... (see below)");
  o.positional_help("");
  o.add_options()
      ("name", "add: the member's name in the group; create: yours (default: your login name)", cxxopts::value<std::string>(), "NAME")
      ("with-history", "add, move: give the member the keys of every epoch you hold")
      ("from", "add: the members FILE lists, a name and a key a line (- for stdin), 1000 a commit",
       cxxopts::value<std::string>(), "FILE")
      ("admin", "add: make the new member an administrator")
      ("json", "one JSON object on stdout")
      ("socket", "gryptd's socket (default: $GRYPT_SOCKET or $XDG_RUNTIME_DIR/grypt/gryptd.sock)",
       cxxopts::value<std::string>(), "PATH")
      ("h,help", "print this help")
      ("version", "print the version");
  o.add_options("hidden")("words", "", cxxopts::value<std::vector<std::string>>());
  o.parse_positional({"words"});
  auto r = parse_options(o, argc, argv);
  std::string tail = "\nVerbs:\n";
  for (const Verb& v : verbs) tail += std::string("  ") + v.name + " " + v.takes + "\n";
  if (handle_common_options(o, r, tail + "Exit status: 0 success, 1 not an administrator or not a member, 2 error. "
                                         "See grypt-admin(1).\n"))
    return exit_ok;
  std::vector<std::string> w = r.count("words") ? option<std::vector<std::string>>(r, "words") : std::vector<std::string>{};
  if (w.empty()) throw UsageError("give a verb (see grypt-admin --help)");
  for (const Verb& v : verbs)
    if (w[0] == v.name) {
      const bool from = r.count("from") > 0;
      if (from && w[0] != "add") throw UsageError("--from goes with add");
      if (w.size() != v.words - (from ? 1 : 0)) throw UsageError(std::string(v.name) + " takes " + v.takes);
      if (std::string d = group_name_defect(w[1]); !d.empty())
        throw UsageError("invalid group name '" + printable(w[1]) + "': " + d);
      // Member names follow the rules of group names (grypt-protocol.7).
      if (r.count("name"))
        if (std::string n = option<std::string>(r, "name"), d = group_name_defect(n); !d.empty())
          throw UsageError("invalid --name '" + printable(n) + "': " + d);
      return v.run(Args{r, w});
    }
  throw UsageError("unknown verb '" + printable(w[0]) + "' (see grypt-admin --help)");
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("grypt-admin", argc, argv, grypt::body); }
