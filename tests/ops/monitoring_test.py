#!/usr/bin/python3
"""The monitoring kit against the real broker: ops/prometheus/ and ops/grafana/.

- `promtool check rules`, `promtool test rules` (each alert fires on its situation and not on the normal one) and
  `promtool check config` on the example scrape configuration;
- a real broker with two nodes (tests/browser/lintas_cluster.py) serves /metrics; a referral the routing policy
  refuses and a few delivered ones make every family carry samples; `promtool check metrics` lints the exposition;
- every metric an alert rule or a dashboard panel queries is one the broker exports (or `up`, or the blackbox
  exporter's probe_* for the nodes' /v1/health), every refusal code a rule names is a wire error code, and every
  dashboard query parses as PromQL (promtool, as recording rules).

    /usr/bin/python3 tests/ops/monitoring_test.py --build build/release
"""
import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import yaml  # python3-yaml

REPO = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(REPO / "tests/browser"))
from lintas_cluster import Cluster, wait_until  # noqa: E402

PROMETHEUS = REPO / "ops/prometheus"
DASHBOARD = REPO / "ops/grafana/lintas-broker.json"
# Metrics that come from elsewhere than the broker: Prometheus itself and the blackbox exporter
# (ops/prometheus/blackbox.yml, probing each node's GET /v1/health).
EXTERNAL = {"up": "Prometheus", "probe_success": "blackbox exporter", "probe_http_status_code": "blackbox exporter"}
# PromQL words that are not metric names.
PROMQL_WORDS = {"sum", "by", "without", "rate", "increase", "deriv", "absent", "histogram_quantile", "and", "or",
                "unless", "on", "ignoring", "group_left", "group_right", "avg", "max", "min", "count", "bool",
                "label_values", "humanizeDuration", "inf", "nan", "offset"}
SCRAPE_TIMEOUT_S = 30

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)


def metric_names(expr):
    """The metric names a PromQL expression selects: strings, label matchers, ranges and grouping clauses removed,
    then every identifier that is not a PromQL word."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\w+", " ", e)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", e))
    return {n for n in names - PROMQL_WORDS if not re.fullmatch(r"\d.*|e\d+", n)}


def rule_exprs():
    """(alert name, expr) of every rule in lintas-rules.yml."""
    groups = yaml.safe_load((PROMETHEUS / "lintas-rules.yml").read_text())["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"]]


def dashboard_exprs(dashboard):
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"]))
    return out


def check_promtool():
    r = run(["promtool", "check", "rules", PROMETHEUS / "lintas-rules.yml"])
    check(r.returncode == 0 and "SUCCESS" in r.stdout, f"promtool check rules: {r.stdout.strip()} {r.stderr.strip()}")
    r = run(["promtool", "test", "rules", "lintas-rules.test.yml"], cwd=PROMETHEUS)
    check(r.returncode == 0 and "SUCCESS" in r.stdout, "promtool test rules lintas-rules.test.yml"
          + ("" if r.returncode == 0 else f":\n{r.stdout}{r.stderr}"))
    r = run(["promtool", "check", "config", PROMETHEUS / "prometheus.yml"])
    check(r.returncode == 0, f"promtool check config prometheus.yml (rc {r.returncode}) {r.stderr.strip()}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MetricsCluster(Cluster):
    """The test cluster with the broker's /metrics on a loopback port."""

    def __init__(self, build, metrics_port):
        super().__init__(build, countries=("THA", "KHM"), log_level="warn")
        self.metrics_port = metrics_port

    def _write_configs(self):
        super()._write_configs()
        path = self.dir / "broker.toml"
        path.write_text(path.read_text().replace(
            "[broker]\n", f'[broker]\nmetrics_endpoint = "127.0.0.1:{self.metrics_port}"\n', 1))


