#include "gryptserver/feed_pg.h"

#include <libpq-fe.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <stdexcept>

#include "gryptserver/store_pg.h"

namespace grypt {

using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

struct PgFeed::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& i, std::string c, Handlers hs) : io(i), conninfo(std::move(c)), h(std::move(hs)), timer(i) {}

  asio::io_context& io;
  std::string conninfo;
  Handlers h;
  asio::steady_timer timer;
  PGconn* conn = nullptr;
  std::unique_ptr<asio::posix::stream_descriptor> sock;
  bool stopping = false;
  bool listening = false;

  std::string error() const {
    std::string m = conn ? PQerrorMessage(conn) : "out of memory";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    for (char& c : m)
      if (c == '\n' || c == '\t') c = ' ';
    return m.empty() ? "the connection was closed" : m;
  }

  // Waits until the connection's socket is readable (or writable). While
  // connecting, libpq may close its socket and open another under the
  // same number: the descriptor is registered afresh for each wait then.
  awaitable<void> wait(bool write, bool fresh) {
    int fd = PQsocket(conn);
    if (fd < 0) throw std::runtime_error(error());
    if (fresh || !sock) {
      release();
      sock = std::make_unique<asio::posix::stream_descriptor>(io, fd);
    }
    co_await sock->async_wait(write ? asio::posix::stream_descriptor::wait_write
                                    : asio::posix::stream_descriptor::wait_read,
                              use_awaitable);
  }

  // The socket is libpq's: asio lets go of it before PQfinish closes it.
  void release() {
    if (sock) {
      sock->release();
      sock.reset();
    }
  }

  void drop() {
    release();
    if (conn) PQfinish(conn);
    conn = nullptr;
    listening = false;
  }

  awaitable<void> connect() {
    conn = PQconnectStart(conninfo.c_str());
    if (!conn || PQstatus(conn) == CONNECTION_BAD) throw std::runtime_error(error());
    // A shutdown's warning and the like: the loss itself is what is logged.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
      if (st == PGRES_POLLING_FAILED) throw std::runtime_error(error());
      co_await wait(st == PGRES_POLLING_WRITING, true);
      if (stopping) co_return;
      st = PQconnectPoll(conn);
    }
    release();
    if (PQsetnonblocking(conn, 1) != 0) throw std::runtime_error(error());
    std::string listen = std::string("LISTEN ") + pg_channel;
    if (!PQsendQuery(conn, listen.c_str())) throw std::runtime_error(error());
    for (int r; (r = PQflush(conn)) != 0;) {
      if (r < 0) throw std::runtime_error(error());
      co_await wait(true, false);
    }
    for (;;) {
      if (!PQconsumeInput(conn)) throw std::runtime_error(error());
      if (!PQisBusy(conn)) break;
      co_await wait(false, false);
    }
    std::string failed;
    while (PGresult* r = PQgetResult(conn)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK) failed = PQresultErrorMessage(r);
      PQclear(r);
    }
    if (!failed.empty()) throw std::runtime_error(failed);
  }

  awaitable<void> run() {
    auto self = shared_from_this();
    auto backoff = 500ms;
    bool told = false;  // of this loss: once, not at every attempt
    while (!stopping) {
      try {
        co_await connect();
        if (stopping) break;
        listening = true;
        told = false;
        backoff = 500ms;
        h.on_listening();
        for (;;) {
          while (PGnotify* n = PQnotifies(conn)) {
            std::string payload = n->extra ? n->extra : "";
            PQfreemem(n);
            h.on_notify(payload);
          }
          co_await wait(false, false);
          if (stopping) break;
          if (!PQconsumeInput(conn)) throw std::runtime_error(error());
          while (PGresult* r = PQgetResult(conn)) PQclear(r);
        }
      } catch (const std::exception& e) {
        if (!stopping && !told) h.on_lost(e.what());
        told = true;
      }
      drop();
      if (stopping) break;
      timer.expires_after(backoff);
      asio::error_code ec;
      co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
    }
    drop();
  }
};

PgFeed::PgFeed(asio::io_context& io, std::string conninfo, Handlers h)
    : impl_(std::make_shared<Impl>(io, std::move(conninfo), std::move(h))) {}

PgFeed::~PgFeed() { stop(); }

void PgFeed::start() { asio::co_spawn(impl_->io, impl_->run(), asio::detached); }

// The connection goes at once: a coroutine still waiting on it is ended
// by the cancel, or destroyed with the loop, and touches it no more.
void PgFeed::stop() {
  impl_->stopping = true;
  impl_->timer.cancel();
  impl_->drop();
}

bool PgFeed::listening() const { return impl_->listening; }

}  // namespace grypt
