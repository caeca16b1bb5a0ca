// `lintas stats` (the node's ACTIP monitoring statistics, GET /v1/stats) and
// `lintas audit stats` (the broker's regional statistics, small counts
// suppressed): aligned tables by default, --json or --csv.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace lintas::cli {

// Adds `stats`, and `stats` under `audit` (AddAuditCommands must have run).
// `node_url` and `json` are read when a command runs; `rc` gets its exit code.
void AddStatsCommands(CLI::App& app, const std::string* node_url, const bool* json, int* rc);

}  // namespace lintas::cli
