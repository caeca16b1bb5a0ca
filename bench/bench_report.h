// lintas-bench's report: the figures of one run, as one flat JSON object
// (keys in bench/README.md) or as a human table beside the raw limits.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bench_options.h"
#include "broker_child.h"
#include "load_phase.h"
#include "raw_limits.h"
#include "stats.h"
#include "storage_check.h"

namespace lintas::bench {

// The catch-up phase: a backlog read by a subscriber that was away.
struct CatchUp {
  uint64_t events = 0;
  uint64_t received = 0;
  double fill_seconds = 0;
  double seconds = 0;
  std::string error;
};

// The raw limits of this machine, measured with the broker stopped.
struct RawFigures {
  size_t batch = 0;  // the synced WriteBatch size: the broker's average commit, rounded
  double rocksdb = 0;
  double rocksdb_1024 = 0;
  double zmq = 0;
  double zmq_relay = 0;  // in and out through a relay that does nothing else
  double durable_relay = 0;  // in, one synced batch, ack, out (durable_relay.h)
  double zmq_curve = 0;
  FsyncLatency fsync;
};

// Everything one run measured. A plain value, filled on the main thread.
struct RunFigures {
  PublishPhase publish;
  DeliveryPhase delivery;
  CatchUp catchup;
  CommitStats commits;
  std::map<std::string, double> cpu_us;  // broker thread role -> µs per acknowledged event
  double broker_cpu_us = 0;
  double generator_cpu_us = 0;
  uint64_t peak_rss = 0;
  StorageFigures storage;
  RawFigures raw;
  double wire_event_bytes = 0;  // the events' average size as published (sealed: the envelope)
  double seal_seconds = 0;  // --sealed: wall time spent sealing the pool, before the clock started

  double Rate() const;          // acknowledged events / publish seconds
  double DeliveryRate() const;  // all subscribers' records / (start -> last record)
  double CatchUpRate() const;
  double AverageBatch() const;
  // CPU seconds of some of the generator's threads, in µs per acknowledged event.
  double GeneratorCpuUs(double seconds) const;
};

// Whether every event was acknowledged and delivered as the mode expects;
// *error is the first error met (empty when none).
bool Complete(const Options& o, const RunFigures& f, std::string* error);

// Both take `f` mutable only because Latencies sorts its samples on first use.
FlatJson ToJson(const Options& o, RunFigures& f, bool complete, const std::string& error);
void PrintTable(const Options& o, RunFigures& f, bool complete, const std::string& error);

}  // namespace lintas::bench
