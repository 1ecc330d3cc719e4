#include "core/error.h"

#include <cstring>

namespace grypt {

SystemError::SystemError(const std::string& what, int errnum)
    : Error(what + ": " + std::strerror(errnum)), errnum_(errnum) {}

}  // namespace grypt
