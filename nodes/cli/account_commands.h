// `lintas login | logout | whoami | passwd | language` and `lintas admin user
// ... | admin token ...`: accounts and tokens through the node's HTTP API.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace lintas::cli {

// Adds the account subcommands to `app`. The pointers are borrowed and read
// when a command runs (after parsing): the node URL (--node), the --json
// flag; `rc` receives the exit code.
void AddAccountCommands(CLI::App& app, const std::string* node_url, const bool* json, int* rc);

}  // namespace lintas::cli
