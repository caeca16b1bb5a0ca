// `lintas audit prove-receipt ID`: checks the broker's signed acknowledgement
// of an event (from the node, or a saved file) against the broker's log: a
// saved export (offline) or a fresh checkpoint and proof (online, with a node
// identity that may see the event). docs/AUDIT.md 2a.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace lintas::cli {

// Adds `prove-receipt` under `audit`; `node_url` is the node's API (--node),
// `rc` receives the exit code.
void AddReceiptCommand(CLI::App* audit, const std::string* node_url, int* rc);

}  // namespace lintas::cli
