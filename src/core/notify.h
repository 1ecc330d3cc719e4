// Readiness for a service manager, by systemd's documented notify protocol
// (sd_notify(3)): one datagram "READY=1" to the AF_UNIX socket named by
// $NOTIFY_SOCKET ('@' first: the abstract namespace). Without the
// variable, nothing happens; a socket that cannot be reached is not an
// error (the service runs on; the manager times out and says so).
#pragma once

#include <string_view>

namespace grypt {

// Sends `state` ("READY=1", "STOPPING=1") and returns whether it was sent.
bool notify_service_manager(std::string_view state);

}  // namespace grypt
