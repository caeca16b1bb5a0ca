#!/usr/bin/env bash
# Sets up and runs the broker benchmark: 1 KB events from one publisher over
# TCP loopback through the full pipeline, printed beside the raw limit of a
# synced RocksDB WriteBatch of the same batch size, measured in the same run.
# Extra arguments go to lintas-broker-bench (--help lists them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/ops/setup.sh" >/dev/null
exec "$root/build/${LINTAS_PRESET:-release}/bench/lintas-broker-bench" "$@"
