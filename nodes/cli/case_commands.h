// The case verbs of the lintas CLI: referral, request, alert, case, overdue,
// deadlines, audit local. Each builds the plain JSON of docs/API.md from
// flags and calls the node; addresses, case id, parent, priority and handling
// come from the item, never retyped.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace lintas::cli {

// `node_url` and `json` are read when a command runs; `rc` gets its exit code.
void AddCaseCommands(CLI::App& app, const std::string* node_url, const bool* json, int* rc);

}  // namespace lintas::cli
