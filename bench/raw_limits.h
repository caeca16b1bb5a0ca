// Raw limits of this machine, measured in the same run as the system under
// test: what the hardware and RocksDB give with nothing of Lintas around.
#pragma once

#include <cstddef>
#include <string>

namespace lintas::bench {

// Events per second of synced RocksDB WriteBatches of `batch` values of
// `value_bytes`, written for about `seconds` into a fresh database in `dir`.
double SyncedWriteBatchRate(const std::string& dir, size_t batch, size_t value_bytes,
                            double seconds);

}  // namespace lintas::bench
