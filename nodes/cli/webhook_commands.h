// `lintas webhook dlq list | show | retry | drop`: the dead-letter queue of a
// running lintas-webhook adapter (adapters/webhook), reached on its admin
// listener (--adapter, $LINTAS_WEBHOOK, default http://127.0.0.1:7490) with
// the caller's node login (a supervisor or admin of the adapter's agency).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace lintas::cli {

// Adds `webhook` and its subcommands. The pointers are borrowed and read when
// a command runs: the node URL (whose stored login is used), --json; `rc`
// receives the exit code.
void AddWebhookCommands(CLI::App& app, const std::string* node_url, const bool* json, int* rc);

}  // namespace lintas::cli
