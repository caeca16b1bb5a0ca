// What the broker leaves on disk after a run and how long it takes to start
// again on it: bytes per event, WAL bytes after a clean shutdown, restart
// time and the resident memory of the restarted broker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker_child.h"

namespace lintas::bench {

struct StorageFigures {
  uint64_t events = 0;            // records in the log
  uint64_t data_bytes = 0;        // everything under the data directory
  uint64_t wal_bytes = 0;         // its write-ahead log files (*.log)
  double restart_seconds = 0;     // start to endpoint file, on that directory
  uint64_t restart_rss_bytes = 0; // the restarted broker's peak RSS
  std::string error;
};

// Call after the broker that used `dir` was stopped cleanly (SIGTERM): sizes
// `dir`/data, then starts `binary` on it again with the same nodes, times its
// start, reads its RSS, and stops it.
StorageFigures MeasureStorageAndRestart(const std::string& binary, const std::string& dir,
                                        const std::vector<BenchNode>& nodes, bool curve,
                                        uint64_t events);

}  // namespace lintas::bench
