// The PostgreSQL backend of Store (store.h): the store several gryptserver
// front ends share (gryptserver.8, SEVERAL FRONT ENDS).
#pragma once

#include <memory>
#include <string>

#include "gryptserver/store.h"

namespace grypt {

// The channel commits and admin changes are NOTIFYd on: "GROUP EPOCH"
// (the group's row and its new head) or "admins".
inline constexpr const char* pg_channel = "grypt";

// A --store given as a libpq URI ("postgresql://" or "postgres://").
bool is_pg_store(const std::string& store);
// "PostgreSQL database D on H", for messages: never the password, and a
// connection string that holds one is refused (UsageError).
std::string describe_store(const std::string& conninfo);
// create: make the schema when the database has none (gryptserver init).
std::unique_ptr<Store> open_pg_store(const std::string& conninfo, bool create);

}  // namespace grypt
