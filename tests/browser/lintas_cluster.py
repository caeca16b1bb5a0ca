#!/usr/bin/python3
"""A throw-away Lintas cluster (a broker and country nodes) for browser tests and benchmarks.

    with Cluster("build/release") as cluster:          # THA and KHM, plaintext on loopback
        token = cluster.login("KHM", "officer")
        status, body = cluster.api("KHM", "GET", "/v1/cases", token=token)
        cluster.seed_referrals("THA", "KHM", 100)
        with browser() as driver:
            driver.get(cluster.node("THA").url + "/v1/health")

Everything lives in one temporary folder (configs, data, logs), removed on exit unless keep=True. The configs follow
ops/demo/run.sh: the same agency directory, the same deny-by-default routing policy, but plaintext security (tests on
127.0.0.1 only) instead of CurveZMQ. Waits poll with a deadline; nothing sleeps to synchronise.

Self-test: python3 tests/browser/lintas_cluster.py --build build/release
"""
import argparse
import contextlib
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The agency directory the demo uses (the same file is kept in ../shared/data).
DIRECTORY_CSV = next((p for p in (REPO / "ops/directory/agencies.csv", REPO.parent / "shared/data/agencies.csv")
                      if p.exists()), REPO / "ops/directory/agencies.csv")

# Country -> (node id, default agency, account prefix), as in ops/demo/run.sh.
COUNTRIES = {
    "THA": ("th-node", "th-rtp-atpd", "th"),  # Royal Thai Police, Anti-Trafficking in Persons Division (police)
    "KHM": ("kh-node", "kh-mosvy", "kh"),  # Ministry of Social Affairs, Veterans and Youth Rehabilitation
    "VNM": ("vn-node", "vn-mps-cpd", "vn"),  # Ministry of Public Security, Criminal Police Department
}

# One account per role on every node, all of its default agency.
ROLES = ("officer", "supervisor", "auditor", "admin", "dpo")

# The demo's routing policy: anything no rule allows is refused (policy_denied).
ROUTING_POLICY = """
[policy]
default = "deny"
[[policy.rules]]
name = "referrals-tha-to-khm-vnm"
from = ["THA"]
to = ["KHM", "VNM"]
roles = ["police", "social_welfare", "focal_point"]
[[policy.rules]]
name = "answers-to-tha"
from = ["KHM", "VNM"]
to = ["THA"]
[[policy.rules]]
name = "trafficking-alerts"
from = ["THA", "KHM", "VNM"]
to = ["*"]
events = ["AlertPublished", "AlertCancelled"]
"""

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
LOG_TAIL_LINES = 40


