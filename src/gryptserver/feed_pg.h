// A front end's ear on the shared PostgreSQL store (gryptserver.8, SEVERAL
// FRONT ENDS): a connection of its own that LISTENs on the store's channel,
// driven by the event loop on the connection's socket with libpq's
// asynchronous calls, so the loop never waits on the database. Each
// notification's payload goes to on_notify. Whenever the connection is
// (re)made, on_listening runs once LISTEN holds: a notification may have
// been missed meanwhile, so the front end catches up from the store,
// never from notifications. A lost connection is made again, after half
// a second and then up to five; on_lost runs once a loss, however many
// attempts it takes.
#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

namespace grypt {

class PgFeed {
 public:
  struct Handlers {
    std::function<void(const std::string& payload)> on_notify;
    std::function<void()> on_listening;
    std::function<void(const std::string& why)> on_lost;
  };
  PgFeed(asio::io_context& io, std::string conninfo, Handlers h);
  ~PgFeed();
  PgFeed(const PgFeed&) = delete;
  PgFeed& operator=(const PgFeed&) = delete;

  void start();
  void stop();
  bool listening() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace grypt
