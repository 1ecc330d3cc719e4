// Unix stream sockets with the peer's user id checked (SO_PEERCRED): the
// daemon serves only its own user, and a tool talks only to a daemon of its
// own user (man/grypt-protocol.7, DAEMON PROTOCOL).
#pragma once

#include <sys/types.h>

#include <string>

#include "core/fd.h"

namespace grypt {

// Connects to `path`. SystemError keeps errno, so ENOENT and ECONNREFUSED
// (no daemon) can be told from the rest.
Fd connect_unix(const std::string& path);
uid_t peer_uid(int fd);
// UsageError when the peer is not this user.
void require_same_user(int fd, const std::string& what);

}  // namespace grypt
