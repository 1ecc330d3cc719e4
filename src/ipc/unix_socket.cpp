#include "ipc/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace grypt {

Fd connect_unix(const std::string& path) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw UsageError("the socket path " + path + " is too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError("cannot make a socket", errno);
  while (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    if (errno != EINTR) throw SystemError("cannot connect to " + path, errno);
  return fd;
}

uid_t peer_uid(int fd) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    throw SystemError("cannot learn who is at the other end of the socket", errno);
  return cred.uid;
}

void require_same_user(int fd, const std::string& what) {
  uid_t uid = peer_uid(fd);
  if (uid != ::geteuid())
    throw UsageError(what + " belongs to another user (uid " + std::to_string(uid) +
                     "): refusing to use it");
}

}  // namespace grypt
