#!/usr/bin/python3
"""docs/openapi.yaml against running nodes (ctest: openapi_contract_test, label integration).

Starts a broker with a THA and a KHM node (tests/browser/lintas_cluster.py), then:
1. every documented operation is served: called with its documented example path and no credentials, it answers
   (a secured one 401 unauthenticated with WWW-Authenticate, a public one a documented status), never the server's
   "no route" 404; every reply conforms to the documented response;
2. the scenario of contract_cases.py: each call answers the expected status, which is documented for the operation,
   with a body that validates against the documented schema (an error names the expected field);
3. every documented operation succeeded (2xx/3xx) at least once in the scenario.
(That every route the node registers is documented is checked from the source by spec_test.py.)

    /usr/bin/python3 tests/api/contract_test.py --build build/release
"""
import argparse
import http.client
import json
import string
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "browser"))
import contract_cases  # noqa: E402
import openapi_contract as oc  # noqa: E402
from lintas_cluster import Cluster, wait_until  # noqa: E402

WAIT_TIMEOUT_S = 30
NO_ROUTE = "no route "  # how the node's error handler begins a 404 for a path nothing serves


def substitute(value, ctx):
    """Templates ("$name") in strings, lists and dicts; a string that is exactly "$name" keeps the value's type."""
    if isinstance(value, str):
        if value.startswith("$") and value[1:].isidentifier() and value[1:] in ctx:
            return ctx[value[1:]]
        return string.Template(value).substitute(ctx)
    if isinstance(value, list):
        return [substitute(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, ctx) for k, v in value.items()}
    return value


