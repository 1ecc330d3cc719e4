// gryptd's insides (man/gryptd.1), shared by its two jobs: following the
// groups' servers (link.cpp, one TLS session per server and up to 64 of
// its groups) and answering the tools on the Unix socket (tools.cpp).
// One event loop runs both; nothing here is touched from another thread
// but the ephemeral keys made ahead (ahead.h), each only by its own
// threads until the loop takes it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/keyring.h"
#include "core/reference.h"
#include "gryptd/ahead.h"
#include "gryptd/daemon.h"
#include "gryptd/follow.h"
#include "gryptd/signal.h"
#include "proto/daemon.h"
#include "proto/frame.h"
#include "proto/server.h"
#include "net/tls.h"

namespace grypt {

using namespace std::chrono_literals;

class Agent;

// One TLS session to a group server, for up to 64 groups whose references
// name its host, port and key.
class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(Agent& a, const ServerReference& ref);
  // Whether `g` belongs on this link: same server, room for it, not stopped.
  bool serves(const ServerReference& r) const;
  bool full() const { return groups_.size() >= proto::max_groups; }
  // Takes a group; asks the server about it at once when connected.
  void add(KnownGroup* g);
  // Lets a group go; reconnect: at once without it (a member left it), so
  // that the server says nothing more about it on this connection.
  void drop(KnownGroup* g, bool reconnect = false);
  asio::awaitable<void> run();
  void stop();
  // Ends a wait between attempts now: a tool needs what only the server
  // can tell.
  void wake();
  bool connected() const { return connected_; }
  bool stopped() const { return stopping_; }
  // Asks the server again about a group it said this key is not a member of.
  void ask_again(KnownGroup* g);
  // An admin's commit (or a group's creation), sent once connected, and
  // the server's answer; nullopt when no answer came (the connection
  // ended, or 30 s passed). One at a time per link.
  asio::awaitable<std::optional<std::variant<proto::Committed, proto::Refused>>> commit(proto::Commit c);
  // The pending requests of a group, for its admins; nullopt as above.
  asio::awaitable<std::optional<std::variant<proto::Pending, proto::Refused>>> pending(std::string group);
  // Sends a leave request (grypt-protocol.7, leave): the server's answer,
  // left or refused, or none.
  asio::awaitable<std::optional<std::variant<proto::Left, proto::Refused>>> leave(std::string group,
                                                                                std::vector<std::uint8_t> signed_request);
  // A round trip to the server now: the time (Unix seconds) at which it
  // confirmed that nothing newer is on its way, or nullopt if it did not
  // within `fresh_wait` (grypt-protocol.7, ping).
  asio::awaitable<std::optional<std::int64_t>> confirm();
  std::string where() const;

 private:
  asio::awaitable<void> session();
  asio::awaitable<std::optional<proto::FromServer>> next();
  asio::awaitable<void> writer();
  asio::awaitable<void> pinger();
  void send(const proto::FromMember& m);
  void ping();
  void handle(const proto::FromServer& m);
  void pong();
  KnownGroup* group_of(const std::string& wire_name, const char* frame);
  proto::GroupWant want(KnownGroup* g) const;
  std::vector<KnownGroup*> followed();
  void apply(const Outcome& o);
  void lost();
  static std::chrono::milliseconds jitter_upto(std::int64_t ms);
  asio::awaitable<void> pause(std::chrono::milliseconds wait);
  void wrong_server();
  void answer(const proto::FromServer& m, const std::string& group);
  asio::awaitable<bool> wait_connected();
  asio::awaitable<std::optional<proto::FromServer>> request(std::vector<proto::FromMember> frames,
                                                            std::string group);

  Agent& a_;
  std::vector<Endpoint> endpoints_;
  std::size_t at_ = 0;     // the endpoint of this connection
  std::size_t tried_ = 0;  // endpoints that failed in turn since the last delay
  std::map<std::string, KnownGroup*> groups_;  // by the group's name on the server
  std::unique_ptr<TlsStream> stream_;
  FrameBuffer in_;
  std::deque<std::vector<std::uint8_t>> out_;
  bool writing_ = false, connected_ = false, stopping_ = false, timed_out_ = false;
  std::chrono::milliseconds backoff_;
  asio::steady_timer* pause_ = nullptr;
  std::chrono::steady_clock::time_point last_heard_;
  // Pings in flight, oldest first: their number and the time they left.
  std::deque<std::pair<std::uint64_t, std::int64_t>> pings_;
  std::uint64_t pings_sent_ = 0, pongs_for_ = 0;  // the newest ping answered
  std::int64_t pong_time_ = 0;
  Signal pong_signal_;
  Ed25519Key pin_ed_{};
  PublicKey pin_;
  // The one request in flight that the server answers (commit, pending).
  bool asking_ = false;
  std::string asking_group_;
  Signal turn_;  // the request in flight ended
  std::optional<proto::FromServer> answer_;
  Signal answered_;
  Signal connected_signal_;
};

