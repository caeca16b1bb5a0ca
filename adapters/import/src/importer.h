// Imports one export file through the node's API, all or nothing: first
// every row is mapped and checked (locally, then by the node's own checks
// with POST ...?dry_run=true); only if every row passes are they submitted.
// Each row is sent with its stable id as `client_ref`, so the node derives
// the same event id on every run: a re-run adds nothing already imported
// and completes a run that was cut off.
//
// Thread safety: ImportFile runs its own worker threads (one NodeClient
// each) and returns when they are done; call it from one thread.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "config.h"
#include "mapping.h"
#include "source.h"

namespace lintas::importer {

// Exit codes (as the `lintas` CLI's).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the submit pass was cut off, or the node failed (5xx)
inline constexpr int kExitBadInput = 2;     // invalid rows, bad config or flags, a refused token
inline constexpr int kExitUnreachable = 3;  // no answer from the node
inline constexpr int kExitRefused = 5;      // a row refused by the broker (seen with wait_s)

struct FileReport {
  size_t rows = 0;
  size_t imported = 0;         // queued by this run
  size_t already = 0;          // imported by an earlier run
  size_t refused_earlier = 0;  // imported by an earlier run and refused by the broker
  size_t acknowledged = 0;     // wait_s: acknowledged by the broker
  std::vector<RowError> errors;
  int exit_code = kExitOk;
};

struct RunOptions {
  bool dry_run = false;  // validate only (both checks), submit nothing
};

// Imports `path`; writes the report to `out` (summary) and `err` (each
// problem, naming row and column).
FileReport ImportFile(const std::string& path, const Mapping& mapping, const ImportConfig& config,
                      const std::string& token, const RunOptions& options, std::ostream& out,
                      std::ostream& err);

}  // namespace lintas::importer