class Runner:
    """Calls a cluster's nodes and checks each reply against the spec. Collects problems instead of stopping."""

    def __init__(self, cluster, spec):
        self.cluster, self.spec = cluster, spec
        self.ctx = contract_cases.initial_context()
        self.tokens, self.cookies = {}, {}
        self.succeeded = set()  # (METHOD, path) answered 2xx/3xx
        self.problems = []
        self.calls = 0

    # -- HTTP -------------------------------------------------------------------------------------------------------

    def send(self, country, method, path, headers=None, body=None, chunked=False):
        """(status, {lower-case header: value}, raw body)."""
        url = urllib.parse.urlsplit(self.cluster.node(country).url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = dict(headers or {})
        try:
            if chunked:
                headers["Transfer-Encoding"] = "chunked"
                conn.request(method, path, body=iter([body]), headers=headers, encode_chunked=True)
            else:
                if body is not None:
                    headers.setdefault("Content-Type", "application/json")
                elif method in ("POST", "PUT", "PATCH"):
                    headers["Content-Length"] = "0"
                conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            self.calls += 1
            return response.status, {k.lower(): v for k, v in response.getheaders()}, raw
        except (BrokenPipeError, ConnectionResetError):
            # The node may answer (413) and close before a large body is all sent: read what it answered.
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def token(self, country, role):
        if (country, role) not in self.tokens:
            self.tokens[country, role] = self.cluster.login(country, role)
        return self.tokens[country, role]

    def cookie(self, country, role):
        """(session token, CSRF token) of a console login."""
        if (country, role) not in self.cookies:
            user, password = self.cluster.node(country).accounts[role]
            status, headers, raw = self.send(country, "POST", "/v1/login",
                                             body=json.dumps({"user": user, "password": password,
                                                              "session": "cookie"}).encode())
            if status != 200:
                raise RuntimeError(f"console login of {user}: {status} {raw[:200]}")
            cookie = headers["set-cookie"].split(";")[0]
            self.cookies[country, role] = (cookie, json.loads(raw)["csrf_token"])
        return self.cookies[country, role]

    def credentials(self, who, country, method):
        if who is None:
            return {}
        if who.startswith("$"):
            return {"Authorization": f"Bearer {substitute(who, self.ctx)}"}
        if who.startswith("cookie"):
            kind, role = who.split(":")
            cookie, csrf = self.cookie(country, role)
            headers = {"Cookie": cookie}
            if kind == "cookie" and method not in ("GET", "HEAD"):
                headers["X-CSRF-Token"] = csrf
            return headers
        return {"Authorization": f"Bearer {self.token(country, who)}"}

    # -- checks -----------------------------------------------------------------------------------------------------

    def conform(self, label, method, template, status, headers, raw):
        problems = self.spec.check_response(method, template, status, headers.get("content-type"), raw)
        self.problems += [f"{label}: {p}" for p in problems]
        if 200 <= status < 400 and not problems:
            self.succeeded.add((method, template))
        return not problems

    def probe_every_operation(self):
        """Each documented operation, called with its example path and no credentials."""
        for method, template in self.spec.operations():
            path = self.spec.example_path(method, template)
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            status, headers, raw = self.send("KHM", method, path, body=body)
            label = f"probe {method} {path}"
            if status == 404 and NO_ROUTE in raw.decode(errors="replace"):
                self.problems.append(f"{label}: documented but not served ({raw[:120]!r})")
                continue
            if self.spec.secured(method, template):
                if status != 401:
                    self.problems.append(f"{label}: {status} without credentials, expected 401")
                elif "www-authenticate" not in headers:
                    self.problems.append(f"{label}: 401 without WWW-Authenticate")
            self.conform(label, method, template, status, headers, raw)

    def wait(self, w):
        path = substitute(w.path, self.ctx)

        def ready():
            status, _, raw = self.send(w.country, "GET", path,
                                       headers={"Authorization": f"Bearer {self.token(w.country, w.who)}"})
            return status == 200 and w.until(json.loads(raw))
        wait_until(f"GET {path} at {w.country}", ready, WAIT_TIMEOUT_S)

    def run(self, case):
        self.spec.operation(case.method, case.path)  # documented, else KeyError
        if case.wait:
            self.wait(case.wait)
        params = substitute(case.params, self.ctx)
        path = case.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe="/"))
        if "{" in path:
            raise ValueError(f"{case.method} {case.path}: path parameters missing from the case")
        query = substitute(case.query, self.ctx)
        if query:
            path += "?" + urllib.parse.urlencode(query)
        headers = substitute(case.headers, self.ctx)
        headers.update(self.credentials(case.who, case.country, case.method))
        body = case.raw if case.raw is not None else (
            None if case.body is None else json.dumps(substitute(case.body, self.ctx)).encode())
        status, reply_headers, raw = self.send(case.country, case.method, path, headers, body, case.chunked)
        label = f"{case.method} {path} at {case.country} as {case.who}"
        if status != case.status:
            self.problems.append(f"{label}: {status}, expected {case.status}: {raw[:300]!r}")
            return
        if not self.conform(label, case.method, case.path, status, reply_headers, raw):
            return
        parsed = json.loads(raw) if raw and "json" in reply_headers.get("content-type", "") else None
        try:
            if case.error_field is not None:
                field = parsed["error"]["field"]
                if field != case.error_field:
                    raise AssertionError(f"error.field {field!r}, expected {case.error_field!r}: {parsed}")
            for name, key in case.save.items():
                self.ctx[name] = key(parsed, reply_headers) if callable(key) else parsed[key]
            if case.check:
                case.check(parsed, self.ctx)
        except (AssertionError, KeyError, TypeError, IndexError) as e:
            self.problems.append(f"{label}: {type(e).__name__}: {e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=str(oc.REPO / "build/release"))
    args = parser.parse_args()
    spec = oc.Spec.load()
    started = time.monotonic()
    with Cluster(args.build, countries=("THA", "KHM"), log_level="warn") as cluster:
        runner = Runner(cluster, spec)
        runner.probe_every_operation()
        for case in contract_cases.CASES:
            runner.run(case)
        never = sorted(set(spec.operations()) - runner.succeeded)
        runner.problems += [f"{m} {p}: documented, but no case succeeded with it" for m, p in never]
    print(f"contract: {len(spec.operations())} operations, {len(contract_cases.CASES)} cases, {runner.calls} calls "
          f"in {time.monotonic() - started:.1f} s")
    for p in runner.problems:
        print(f"FAIL {p}")
    if runner.problems:
        print(f"{len(runner.problems)} problems")
        return 1
    print("every documented operation answered as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