def wait_until(what, check, timeout, interval=0.05):
    """Calls check() until it returns something truthy (returned) or `timeout` seconds pass (TimeoutError)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class Process:
    """A child process (the broker or a node) whose stdout and stderr go to `log_path`."""

    def __init__(self, name, args, cwd, log_path):
        self.name, self.args, self.cwd, self.log_path = name, [str(a) for a in args], cwd, Path(log_path)
        self.popen = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(self.args, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT)

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def check_running(self):
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with status {self.popen.returncode}; log: {self.log_path}")

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
        if not self.running():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"lintas_cluster: {self.name} ignored SIGTERM for {timeout} s; killing it", file=sys.stderr)
            self.popen.kill()
            self.popen.wait()

    def tail(self, lines=LOG_TAIL_LINES):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as e:
            return f"(no log: {e})"


@dataclass
class Node:
    """One country node of a Cluster. `url` changes at each start (api_port = 0)."""
    country: str
    node_id: str
    agency: str
    config_path: Path
    data_dir: Path
    port_file: Path
    accounts: dict = field(default_factory=dict)  # role -> (user id, password)
    url: str = ""
    process: Process = None


class Cluster:
    """A broker and one node per country, as child processes, in a temporary folder.

    Use it as a context manager: entering writes the configs, creates the accounts, starts the broker and the nodes
    and waits until every node reports broker_connected; leaving stops them (SIGTERM, then SIGKILL) and removes the
    folder unless keep=True. On a failure the tail of every process log is printed.

    `node_extra` / `broker_extra` are TOML appended to every node config / the broker config (whole tables, e.g.
    "[cases]\\nmax_cases_per_partner = 100000"). `log_level` is the processes' spdlog level.
    """

    def __init__(self, build_dir, countries=("THA", "KHM"), keep=False, node_extra="", broker_extra="",
                 log_level="info"):
        self.build_dir = Path(build_dir).resolve()
        self.countries = tuple(countries)
        self.keep = keep
        self.node_extra, self.broker_extra, self.log_level = node_extra, broker_extra, log_level
        unknown = [c for c in self.countries if c not in COUNTRIES]
        if unknown:
            raise ValueError(f"unknown countries {unknown}; known: {sorted(COUNTRIES)}")
        self.broker_bin = self.build_dir / "broker/lintas-broker"
        self.node_bin = self.build_dir / "nodes/lintas-node"
        for b in (self.broker_bin, self.node_bin):
            if not os.access(b, os.X_OK):
                raise FileNotFoundError(f"{b} is missing: build first (cmake --preset release && "
                                        f"cmake --build --preset release)")
        self.dir = None
        self.broker = None
        self.nodes = {}
        self._case_numbers = itertools.count(1)
        self._case_lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------------------------------------

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="lintas-cluster-"))
        try:
            self._write_configs()
            for node in self.nodes.values():
                for role in ROLES:
                    user = f"{role}-{COUNTRIES[node.country][2]}-0001"
                    self.add_user(node.country, user, node.agency, role, f"test-password-{user}")
                    node.accounts[role] = (user, f"test-password-{user}")
            self.start_broker()
            for country in self.countries:
                self.start_node(country)
        except BaseException:
            self._print_logs()
            self._stop_all()
            self._remove_dir()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._print_logs()
        self._stop_all()
        self._remove_dir()
        return False

    def _stop_all(self):
        for node in self.nodes.values():  # nodes first: the broker then sees clean disconnects
            if node.process:
                node.process.stop()
        if self.broker:
            self.broker.stop()

    def _remove_dir(self):
        if self.dir is None:
            return
        if self.keep:
            print(f"lintas_cluster: kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _processes(self):
        return [p for p in [self.broker] + [n.process for n in self.nodes.values()] if p is not None]

    def _print_logs(self):
        for p in self._processes():
            print(f"--- lintas_cluster: last lines of {p.name} ({p.log_path}) ---\n{p.tail()}", file=sys.stderr)

    # -- configs ----------------------------------------------------------------------------------------------------

    @property
    def broker_endpoint(self):
        return f"ipc://{self.dir}/broker.sock"  # as the demo: a socket file, no port to pick

    def _write_configs(self):
        if len(str(self.dir / "broker.sock")) > 100:
            raise RuntimeError(f"{self.dir}: too long for an ipc:// socket path; set TMPDIR to a shorter folder")
        node_tables = "".join(f'[[nodes]]\nid = "{COUNTRIES[c][0]}"\ncountry = "{c}"\n' for c in self.countries)
        # Each node's auditor identity (node.audit_identity: the console's audit page reads the broker's
        # consultation log through it), listed with the audit permission.
        node_tables += "".join(f'[[nodes]]\nid = "{COUNTRIES[c][2]}-audit"\ncountry = "{c}"\nagencies = []\npermissions = ["audit"]\n'
                               for c in self.countries)
        (self.dir / "broker.toml").write_text(f"""\
[broker]
endpoint = "{self.broker_endpoint}"
data_dir = "broker-data"
log_level = "{self.log_level}"
[security]
mode = "plaintext"
[directory]
agencies_csv = "{DIRECTORY_CSV}"
{node_tables}{ROUTING_POLICY}{self.broker_extra}
""")
        for country in self.countries:
            node_id, agency, _ = COUNTRIES[country]
            config = self.dir / f"{node_id}.toml"
            audit_id = f"{COUNTRIES[country][2]}-audit"
            (self.dir / f"{audit_id}.toml").write_text(f"""\
