#!/usr/bin/env bash
# Sets up (ops/setup.sh) and runs the whole test suite with ctest.
#   ops/test.sh                 # everything
#   ops/test.sh -L unit         # extra arguments go to ctest
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${LINTAS_PRESET:-release}
"$root/ops/setup.sh"
cd "$root"
ctest --preset "$preset" "$@"
