#!/usr/bin/env bash
# Sets up Lintas and runs the multi-country demo.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/ops/setup.sh"
exec "$root/ops/demo/run.sh"