def scrape_real_broker(build):
    """The broker's /metrics text once a refusal, a delivery, a commit and a subscriber backlog are in it."""
    port = free_port()
    with MetricsCluster(build, port) as cluster:
        token = cluster.login("THA", "officer")
        body = cluster.referral_body("THA", "KHM", 9001)
        body["to"] = "KHM/ngo"  # no policy rule allows referrals to an NGO: refused with policy_denied
        status, answer = cluster.api("THA", "POST", "/v1/referrals", body, token=token)
        check(status == 202, f"a referral the policy will refuse is accepted locally ({status} {answer})")
        cluster.seed_referrals("THA", "KHM", 3)

        def scraped():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                text = r.read().decode()
            ready = ('lintas_broker_refusals_total{code="policy_denied"}' in text
                     and 'subscription="kh-node/inbox"' in text
                     and re.search(r"^lintas_broker_records_delivered_total [1-9]", text, re.M))
            return text if ready else None
        return wait_until("the broker's /metrics with a refusal, a delivery and a backlog", scraped,
                          SCRAPE_TIMEOUT_S, interval=0.2)


def exported_names(text):
    """Sample names the exposition holds, and the family types."""
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    samples = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", text, re.M))
    return samples, types


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(REPO / "build/release"))
    args = parser.parse_args()

    check_promtool()

    text = scrape_real_broker(args.build)
    samples, types = exported_names(text)
    check(len(types) >= 10, f"the broker exports {len(types)} metric families: {', '.join(sorted(types))}")
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    check(r.returncode == 0, "promtool check metrics on the broker's /metrics" +
          ("" if r.returncode == 0 else f": {r.stdout}{r.stderr}"))

    known = samples | set(EXTERNAL)
    rules = rule_exprs()
    check(len(rules) == 10, f"{len(rules)} alert rules read from lintas-rules.yml")
    for alert in ("LintasBrokerDown", "LintasCommitLatencyHigh", "LintasBacklogGrowing", "LintasSecurityRefusals",
                  "LintasAuditAlarm"):
        check(any(a == alert for a, _ in rules), f"the rules have {alert}")
    codes = set(re.findall(r'case errc::\w+: return "(\w+)"', (REPO / "schemas/src/errc.cc").read_text()))
    for alert, expr in rules:
        names = metric_names(expr)
        check(names and names <= known, f"rule {alert} queries exported metrics: {sorted(names)}"
              + ("" if names <= known else f" (unknown: {sorted(names - known)})"))
        for matcher in re.findall(r'code=~?"([^"]+)"', expr):
            named = set(matcher.split("|"))
            check(named <= codes, f"rule {alert}: refusal codes {sorted(named)} are wire error codes"
                  + ("" if named <= codes else f" (unknown: {sorted(named - codes)})"))

    dashboard = json.loads(DASHBOARD.read_text())  # raises on malformed JSON
    check(dashboard.get("uid") == "lintas-broker" and dashboard.get("panels"), "the dashboard is a Grafana dashboard")
    ids = [p["id"] for p in dashboard["panels"]]
    check(len(ids) == len(set(ids)), "panel ids are unique")
    exprs = dashboard_exprs(dashboard)
    used = set()
    for title, expr in exprs:
        names = metric_names(expr)
        used |= names
        check(names and names <= known, f"panel '{title}' queries exported metrics: {sorted(names)}"
              + ("" if names <= known else f" (unknown: {sorted(names - known)})"))
    broker_families = {n for n, t in types.items() if n.startswith("lintas_broker_")}
    shown = {n for n in broker_families
             if n in used or any(u.startswith(n + "_") for u in used)}
    check(shown == broker_families, f"the dashboard shows every broker family (missing: {sorted(broker_families - shown)})")

    # Every dashboard query parses as PromQL: promtool checks them as recording rules.
    with tempfile.TemporaryDirectory(prefix="lintas-dashboard-") as tmp:
        lines = ["groups:", "  - name: dashboard", "    rules:"]
        for k, (_, expr) in enumerate(exprs):
            promql = expr.replace("$__rate_interval", "5m").replace("$instance", ".+")
            lines += [f"      - record: dashboard:query_{k}", f"        expr: {json.dumps(promql)}"]
        path = Path(tmp) / "dashboard-rules.yml"
        path.write_text("\n".join(lines) + "\n")
        r = run(["promtool", "check", "rules", path])
        check(r.returncode == 0, f"the dashboard's {len(exprs)} queries parse as PromQL"
              + ("" if r.returncode == 0 else f": {r.stdout}{r.stderr}"))

    if failures:
        print(f"\n{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("\nall monitoring checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
