// `lintas audit compare A B`: two saved exports' signed checkpoints against
// each other, offline: one history, or a fork (docs/AUDIT.md 3).
#pragma once

#include <CLI/CLI.hpp>

namespace lintas::cli {

// Adds `compare` under `audit`; `rc` receives the exit code.
void AddCompareCommand(CLI::App* audit, int* rc);

}  // namespace lintas::cli
