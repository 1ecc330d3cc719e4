#include "core/error.h"

#include <cstring>

namespace grypt {

SystemError::SystemError(const std::string& what, int errnum)
    : Error(what + ": " + std::strerror(errnum)), errnum_(errnum) {}

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::armor: return "armor";
    case Fault::header: return "header";
    case Fault::auth: return "auth";
    case Fault::truncated: return "truncated";
    case Fault::trailing: return "trailing data";
    case Fault::wrong_key: return "wrong key";
    case Fault::wrong_name: return "wrong name";
    case Fault::forked: return "forked";
  }
  return "?";
}

}  // namespace grypt
