// lintas-bench's command line: the options of one run and their parsing
// (bench/README.md documents each option and its default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace lintas::bench {

// One run's options, as parsed and clamped. A plain value; no thread safety
// needed (built once on the main thread, then read).
struct Options {
  // Default: 4 (1..32)
  size_t publishers = 4;
  // Inboxes the referrals are spread over (0..32). Default: 1
  size_t subscribers = 1;
  // Fan-out mode: this many subscribers (1..32) each take every event, a
  // regional alert, through a named subscription that matches all distributed
  // events; 0: referrals to inboxes (`subscribers`). Default: 0
  size_t fanout = 0;
  // Publish sealed referrals (lintas::seal, sealed to the addressee's node and
  // the sender's own), pre-sealed before the clock starts; the broker runs
  // with security.require_sealed. Needs `events` (the pool's size). Default: off
  bool sealed = false;
  // Default: 1024
  size_t event_bytes = 1024;
  // Events/s over all publishers; 0: as fast as possible. Default: 0
  double rate = 0;
  // Default: 10
  double duration_s = 10;
  // Events over all publishers; 0: run for duration_s. Default: 0
  uint64_t events = 0;
  // Default: 8192
  size_t window = 8192;
  // Default: 256 (1..256)
  size_t batch = 256;
  // Default: 4096
  uint32_t credit = 4096;
  // Default: 200000 (0 with --sealed)
  uint64_t backlog = 200000;
  bool curve = false;
  bool json = false;
  // Default: true
  bool raw = true;
  // Default: 2
  double raw_seconds = 2;
  bool storage = false;
  // Default: <build>/broker/lintas-broker
  std::string broker_binary;
  // A file of TOML appended to the broker's configuration (a [store] section:
  // the JetStream backend, bench/compare). Default: "" (none: RocksDB)
  std::string broker_config_extra;

  // The subscribing nodes the topology needs (fan-out or inbox subscribers).
  size_t subscriber_nodes() const { return fanout > 0 ? fanout : subscribers; }
};

// Parses argv. Returns the options, or nullopt after CLI11 printed help or an
// error; then *exit_code is what main should return.
[[nodiscard]] std::optional<Options> ParseOptions(int argc, char** argv, int* exit_code);

}  // namespace lintas::bench
