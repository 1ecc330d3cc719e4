// gryptserver's insides, shared by its jobs: member sessions (session.cpp),
// the operator's socket (admin.cpp) and the loop that holds them
// (server.cpp). Everything here runs on the event loop's thread but the
// store, which runs on its own (store_worker.h).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "core/join_request.h"
#include "gryptserver/feed_pg.h"
#include "gryptserver/relay.h"
#include "gryptserver/server.h"
#include "gryptserver/store_worker.h"
#include "net/tls.h"
#include "proto/server.h"

namespace grypt {

using Clock = std::chrono::steady_clock;
void server_log(const std::string& line);

// What the operator's requests see: the running server's, or a store's
// when none runs.
struct OperatorView {
  Relay& relay;
  const std::vector<PublicKey>& admins;
  std::string server_reference;  // empty: its port is not known yet
  std::function<std::string(const GroupLive&)> group_reference;
  std::function<std::uint64_t(const GroupLive&)> online;
};
// The answer to a request that changes nothing (admit and revoke are
// written by the caller, then answered as "admins").
admin::Reply admin_reply(const OperatorView& v, const admin::Request& q);

class Server;

// A commit's frames as every session that follows the group is sent them,
// encoded once: the run's states, the last state without a box, the last
// state around its box's base64, and "synced" (grypt-protocol.7, PUSH).
// Frames are shared, not copied, by the sessions' queues: a run of a
// thousand states pushed to ten thousand members is held once.
using SharedFrame = std::shared_ptr<const std::vector<std::uint8_t>>;
struct PushFrames {
  std::vector<SharedFrame> run;
  SharedFrame unboxed, synced;
  std::string boxed_head, boxed_tail;
  PushFrames(const std::string& group, const CheckedCommit& c);
  SharedFrame boxed(const EpochBox& box) const;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class Phase { handshake, hello, active, closing };

  Session(Server& server, const TlsContext& tls, asio::ip::tcp::socket socket);

  asio::awaitable<void> run();
  void send(const proto::FromServer& m);
  void send_frame(SharedFrame f);
  // Sends an error frame, then closes once it is written (or at the next
  // sweep if the peer does not read).
  void fail(const std::string& code, const std::string& message);
  void close();
  void close_when_sent();
  // A commit of a group this session follows: its state and box, or
  // "removed".
  void pushed(GroupLive& g, const CheckedCommit& c, const PushFrames* frames = nullptr);
  // This key was just added to a group it asked for on this connection.
  void admitted(GroupLive& g);
  // The pongs owed to its pings (Server::pong_when_fresh), sent now.
  void pay_pongs();
  std::uint32_t pongs_owed = 0;

  Phase phase = Phase::handshake;
  Clock::time_point deadline;
  Clock::time_point last_read;
  std::array<std::uint8_t, 32> ed{};
  std::optional<PublicKey> key;
  std::set<std::string> groups;  // followed: a member of each
  // Asked for, but not a member (or no such group): what it said it holds.
  std::map<std::string, proto::GroupWant> asked;

 private:
  asio::awaitable<void> write_queue();
  void receive(const proto::FromMember& m);
  void hello(const proto::Hello& h);
  void ask(const proto::Ask& a);
  void want(const proto::GroupWant& w);
  void sync(GroupLive& g, const proto::GroupWant& w);
  void commit(const proto::Commit& part);
  void pending(const proto::PendingRequest& p);
  void leave(const proto::Leave& l);
  void send_state(const GroupLive& g, Epoch e, const EpochBox* box);
  // Sends what the syncs read from the store owe, while the queue is short.
  void pump();
  void end_sync(const std::string& name);

