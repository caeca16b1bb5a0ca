#!/usr/bin/env bash
# Sets up and runs a benchmark.
#   ops/bench.sh [args]          lintas-broker-bench: 1 KB events from one publisher over TCP
#                                loopback through the full pipeline, beside the raw limit of a
#                                synced RocksDB WriteBatch of the same batch size (same run)
#   ops/bench.sh load [args]     lintas-bench, the load generator (N publishers, M subscribers,
#                                a lintas-broker child; --help lists the options, bench/README.md)
#   ops/bench.sh audit [args]    lintas-audit-bench: publish throughput with the audit tree off
#                                and on, and offline verification of a 1M-event export
#   ops/bench.sh compare [args]  bench/compare: Lintas beside the raw limits, Redis Streams and
#                                NATS JetStream (installs the peers' Debian packages; --quick)
#   ops/bench.sh node [args]     lintas-node-bench: events/s through a node's receiving side into
#                                one case growing to 100,000 events and into 10,000 cases, beside
#                                a synced RocksDB WriteBatch of the same batch size (--quick)
# Extra arguments go to the program (--help lists them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build/${LINTAS_PRESET:-release}"
case "${1:-}" in
  compare)
    shift
    exec "$root/bench/compare" "$@"
    ;;
  audit)
    shift
    "$root/ops/setup.sh" >/dev/null
    exec "$build/bench/audit/lintas-audit-bench" "$@"
    ;;
  load)
    shift
    "$root/ops/setup.sh" >/dev/null
    exec "$build/bench/lintas-bench" "$@"
    ;;
  node)
    shift
    "$root/ops/setup.sh" >/dev/null
    exec "$build/bench/lintas-node-bench" "$@"
    ;;
  *)
    "$root/ops/setup.sh" >/dev/null
    exec "$build/bench/lintas-broker-bench" "$@"
    ;;
esac
