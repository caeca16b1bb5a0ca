#!/usr/bin/env bash
# Kill -9 soak of the broker: runs the crash test (tests/fault/crash_test.cc)
# for N cycles (default 500). Each cycle starts lintas-broker, publishes
# continuously, SIGKILLs it at a random moment; at the end every acknowledged
# event must be in the log exactly once, at its acknowledged offset, with no
# gap in the offsets.
#   ops/soak-crash.sh 500            # after ops/setup.sh
#   LINTAS_CRASH_SEED=123 ops/soak-crash.sh 50
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=${1:-500}
binary="$root/build/${LINTAS_PRESET:-release}/tests/fault_test"
[ -x "$binary" ] || "$root/ops/setup.sh"
LINTAS_CRASH_CYCLES="$cycles" exec "$binary" --gtest_filter='CrashTest.*' 2> >(grep -v 'PLAINTEXT MODE' >&2)
