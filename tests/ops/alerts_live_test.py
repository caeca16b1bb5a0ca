#!/usr/bin/python3
"""The alert rules end to end: a real Prometheus (Debian's `prometheus`) loaded with ops/prometheus/lintas-rules.yml
and the scrape jobs of ops/prometheus/prometheus.yml, the blackbox exporter with ops/prometheus/blackbox.yml, and a
real broker with the Thai and Cambodian nodes (tests/browser/lintas_cluster.py).

1. Every target is up, both nodes' probes succeed, and no alert fires.
2. A referral the routing policy refuses (the broker's first policy_denied): LintasSecurityRefusals fires with
   code="policy_denied".
3. The broker is restored from a copy taken before the Thai node's latest checkpoint (docs/OPERATIONS.md, "Back up
   and restore"): the Thai node raises its rollback alarm and LintasAuditAlarm fires for it, and not
   LintasNodeDown (its /v1/health still answers 200).

    /usr/bin/python3 tests/ops/alerts_live_test.py --build build/release
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

import yaml  # python3-yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from monitoring_test import PROMETHEUS, MetricsCluster, free_port  # noqa: E402
from lintas_cluster import wait_until  # noqa: E402

START_TIMEOUT_S = 30
ALERT_TIMEOUT_S = 60

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


class FixedPortCluster(MetricsCluster):
    """The nodes on fixed loopback ports, so that the blackbox targets stay valid across restarts."""

    def _write_configs(self):
        super()._write_configs()
        self.api_ports = {}
        for country, node in self.nodes.items():
            self.api_ports[country] = free_port()
            node.config_path.write_text(node.config_path.read_text().replace(
                "api_port = 0\n", f"api_port = {self.api_ports[country]}\n", 1))


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def prometheus_config(example, rules, broker, nodes, blackbox):
    """The example configuration with this test's addresses, 1 s intervals and the rules' absolute path."""
    config = yaml.safe_load(example.read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(rules)]
    for job in config["scrape_configs"]:
        if job["job_name"] == "lintas-broker":
            job["static_configs"] = [{"targets": [broker]}]
        elif job["job_name"] == "lintas-node-health":
            job["static_configs"] = [{"targets": nodes}]
            for relabel in job["relabel_configs"]:
                if relabel.get("target_label") == "__address__":
                    relabel["replacement"] = blackbox
    return yaml.safe_dump(config)


class Monitoring:
    """A Prometheus server and a blackbox exporter as child processes, in `tmp`."""

    def __init__(self, tmp, cluster):
        self.tmp, self.procs = Path(tmp), []
        self.bb_port, self.prom_port = free_port(), free_port()
        self.node_targets = {c: f"http://127.0.0.1:{p}/v1/health" for c, p in cluster.api_ports.items()}
        (self.tmp / "prometheus.yml").write_text(prometheus_config(
            PROMETHEUS / "prometheus.yml", PROMETHEUS / "lintas-rules.yml", f"127.0.0.1:{cluster.metrics_port}",
            list(self.node_targets.values()), f"127.0.0.1:{self.bb_port}"))
        self.url = f"http://127.0.0.1:{self.prom_port}"

    def start(self):
        self._spawn("blackbox", ["prometheus-blackbox-exporter", f"--config.file={PROMETHEUS / 'blackbox.yml'}",
                                 f"--web.listen-address=127.0.0.1:{self.bb_port}"])
        self._spawn("prometheus", ["prometheus", f"--config.file={self.tmp / 'prometheus.yml'}",
                                   f"--storage.tsdb.path={self.tmp / 'tsdb'}",
                                   f"--web.listen-address=127.0.0.1:{self.prom_port}"])

    def _spawn(self, name, args):
        log = open(self.tmp / f"{name}.log", "wb")
        self.procs.append((name, subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                                  stdin=subprocess.DEVNULL)))

    def check_running(self):
        for name, p in self.procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited ({p.returncode}): {(self.tmp / f'{name}.log').read_text()[-2000:]}")

    def stop(self):
        for _, p in self.procs:
            p.terminate()
        for _, p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def query(self, promql):
        self.check_running()
        data = get_json(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        return data["data"]["result"]

    def firing(self):
        """{alertname: [labels of each firing alert]}"""
        self.check_running()
        out = {}
        for alert in get_json(f"{self.url}/api/v1/alerts")["data"]["alerts"]:
            if alert["state"] == "firing":
                out.setdefault(alert["labels"]["alertname"], []).append(alert["labels"])
        return out

    def wait_alert(self, name, labels):
        def fired():
            return any(all(a.get(k) == v for k, v in labels.items()) for a in self.firing().get(name, []))
        try:
            wait_until(f"{name} {labels}", fired, ALERT_TIMEOUT_S, interval=0.5)
            return True
        except TimeoutError:
            print(f"     firing instead: {self.firing()}")
            return False


def all_targets_up(mon):
    def up():
        try:
            targets = get_json(f"{mon.url}/api/v1/targets")["data"]["activeTargets"]
        except OSError:
            mon.check_running()
            return False
        return len(targets) == 3 and all(t["health"] == "up" for t in targets)
    wait_until("Prometheus scraping its 3 targets", up, START_TIMEOUT_S, interval=0.5)


def roll_back_broker(cluster):
    """Copies the broker's data, lets the Thai node hold a newer checkpoint, restores the copy; returns the Thai
    node's /v1/health once it says alarm."""
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.metrics_port}/metrics", timeout=5) as r:
        copied = int(float(re.search(r"^lintas_broker_log_size_events (\S+)$", r.read().decode(), re.M).group(1)))
    cluster.stop_broker()
    data, backup = cluster.dir / "broker-data", cluster.dir / "broker-backup"
    shutil.copytree(data, backup)
    cluster.start_broker()
    cluster.seed_referrals("THA", "KHM", 2)
    cluster.stop_node("THA")
    cluster.start_node("THA")  # a node asks for a checkpoint when it connects

    def checkpoint_size():
        status, health = cluster.api("THA", "GET", "/v1/health")
        cp = health.get("broker_checkpoint") or {}
        return cp.get("size", 0) > copied and cp["size"]
    size = wait_until("the Thai node's checkpoint over the new records", checkpoint_size, START_TIMEOUT_S)
    cluster.stop_broker()
    shutil.rmtree(data)
    backup.rename(data)
    cluster.start_broker()

    def alarm():
        status, health = cluster.api("THA", "GET", "/v1/health")
        return health if health.get("status") == "alarm" else None
    health = wait_until("the Thai node's rollback alarm", alarm, START_TIMEOUT_S)
    print(f"     the copy held {copied} records, the Thai node a checkpoint of {size}; after the restore: "
          f"{health['audit_alarm']}")
    return health


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(Path(__file__).resolve().parents[2] / "build/release"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lintas-alerts-") as tmp, \
            FixedPortCluster(args.build, free_port()) as cluster:
        mon = Monitoring(tmp, cluster)
        mon.start()
        try:
            all_targets_up(mon)
            probes = {r["metric"]["instance"]: r["value"][1] for r in mon.query('probe_success{job="lintas-node-health"}')}
            check(probes == {t: "1" for t in mon.node_targets.values()}, f"both nodes' health probes succeed: {probes}")
            quiet = mon.firing()
            check(not quiet, f"no alert fires on a healthy cluster: {sorted(quiet)}")

            token = cluster.login("THA", "officer")
            body = cluster.referral_body("THA", "KHM", 9101)
            body["to"] = "KHM/ngo"  # no rule allows it: the broker's first policy_denied
            status, answer = cluster.api("THA", "POST", "/v1/referrals", body, token=token)
            check(status == 202, f"the referral is queued at the node ({status})")
            check(mon.wait_alert("LintasSecurityRefusals", {"code": "policy_denied"}),
                  "LintasSecurityRefusals fires on the first policy_denied refusal")

            health = roll_back_broker(cluster)
            check("rolled back" in (health.get("audit_alarm") or ""), "the Thai node's /v1/health says rolled back")
            tha = mon.node_targets["THA"]
            check(mon.wait_alert("LintasAuditAlarm", {"instance": tha}), f"LintasAuditAlarm fires for {tha}")
            firing = mon.firing()
            check("LintasNodeDown" not in firing, f"LintasNodeDown does not fire ({sorted(firing)})")
        finally:
            mon.stop()
    if failures:
        print(f"\n{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("\nall live alert checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