[node]
id = "{audit_id}"
country = "{country}"
data_dir = "{audit_id}-data"
[broker]
endpoint = "{self.broker_endpoint}"
[security]
mode = "plaintext"
""")
            config.write_text(f"""\
[node]
id = "{node_id}"
country = "{country}"
default_agency = "{agency}"
directory = "{DIRECTORY_CSV}"
audit_identity = "{audit_id}.toml"
data_dir = "{node_id}-data"
api_port = 0
api_port_file = "{node_id}.port"
log_level = "{self.log_level}"
[broker]
endpoint = "{self.broker_endpoint}"
retry_initial_ms = 50
retry_max_ms = 500
[security]
mode = "plaintext"
{self.node_extra}
""")
            self.nodes[country] = Node(country, node_id, agency, config, self.dir / f"{node_id}-data",
                                       self.dir / f"{node_id}.port")

    # -- processes --------------------------------------------------------------------------------------------------

    def start_broker(self, timeout=START_TIMEOUT_S):
        endpoint_file = self.dir / "broker.endpoint"
        endpoint_file.unlink(missing_ok=True)
        self.broker = Process("lintas-broker", [self.broker_bin, "--config", self.dir / "broker.toml",
                                                "--endpoint-file", endpoint_file], self.dir, self.dir / "broker.log")
        self.broker.start()

        def listening():
            self.broker.check_running()
            return endpoint_file.exists()
        wait_until("the broker's endpoint file", listening, timeout)

    def stop_broker(self):
        self.broker.stop()

    def start_node(self, country, timeout=START_TIMEOUT_S):
        """Starts a node and waits until /v1/health answers with broker_connected (needs a running broker)."""
        node = self.nodes[country]
        node.port_file.unlink(missing_ok=True)
        node.process = Process(node.node_id, [self.node_bin, "--config", node.config_path], self.dir,
                               self.dir / f"{node.node_id}.log")
        node.process.start()

        def port():
            node.process.check_running()
            text = node.port_file.read_text().strip() if node.port_file.exists() else ""
            return int(text) if text.isdigit() else None
        node.url = f"http://127.0.0.1:{wait_until(f'{node.node_id} port file', port, timeout)}"

        def connected():
            node.process.check_running()
            try:
                status, health = self.api(country, "GET", "/v1/health")
            except OSError:
                return False
            return status == 200 and health.get("broker_connected") is True
        wait_until(f"{node.node_id} /v1/health with broker_connected", connected, timeout)

    def stop_node(self, country):
        self.nodes[country].process.stop()

    def add_user(self, country, user, agency, roles, password):
        """An account made with `lintas-node user add` (the node must be stopped: it holds the RocksDB lock)."""
        node = self.nodes[country]
        if node.process and node.process.running():
            raise RuntimeError(f"stop {node.node_id} before adding accounts (stop_node)")
        roles = roles if isinstance(roles, str) else ",".join(roles)
        done = subprocess.run([str(self.node_bin), "user", "--config", str(node.config_path), "add", user,
                               "--agency", agency, "--roles", roles, "--password-stdin"],
                              input=password + "\n", capture_output=True, text=True, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"lintas-node user add {user} failed ({done.returncode}): "
                               f"{done.stderr.strip() or done.stdout.strip()}")

    # -- HTTP API ---------------------------------------------------------------------------------------------------

    def node(self, country):
        return self.nodes[country]

    def api(self, country, method, path, body=None, token=None, timeout=30):
        """One request to a node's API: (HTTP status, parsed JSON or None). Errors (4xx, 5xx) are returned too."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.nodes[country].url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        return status, (json.loads(raw) if raw else None)

    def login(self, country, role):
        """A fresh session token for the node's account of `role` (POST /v1/login)."""
        user, password = self.nodes[country].accounts[role]
        status, body = self.api(country, "POST", "/v1/login", {"user": user, "password": password})
        if status != 200:
            raise RuntimeError(f"login of {user} at {country} failed: {status} {body}")
        return body["token"]

    # -- seeding ----------------------------------------------------------------------------------------------------

    def referral_body(self, country_from, country_to, number):
        """Scenario 1's referral (a presumed victim, a boy of 17, invented pseudonyms), numbered to be unique."""
        prefix = COUNTRIES[country_from][2].upper()
        return {
            "to": f"{country_to}/{self.nodes[country_to].agency}",
            "case_id": f"{prefix}-SEED-{number:06d}",
            "reference": f"{prefix}-SEED-REF-{number:06d}",
            "victim": {"pseudonym": f"V-{prefix}-S{number:06d}", "sex": "male", "age": 17, "minor": True,
                       "guardian": f"G-{prefix}-S{number:06d}-1", "nationality": country_to, "languages": ["km"]},
            "consent": ["identity", "return_logistics"],
            "exploitation": "forced_labour",
            "summary": "Presumed victim of forced labour on a fishing vessel (test data)",
            "priority": "urgent",
            "due": "3d",
            "handling": "H1",
        }

    def seed_referrals(self, country_from, country_to, n, workers=8, timeout=None):
        """Posts n referrals from one node's officer to the other node's default agency, then waits until the
        receiving node lists every case (GET /v1/cases). Returns [{"case_id", "id"}] in posting order."""
        timeout = timeout if timeout is not None else 60 + n / 50
        with self._case_lock:
            numbers = [next(self._case_numbers) for _ in range(n)]
        bodies = [self.referral_body(country_from, country_to, k) for k in numbers]
        token = self.login(country_from, "officer")
        sender = self.nodes[country_from]
        local = threading.local()  # one keep-alive connection per worker thread
        connections = []

        def post(body):
            if not hasattr(local, "conn"):
                local.conn = KeepAliveClient(sender.url)
                connections.append(local.conn)
            status, answer = local.conn.request("POST", "/v1/referrals", body, token)
            if status != 202:
                raise RuntimeError(f"POST /v1/referrals {body['case_id']}: {status} {answer}")
            return {"case_id": body["case_id"], "id": answer["id"]}

        start = time.monotonic()
        try:
            with ThreadPoolExecutor(workers) as pool:
                sent = list(pool.map(post, bodies))
        finally:
            for conn in connections:
                conn.close()
        posted = time.monotonic() - start
        self._wait_listed(country_to, [s["case_id"] for s in sent], start + timeout, workers)
        listed = time.monotonic() - start
        print(f"lintas_cluster: {n} referrals {country_from}->{country_to}: posted in {posted:.2f} s "
              f"({n / posted:.0f}/s), all listed at {country_to} after {listed:.2f} s ({n / listed:.0f}/s)")
        return sent

    def _wait_listed(self, country, case_ids, deadline, workers):
        """Until every case id is listed at `country`. GET /v1/cases shows at most the 1,000 most recently
        updated cases, so the ids seen are gathered over polls; when a poll brings nothing new (the earlier ones
        may have scrolled out of the list), each id still missing is looked up with GET /v1/cases/{id}."""
        token = self.login(country, "officer")
        missing = set(case_ids)
        while True:
            status, body = self.api(country, "GET", "/v1/cases?limit=1000", token=token)
            if status != 200:
                raise RuntimeError(f"GET /v1/cases at {country}: {status} {body}")
            before = len(missing)
            missing -= {c["case_id"] for c in body["cases"]}
            if missing and len(missing) == before:
                def absent(case_id):
                    return self.api(country, "GET", f"/v1/cases/{case_id}", token=token)[0] != 200
                with ThreadPoolExecutor(workers) as pool:
                    missing = {c for c, gone in zip(list(missing), pool.map(absent, list(missing))) if gone}
            if not missing:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(missing)} of {len(case_ids)} cases never listed at {country} "
                                   f"(e.g. {sorted(missing)[:3]})")
            time.sleep(0.1)


