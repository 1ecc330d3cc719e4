// The one place where errors become messages and exit statuses (DESIGN §11):
// "tool: error: ...", exit 1 when the cryptography said no, 2 otherwise.
#pragma once

#include <sys/types.h>

#include <span>
#include <string_view>

namespace grypt {

// Runs body(argc, argv) as tool `name`: disables core dumps, sets a private
// umask, starts libsodium, flushes stdout and maps every exception to a
// one-line message and exit status.
int run_tool(const char* name, int argc, char** argv, int (*body)(int, char**));

const char* tool_name();
// The umask the tool was started with (run_tool sets a private one), for
// output that is not secret.
mode_t user_umask();
void warn(std::string_view message);
// A line on stderr that is neither an error nor a warning: "tool: message".
void note(std::string_view message);

void write_stdout(std::string_view text);

}  // namespace grypt