class Agent;
// An administrator's epochs renewed before they expire (gryptd/admin.cpp).
asio::awaitable<void> renew_epochs(Agent& a);

class Agent {
 public:
  Agent(Keyring& k, std::optional<Identity>& id, int listen_fd, const DaemonOptions& o);
  int run();
  void log(const std::string& line);
  Link& link_for(KnownGroup* g);
  Live& live(KnownGroup* g) { return live_[g]; }
  // The group's standing as shown: a connected or offline group whose
  // newest epoch expired is "expired".
  Standing standing(KnownGroup* g);
  std::string why(KnownGroup* g);
  // Forgets a group: joined a moment ago (a creation the server refused),
  // or left (gryptd leave), which reconnects its link without it. A link
  // left with no group stops (and is kept, stopped, until the agent ends).
  void forget(KnownGroup* g, bool left = false);
  // Wakes the tools waiting on what a server says about `g`.
  void answered(KnownGroup* g) { signal_of(g).notify(); }
  Signal& signal_of(KnownGroup* g);
  // The link that follows `g`, or null (looked up, never inserted).
  Link* link(KnownGroup* g) const {
    auto it = link_of.find(g);
    return it == link_of.end() ? nullptr : it->second;
  }
  void stop();
  std::int64_t now() const;

  // gryptd.1, Locking. lock wipes the identity, the epoch and vault keys
  // and the TLS context, and stops the links; unlock reads the identity
  // file again with `passphrase` (nullptr: it has none) and starts them
  // again: nullopt, or the failure to answer.
  bool locked() const { return keyring.locked(); }
  void lock(const std::string& why);
  std::optional<daemon::Failure> unlock(const SecretBytes* passphrase);
  // A request used a key: --lock-after counts from now.
  void used();
  // Makes the ephemeral key of this identity's next commit to `g` ahead,
  // if it administers `g` (gryptd/ahead.h); next_ephemeral holds them.
  void prepare_next(KnownGroup* g);

  asio::io_context io{1};
  Keyring& keyring;
  DaemonOptions options;
  std::unique_ptr<TlsContext> tls;  // null while locked
  Follower follower;
  std::map<KnownGroup*, Link*> link_of;
  std::map<std::string, SecretBytes> vault_keys;  // by the sha256 of vault.key
  std::map<KnownGroup*, NextEphemeral> next_ephemeral;
  bool stopping = false;
  // The links held, stopped ones included until the next link is made.
  std::size_t link_count() const { return links_.size(); }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve_tool(asio::local::stream_protocol::socket s);
  void start_links();
  std::optional<Identity>& identity_;
  asio::steady_timer lock_timer_;
  asio::local::stream_protocol::acceptor acceptor_;
  asio::signal_set signals_;
  // Stopped links are dropped from here when links are made: a run or a
  // request under way holds its own reference.
  std::vector<std::shared_ptr<Link>> links_;
  std::map<KnownGroup*, Live> live_;
  std::map<KnownGroup*, std::unique_ptr<Signal>> signals_of_;
};

// The tools' side: one connection's requests, answered in order.
class ToolSession {
 public:
  explicit ToolSession(Agent& a) : a_(a) {}
  asio::awaitable<daemon::Reply> handle(const daemon::Request& r);

 private:
  asio::awaitable<daemon::Reply> status();
  asio::awaitable<daemon::Reply> seal(const daemon::Seal& s);
  asio::awaitable<daemon::Reply> sign(const daemon::Sign& s);
  asio::awaitable<daemon::Reply> open(const daemon::Open& o);
  asio::awaitable<daemon::Reply> members(const daemon::Members& m);
  asio::awaitable<daemon::Reply> vault(const daemon::Vault& v);
  asio::awaitable<daemon::Reply> join(const daemon::Join& j);
  asio::awaitable<daemon::Reply> stop(const daemon::Stop&);
  asio::awaitable<daemon::Reply> leave(const daemon::Leave& l);
  asio::awaitable<daemon::Reply> lock(const daemon::Lock&);
  asio::awaitable<daemon::Reply> unlock(const daemon::Unlock& u);
  asio::awaitable<daemon::Reply> create(const daemon::Create& c);
  asio::awaitable<daemon::Reply> add(const daemon::Add& a);
  asio::awaitable<daemon::Reply> add_many(const daemon::AddMany& a);
  asio::awaitable<daemon::Reply> change(const daemon::Change& c);
  asio::awaitable<daemon::Reply> move(const daemon::Move& m);
  asio::awaitable<daemon::Reply> listing(const daemon::Listing& l);
  asio::awaitable<void> catch_up(KnownGroup* g, Epoch wanted);

  Agent& a_;
  std::set<KnownGroup*> asked_;  // groups this tool's requests asked the server about
};

// The answer to a request that needs a key while the agent is locked.
daemon::Failure locked_failure();

// Vault keys the daemon opened, by the digest of their vault.key.
daemon::Reply vault_request(Agent& a, const daemon::Vault& v);

}  // namespace grypt
