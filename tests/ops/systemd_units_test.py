#!/usr/bin/python3
"""The systemd units of ops/systemd/: `systemd-analyze verify` finds nothing to say about them, their hardening is
what docs/OPERATIONS.md promises, and `systemd-analyze security` rates their exposure low.

`verify` checks that each command's executable exists, so the test verifies a copy of each unit whose /usr/bin/...
paths point at the binaries built in --build (or, with --root, at a tree extracted from the packages). A binary
not built (the webhook adapter before its target exists) is replaced by /usr/bin/true, and the test says so.

    /usr/bin/python3 tests/ops/systemd_units_test.py --build build/release
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNITS = ("lintas-broker.service", "lintas-node.service", "lintas-webhook.service")
# Where each /usr/bin binary is in a build tree.
BUILT = {"lintas-broker": "broker/lintas-broker", "lintas-node": "nodes/lintas-node",
         "lintas-webhook": "adapters/webhook/lintas-webhook"}
# Directives every unit must carry, with their value.
REQUIRED = {
    "User": "lintas", "Group": "lintas", "Restart": "on-failure", "NoNewPrivileges": "yes",
    "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": "", "RestartPreventExitStatus": "2",
}
# `systemd-analyze security` scale: 0 (locked down) .. 10 (unprotected); refuse above this.
MAX_EXPOSURE = 2.0

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def service_section(path):
    """The [Service] directives of a unit: name -> list of values (a directive may repeat)."""
    values = {}
    section = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service":
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def binary_for(name, build, root):
    """(path to use for /usr/bin/<name>, note) from the package tree or the build tree."""
    if root is not None:
        path = Path(root) / "usr/bin" / name
        if path.exists():
            return path, f"{name} from the package tree"
    elif build is not None:
        # The broker and the node have fixed places; an adapter is looked for under adapters/.
        found = [Path(build) / BUILT[name]] + sorted((Path(build) / "adapters").glob(f"**/{name}"))
        for path in found:
            if path.is_file():
                return path, f"{name} from the build tree ({path})"
    return Path("/usr/bin/true"), f"{name} is not built: its unit is verified with /usr/bin/true as executable"


def verify_unit(unit_path, build=None, root=None):
    """Checks one unit file; returns nothing, records failures."""
    name = unit_path.name
    service = service_section(unit_path)
    for key, value in REQUIRED.items():
        check(service.get(key) == [value], f"{name}: {key}={value} (has {service.get(key)})")
    start, pre = service.get("ExecStart", [""])[0], service.get("ExecStartPre", [""])[0]
    check(pre == start + " --check-config", f"{name}: ExecStartPre is ExecStart with --check-config ({pre})")
    state = service.get("StateDirectory", [""])[0]
    check(state.startswith("lintas/") and service.get("ReadWritePaths") == [f"/var/lib/{state}"],
          f"{name}: ReadWritePaths is its StateDirectory /var/lib/{state} ({service.get('ReadWritePaths')})")
    binary = re.match(r"/usr/bin/(\S+)", start).group(1)

    text = unit_path.read_text()
    path, note = binary_for(binary, build, root)
    print(f"     ({note})")
    with tempfile.TemporaryDirectory(prefix="lintas-units-") as tmp:
        copy = Path(tmp) / name
        copy.write_text(text.replace(f"/usr/bin/{binary}", str(path)))
        r = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True)
        said = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and not said, f"{name}: systemd-analyze verify is silent"
              + ("" if not said else f": {said}"))
        r = subprocess.run(["systemd-analyze", "security", "--offline=yes", copy], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
        exposure = float(m.group(1)) if m else None
        check(exposure is not None and exposure <= MAX_EXPOSURE,
              f"{name}: systemd-analyze security exposure {exposure} <= {MAX_EXPOSURE}")


def self_check():
    """The harness itself catches a broken unit: a misspelt value makes verify speak."""
    src = REPO / "ops/systemd/lintas-broker.service"
    with tempfile.TemporaryDirectory(prefix="lintas-units-") as tmp:
        bad = Path(tmp) / "lintas-broker.service"
        bad.write_text(src.read_text().replace("/usr/bin/lintas-broker", "/usr/bin/true")
                       .replace("ProtectSystem=strict", "ProtectSystem=strickt"))
        r = subprocess.run(["systemd-analyze", "verify", bad], capture_output=True, text=True)
        check("strickt" in r.stdout + r.stderr, "a misspelt ProtectSystem value is reported by verify")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(REPO / "build/release"), help="build tree with the binaries")
    args = parser.parse_args()
    self_check()
    for unit in UNITS:
        verify_unit(REPO / "ops/systemd" / unit, build=args.build)
    if failures:
        print(f"\n{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("\nall unit checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