class KeepAliveClient:
    """A keep-alive HTTP/1.1 connection to one node, for one thread (http.client is not thread-safe).

    The node's server (cpp-httplib, TCP_NODELAY off) writes a response's headers and body separately; on a reused
    connection Nagle then holds the body until our delayed ACK, about 40 ms per request. TCP_QUICKACK, set again
    before every response (Linux clears it), makes us ACK at once: 1-3 ms a referral instead of 45-75 ms.
    """

    def __init__(self, url, timeout=30):
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)

    def request(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, data, headers)
                if hasattr(socket, "TCP_QUICKACK"):
                    self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                response = self.conn.getresponse()
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the idle connection before reading the request: connect again, once.
                self.conn.close()
                if attempt == 2:
                    raise

    def close(self):
        self.conn.close()


# -- the browser ------------------------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _import_selenium():
    try:
        import selenium.webdriver
    except ImportError:
        # Debian's python3-selenium is in /usr/lib/python3/dist-packages, which another python3 on PATH (pyenv,
        # a venv) does not search: look there last before giving up.
        dist = "/usr/lib/python3/dist-packages"
        if not os.path.isdir(os.path.join(dist, "selenium")) or dist in sys.path:
            raise RuntimeError("selenium is missing: apt-get install python3-selenium (and run /usr/bin/python3)")
        sys.path.append(dist)
        import selenium.webdriver
    return selenium.webdriver


