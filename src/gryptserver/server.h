// gryptserver serve: one process, one event loop (standalone Asio with C++20
// coroutines) holding every member session, the administration socket and a
// sweeper that enforces the timeouts (man/grypt-protocol.7, LIMITS AND
// TIMEOUTS); the store works on a thread of its own. Each session is
// independent: whatever a peer does ends its own session only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "gryptserver/store.h"
#include "proto/admin.h"

namespace grypt {

struct ServeOptions {
  std::string listen;      // HOST:PORT (port 0: any free port)
  std::string admin_path;  // the administration socket
  int ready_fd = -1;       // gets "HOST:PORT\n" once listening, then closed
  // The clocks, for tests to set: monotonic time for the timeouts (a
  // session's deadlines, checked each second), Unix seconds for the time
  // a member signs its requests with. Empty: the system's.
  std::function<std::chrono::steady_clock::time_point()> clock;
  std::function<std::int64_t()> unix_clock;
};

// --listen's HOST:PORT: an IP address (IPv6 in brackets, or empty for
// every address) and a port from 0 (any free port) to 65535. UsageError
// naming what is wrong.
struct ListenAddress {
  std::string host;  // without brackets; "" for every address
  std::uint16_t port = 0;
};
ListenAddress parse_listen(const std::string& text);

// Checks every group of the store (OpenError(auth) naming what is wrong),
// then runs until SIGTERM or SIGINT. Returns the exit status.
int serve(Store& store, const ServeOptions& options);

// What an operator request does on a store with no server running (the
// running server answers the same itself).
admin::Reply handle_admin_offline(Store& store, std::span<const std::uint8_t> request);

}  // namespace grypt
