// `lintas audit ...`: the auditors' commands (docs/AUDIT.md). They speak to
// the broker directly with a node's identity and keys (--config NODE.toml),
// except `verify`, which works offline on an export file.
#pragma once

#include <CLI/CLI.hpp>

namespace lintas::cli {

// Adds the `audit` subcommand and its own subcommands; `rc` receives the
// exit code.
void AddAuditCommands(CLI::App& app, bool* json_output, int* rc);

}  // namespace lintas::cli
