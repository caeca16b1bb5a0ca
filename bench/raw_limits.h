// Raw limits of this machine, measured in the same run as the system under
// test: what the hardware, ZeroMQ and RocksDB give with nothing of Lintas
// around. Each function runs alone for about `seconds` and is not
// thread-safe with respect to its directory.
#pragma once

#include <cstddef>
#include <string>

namespace lintas::bench {

// Events per second of synced RocksDB WriteBatches of `batch` values of
// `value_bytes`, written for about `seconds` into a fresh database in `dir`.
double SyncedWriteBatchRate(const std::string& dir, size_t batch, size_t value_bytes,
                            double seconds);

// Messages per second of `message_bytes` single-frame messages from one
// DEALER to one ROUTER over TCP on 127.0.0.1 (one sending thread, one
// receiving thread, no answer), with the CURVE handshake when `curve`.
double ZmqDealerRouterRate(size_t message_bytes, double seconds, bool curve);
// Messages per second through a relay that does nothing but forward: a
// DEALER sends to a ROUTER, whose thread sends each body on through a
// DEALER to a receiving ROUTER; three contexts, as three processes would
// have. The transport's ceiling for a broker that takes every event in and
// sends it out once (plaintext, TCP loopback).
double ZmqRelayRate(size_t message_bytes, double seconds);

struct FsyncLatency {
  double per_second = 0;  // fsyncs completed per second
  double p50_ms = 0;
  double p99_ms = 0;
};

// Appends 4 KiB to a file in `dir` and fsyncs it, again and again for about
// `seconds`: the cost of one durable small write on this disk.
FsyncLatency Fsync4KiB(const std::string& dir, double seconds);

}  // namespace lintas::bench
