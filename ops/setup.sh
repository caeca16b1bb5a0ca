#!/usr/bin/env bash
# Sets up Lintas on a Debian 12 machine: installs the Debian packages that are
# missing (apt-get, non-interactive), configures and builds. Idempotent: a
# second run installs nothing and rebuilds only what changed.
#
#   ops/setup.sh            # preset "release" (RelWithDebInfo)
#   LINTAS_PRESET=asan ops/setup.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${LINTAS_PRESET:-release}

packages=(
  build-essential cmake ninja-build pkg-config
  libzmq3-dev cppzmq-dev
  libflatbuffers-dev flatbuffers-compiler
  librocksdb-dev
  libspdlog-dev libfmt-dev
  libgtest-dev
  libsodium-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libcpp-httplib-dev libssl-dev prometheus-cpp-dev libbenchmark-dev
  # The broker's allocator (tcmalloc, from gperftools): its loop allocates and frees
  # every record, and glibc's malloc cost it ~1 µs per event (docs/PERFORMANCE.md).
  libgoogle-perftools-dev
  # The console's browser tests: Debian's headless Chromium driven by Selenium,
  # and fonts that render Thai, Khmer, Lao and Burmese.
  chromium chromium-driver python3-selenium fonts-noto-core fonts-noto-cjk
  # The operations kit's tests (tests/ops/): promtool (Debian ships it in the prometheus package, which
  # also enables a Prometheus server on :9090 where systemd runs: `systemctl disable --now prometheus`
  # if this machine should not run one; the same for prometheus-blackbox-exporter on :9115), systemd-analyze,
  # and YAML for reading the alert rules.
  prometheus prometheus-blackbox-exporter systemd python3-yaml
  # The JetStream store backend (broker/store_jetstream): the nats.c client, and
  # nats-server for its tests, ops/cluster/ and bench/compare.
  libnats-dev nats-server
  # The API contract tests (tests/api): docs/openapi.yaml parsed and replies validated (JSON Schema 2020-12).
  python3-jsonschema
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

cd "$root"
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
echo "setup: built preset '$preset' in build/$preset"
