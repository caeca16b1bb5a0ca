#!/usr/bin/env bash
# Builds the Debian packages with CPack: lintas-common_*.deb (the system user, the agency directory,
# the runbook), lintas-broker_*.deb and lintas-node_*.deb (with the lintas CLI, and lintas-webhook /
# lintas-import when those adapters exist), into build/packages/ (or $1).
#
#   ops/package.sh                  # preset "release" (LINTAS_PRESET to change it)
#   ops/package.sh /tmp/debs
#   dpkg -i build/packages/lintas-common_*.deb build/packages/lintas-broker_*.deb   # docs/OPERATIONS.md
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${LINTAS_PRESET:-release}
build="$root/build/$preset"
out=${1:-$root/build/packages}

cd "$root"
[ -f "$build/CMakeCache.txt" ] || cmake --preset "$preset"
cmake "$build" > /dev/null   # pick up targets added since the last configure
targets=(lintas-broker lintas-node lintas)
for adapter in lintas-webhook lintas-import; do
  if cmake --build "$build" --target help | grep -q "^$adapter:"; then targets+=("$adapter"); fi
done
echo "package: building ${targets[*]}"
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
mkdir -p "$out"
cpack --config "$build/CPackConfig.cmake" -B "$out"
rm -rf "$out/_CPack_Packages"
ls -1 "$out"/*.deb
