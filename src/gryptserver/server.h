// gryptserver serve: one process, one event loop (standalone Asio with C++20
// coroutines) holding every member session, the administration socket and a
// sweeper that enforces the timeouts (man/grypt-protocol.7, LIMITS AND
// TIMEOUTS). Each session is independent: whatever a peer does ends its
// own session only.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "gryptserver/authority.h"
#include "proto/admin.h"

namespace grypt {

struct ServeOptions {
  std::string listen;      // HOST:PORT (port 0: any free port)
  std::string admin_path;  // the administration socket
  int ready_fd = -1;       // gets "HOST:PORT\n" once listening, then closed
};

// --listen's HOST:PORT: an IP address (IPv6 in brackets, or empty for
// every address) and a port from 0 (any free port) to 65535. UsageError
// naming what is wrong.
struct ListenAddress {
  std::string host;  // without brackets; "" for every address
  std::uint16_t port = 0;
};
ListenAddress parse_listen(const std::string& text);

// Runs until SIGTERM or SIGINT. Returns the exit status.
int serve(Authority& authority, const ServeOptions& options);

// What a request on the administration socket does, on an authority (the
// running server's, or one over the store when no server runs). `online`
// tells whether a member key has a session (null: none can).
struct AdminContext {
  Authority& authority;
  std::string actor;
  // The keys online in a group (none without a running server).
  std::function<std::set<PublicKey>(const std::string& group)> online;
};
admin::Reply handle_admin(AdminContext& ctx, std::span<const std::uint8_t> request);

}  // namespace grypt
