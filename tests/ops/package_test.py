#!/usr/bin/python3
"""The Debian packages: cpack on the built tree (what ops/package.sh runs), then the packages extracted with
`dpkg -x` into a scratch root, where the installed binaries check the installed example configurations.

- lintas-common, lintas-broker and lintas-node are built, named <package>_<version>_<arch>.deb, and their control
  data is right (dependencies on lintas-common and on the shared libraries, conffiles, the maintainer scripts);
- the scratch root holds the binaries, units, example configs, the agency directory and the monitoring files;
  the webhook adapter and the import tool too when their targets are built;
- `lintas-broker --check-config` and `lintas-node --check-config` pass on the installed examples (their relative
  paths resolve inside the scratch root), and fail with exit code 2 and the field named on broken copies;
- the installed units pass `systemd-analyze verify` with their /usr/bin paths pointed into the scratch root.

    /usr/bin/python3 tests/ops/package_test.py --build build/release
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import systemd_units_test as units  # noqa: E402

CPACK_TIMEOUT_S = 240
failures = units.failures
check = units.check


def run(args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)


def built(build, name):
    """Whether the build tree has the adapter binary `name` (then the node package must carry it)."""
    return any(p.is_file() for p in (Path(build) / "adapters").glob(f"**/{name}"))


def build_packages(build, out):
    r = run(["cpack", "--config", Path(build) / "CPackConfig.cmake", "-B", out], timeout=CPACK_TIMEOUT_S)
    check(r.returncode == 0, "cpack builds the packages" + ("" if r.returncode == 0 else f":\n{r.stdout}{r.stderr}"))
    debs = {}
    for deb in sorted(Path(out).glob("*.deb")):
        m = re.fullmatch(r"(lintas-[a-z]+)_([0-9][^_]*)_([a-z0-9]+)\.deb", deb.name)
        check(m is not None, f"{deb.name} is named <package>_<version>_<arch>.deb")
        if m:
            debs[m.group(1)] = deb
    check(sorted(debs) == ["lintas-broker", "lintas-common", "lintas-node"], f"three packages: {sorted(debs)}")
    return debs


def field(deb, name):
    return run(["dpkg-deb", "-f", deb, name]).stdout.strip()


def control_file(deb, name, tmp):
    target = Path(tmp) / f"control-{deb.stem}"
    if not target.exists():
        run(["dpkg-deb", "-e", deb, target])
    path = target / name
    return path.read_text() if path.exists() else None


def check_control(debs, tmp):
    version = field(debs["lintas-broker"], "Version")
    for pkg in ("lintas-broker", "lintas-node"):
        depends = field(debs[pkg], "Depends")
        check(f"lintas-common (= {version})" in depends, f"{pkg} depends on lintas-common (= {version})")
        for lib in ("libzmq5", "libsodium23", "libstdc++6"):  # RocksDB is linked statically
            check(lib in depends, f"{pkg} depends on {lib} (dpkg-shlibdeps): {depends}")
    check(field(debs["lintas-common"], "Architecture") == "all", "lintas-common is Architecture: all")
    check("adduser" in field(debs["lintas-common"], "Depends"), "lintas-common depends on adduser")
    postinst = control_file(debs["lintas-common"], "postinst", tmp) or ""
    check("adduser --system --group" in postinst and " lintas" in postinst,
          "lintas-common's postinst creates the system user lintas")
    expected_conffiles = {"lintas-common": {"/etc/lintas/agencies.csv"},
                          "lintas-broker": {"/etc/lintas/broker.toml.example", "/etc/lintas/revoked-keys"},
                          "lintas-node": {"/etc/lintas/node.toml.example"}}
    for pkg, deb in debs.items():
        conffiles = set((control_file(deb, "conffiles", tmp) or "").split())
        check(conffiles == expected_conffiles[pkg], f"{pkg} conffiles: {sorted(conffiles)}")
        for script in ("postinst", "prerm", "postrm"):
            text = control_file(deb, script, tmp)
            if text is None:
                continue
            r = run(["sh", "-n", "-c", text])
            check(r.returncode == 0, f"{pkg} {script} is valid sh")


def check_tree(root, build):
    expected = [
        "usr/bin/lintas-broker", "usr/bin/lintas-node", "usr/bin/lintas",
        "lib/systemd/system/lintas-broker.service", "lib/systemd/system/lintas-node.service",
        "etc/lintas/broker.toml.example", "etc/lintas/node.toml.example", "etc/lintas/agencies.csv",
        "etc/lintas/revoked-keys", "usr/share/doc/lintas-common/OPERATIONS.md",
        "usr/share/doc/lintas-broker/examples/broker.example.toml", "usr/share/doc/lintas-node/examples/node.example.toml",
        "usr/share/lintas/prometheus/lintas-rules.yml", "usr/share/lintas/grafana/lintas-broker.json",
    ]
    for adapter, extra in (("lintas-webhook", ["lib/systemd/system/lintas-webhook.service"]), ("lintas-import", [])):
        if built(build, adapter):
            expected += [f"usr/bin/{adapter}"] + extra
        else:
            print(f"     ({adapter} is not built: the node package does not carry it)")
    for rel in expected:
        check((root / rel).exists(), f"installed: /{rel}")
    for b in ("lintas-broker", "lintas-node", "lintas"):
        r = run(["readelf", "-S", "-W", root / "usr/bin" / b])
        check(r.returncode == 0 and ".debug_info" not in r.stdout and ".symtab" not in r.stdout,
              f"/usr/bin/{b} is stripped (no .debug_info, no .symtab)")


def check_config(root):
    etc = root / "etc/lintas"
    broker, node = root / "usr/bin/lintas-broker", root / "usr/bin/lintas-node"
    r = run([broker, "--config", etc / "broker.toml.example", "--check-config"])
    check(r.returncode == 0 and r.stdout.startswith("configuration OK: 4 nodes"),
          f"installed lintas-broker --check-config on broker.toml.example: rc {r.returncode} {r.stdout.strip()} "
          f"{r.stderr.strip()}")
    r = run([node, "--config", etc / "node.toml.example", "--check-config"])
    check(r.returncode == 0 and r.stdout.startswith("configuration OK: node th-node (THA)"),
          f"installed lintas-node --check-config on node.toml.example: rc {r.returncode} {r.stdout.strip()} "
          f"{r.stderr.strip()}")
    r = run([root / "usr/bin/lintas", "--help"])
    check(r.returncode == 0 and "keygen" in r.stdout, "installed lintas --help lists keygen")

    # Broken copies (beside the examples, so that their relative paths still resolve): each fails with exit
    # code 2 and a message that names the field.
    broken = [
        (broker, "broker.toml", "broker.toml.example", 'mode = "curve"', 'mode = "curvezmq"', "security.mode"),
        (broker, "broker.toml", "broker.toml.example", 'public_key = "REPLACE-with-kh-node.pub-000000000000000"',
         'public_key = "too-short"', "nodes[1].public_key"),
        (broker, "broker.toml", "broker.toml.example", 'agencies_csv = "agencies.csv"',
         'agencies_csv = "missing.csv"', "directory.agencies_csv"),
        (node, "node.toml", "node.toml.example", 'country = "THA"', 'country = "Thailand"', "node.country"),
        (node, "node.toml", "node.toml.example", 'broker_public_key = "REPLACE-with-broker.pub-0000000000000000"',
         'broker_public_key = ""', "security.broker_public_key"),
    ]
    for binary, name, example, old, new, named in broken:
        text = (etc / example).read_text()
        check(old in text, f"{example} has {old}")
        (etc / name).write_text(text.replace(old, new, 1))
        r = run([binary, "--config", etc / name, "--check-config"])
        said = r.stderr.strip()
        check(r.returncode == 2 and "configuration error" in said and named in said,
              f"{binary.name} refuses {new} (rc {r.returncode}): {said}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(REPO / "build/release"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lintas-packages-") as tmp:
        tmp = Path(tmp)
        debs = build_packages(args.build, tmp / "out")
        if sorted(debs) != ["lintas-broker", "lintas-common", "lintas-node"]:
            return 1
        for deb in debs.values():
            print(f"     {deb.name}: {deb.stat().st_size / 1e6:.1f} MB")
        check_control(debs, tmp)
        root = tmp / "root"
        for deb in debs.values():
            r = run(["dpkg", "-x", deb, root])
            check(r.returncode == 0, f"dpkg -x {deb.name}")
        check_tree(root, args.build)
        check_config(root)
        for unit in sorted((root / "lib/systemd/system").glob("lintas-*.service")):
            units.verify_unit(unit, root=root)
    if failures:
        print(f"\n{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("\nall package checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