  Server& server_;
  std::string peer_;
  TlsStream stream_;
  FrameBuffer in_;
  std::deque<SharedFrame> out_;
  std::size_t unsent_ = 0;
  bool writing_ = false;
  bool close_after_write_ = false;
  // Groups whose sync waits on the store: pushes meanwhile wait here.
  std::map<std::string, std::vector<std::pair<std::shared_ptr<const CheckedCommit>, GroupLive*>>> syncing_;
  std::optional<proto::Commit> commit_;  // parts so far
  // A sync read from the store, sent as the member reads: a chain of
  // thousands of states is more than a queue may hold.
  struct Owed {
    std::string group;
    Epoch next, head;  // the states next..head
    std::map<std::uint32_t, EpochBox> own;
    std::vector<BoxRow> history;
    std::size_t history_at = 0;
  };
  std::deque<Owed> owed_;
};

class Server {
 public:
  Server(Store& store, const ServeOptions& o);
  ~Server();

  int run();
  void subscribe(const std::string& group, Session* s) { subscribers[group].insert(s); }
  void ask(const std::string& group, Session* s) { askers[group].insert(s); }
  void unask(const std::string& group, Session* s);
  void forget(Session* s);
  // A non-member's request is recorded after its answer left, off the
  // session's path: whether the group exists must not show in how long
  // "not-member" takes (grypt-protocol.7, not-member). A member's leave
  // request likewise. False when `request` is not one of kind `kind`, by
  // `key`, for the group, near the server's time (nothing is recorded).
  bool record_pending_later(GroupLive& g, const PublicKey& key, std::vector<std::uint8_t> request,
                            JoinRequest::Kind kind);
  // After the store took a commit: applied, pushed, answered.
  void committed(GroupLive& g, std::shared_ptr<const CheckedCommit> c);
  // The sessions that asked for the group: those its roster now holds are
  // synced (Session::admitted).
  void admit_askers(GroupLive& g);
  // Several front ends on one store (gryptserver.8, SEVERAL FRONT ENDS):
  // the commits another front end wrote to the group (its row), read from
  // the store, checked, applied and pushed as this server's own are; a
  // group it created is loaded. One read per group at a time; asked again
  // meanwhile, it reads again after.
  void catch_up(std::int64_t group);
  // Every group, after the feed was (re)made: notifications may be lost.
  void catch_up_all();
  // A ping on a store other front ends write: its pong waits until this
  // front end holds, for every group the session follows, the head the
  // store held when read after the ping (grypt-protocol.7, ping, pong).
  // While the store cannot be read, no pong: the member moves on.
  void pong_when_fresh(Session* s);
  std::string reference(const GroupLive& g) const;
  std::string server_reference() const;
  // ServeOptions' clocks.
  Clock::time_point now() const { return options.clock ? options.clock() : Clock::now(); }
  std::int64_t unix_now() const;
  OperatorView view();

  Store& store;
  ServeOptions options;
  asio::io_context io{1};
  Identity identity;
  TlsContext tls;
  Relay relay;
  std::vector<PublicKey> admins;
  // What the references name, read before the worker starts: once it runs,
  // the store's connection is its alone (one connection, no mutex).
  const std::string store_listen, store_host;
  const std::vector<Endpoint> store_endpoints;
  StoreWorker worker;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
  std::map<std::string, std::set<Session*>> subscribers;
  std::map<std::string, std::set<Session*>> askers;
  std::size_t max_sessions = SIZE_MAX;
  std::unique_ptr<PgFeed> feed;  // when other front ends write the store
  std::set<std::int64_t> catching_, catch_again_;
  // Sessions owed pongs: waiting for the next read of the store's heads,
  // and covered by the read in flight.
  std::set<Session*> pong_waiting_, pong_reading_;
  bool stopping = false;
  std::uint16_t bound_port = 0;

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> admin_loop();
  asio::awaitable<void> admin_session(asio::local::stream_protocol::socket s);
  asio::awaitable<void> sweep_loop();
  void listen();
  bool may_record_pending();
  void read_heads();
  asio::steady_timer heads_timer_{io};
  bool heads_in_flight_ = false, heads_timer_set_ = false;

  asio::ip::tcp::acceptor acceptor_;
  asio::local::stream_protocol::acceptor admin_acceptor_;
  asio::signal_set signals_;
  asio::steady_timer sweep_timer_;
  Clock::time_point last_full_log_{};
  Clock::time_point pending_window_ = now();
  int pending_writes_ = 0;
};



}  // namespace grypt
