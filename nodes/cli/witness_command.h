// `lintas audit witnesses`: the checkpoint this node co-signed, what it found
// of the other nodes' co-signed checkpoints, and the forks it detected
// (docs/AUDIT.md 3b); `--save DIR` writes each fork's two co-signed
// checkpoints as files for `lintas audit compare`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace lintas::cli {

// Adds `witnesses` under `audit`; `node_url` is the node's API (--node), `rc`
// receives the exit code.
void AddWitnessCommand(CLI::App* audit, const std::string* node_url, const bool* json_output, int* rc);

}  // namespace lintas::cli
