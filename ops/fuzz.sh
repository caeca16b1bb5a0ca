#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, the `fuzz` preset) and runs each for a
# bounded time from the seed corpus in tests/fuzz/corpus/, then prints the
# executions per second and in total.
#   ops/fuzz.sh [SECONDS] [frame|event|json|export ...]   (default 60 s, all four)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(frame event json export)

LINTAS_PRESET=release "$root/ops/setup.sh" >/dev/null  # the Debian packages the project needs
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

printf '%-8s %10s %14s %12s %s\n' harness seconds executions "exec/s" result
for h in "${harnesses[@]}"; do
  work="$root/build/fuzz/fuzz-work/$h"
  mkdir -p "$work/corpus"
  log="$work/last.log"
  set +e
  (cd "$work" && "$root/build/fuzz/tests/fuzz/${h}_fuzz" -max_total_time="$seconds" \
      -print_final_stats=1 -rss_limit_mb=2048 -max_len=300000 -timeout=10 \
      corpus "$root/tests/fuzz/corpus/$h") > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  result=$([ $rc -eq 0 ] && echo "no crash" || echo "CRASH (see $log)")
  printf '%-8s %10s %14s %12s %s\n' "$h" "$seconds" "$execs" "$rate" "$result"
done
