// The SQLite backend of Store (store.h): STORE/grypt.db.
#pragma once

#include <memory>
#include <string>

#include "gryptserver/store.h"

namespace grypt {

// create: make the database if it is missing (gryptserver init).
std::unique_ptr<Store> open_sqlite_store(const std::string& dir, bool create);

}  // namespace grypt