@contextlib.contextmanager
def browser(lang="en-GB", width=1366, height=768, phone=False):
    """A headless Chromium driven by chromedriver (selenium), closed on exit. phone=True: a phone's screen
    (Chrome's device emulation at width x height CSS pixels: a desktop window cannot be made that narrow)."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} is missing: apt-get install {package}")
    webdriver = _import_selenium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", f"--lang={lang}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    if phone:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": True}})
    from selenium.webdriver.chrome.service import Service
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# -- self-test --------------------------------------------------------------------------------------------------------

def self_test(build_dir, keep=False, seed=3):
    started = time.monotonic()
    # A node takes at most 10,000 cases from one partner agency by default ([cases] in the node config).
    node_extra = "[cases]\nmax_cases_per_partner = 1000000\n" if seed > 10000 else ""
    with Cluster(build_dir, keep=keep, node_extra=node_extra) as cluster:
        print(f"cluster up in {time.monotonic() - started:.2f} s: "
              + ", ".join(f"{c} {n.url}" for c, n in cluster.nodes.items()))
        for country in cluster.countries:
            for role in ROLES:
                token = cluster.login(country, role)
                status, me = cluster.api(country, "GET", "/v1/me", token=token)
                assert status == 200, (country, role, status, me)
        sent = cluster.seed_referrals("THA", "KHM", seed)
        status, body = cluster.api("KHM", "GET", "/v1/cases?limit=1000", token=cluster.login("KHM", "officer"))
        assert status == 200 and len(body["cases"]) == min(seed, 1000), (status, len(body["cases"]))
        assert {c["case_id"] for c in body["cases"]} <= {s["case_id"] for s in sent}
        with browser() as driver:
            driver.get(cluster.node("THA").url + "/v1/health")
            source = driver.page_source
            assert '"node":"th-node"' in source and '"broker_connected":true' in source, source
    print(f"self-test passed in {time.monotonic() - started:.2f} s")


def main():
    parser = argparse.ArgumentParser(description="Self-test of the Lintas test cluster (and a seeding benchmark).")
    parser.add_argument("--build", default=str(REPO / "build/release"), help="the build folder (build/release)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--seed", type=int, default=3, help="referrals THA->KHM to seed (default 3)")
    args = parser.parse_args()
    self_test(args.build, keep=args.keep, seed=args.seed)


if __name__ == "__main__":
    main()
