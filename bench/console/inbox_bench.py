#!/usr/bin/python3
"""The console's figures (issue 12), a benchmark, not a test: time to first render of the inbox with N cases on the
node (default 10,000), and the API latency of the inbox and case calls under U concurrent users (default 50).

    /usr/bin/python3 bench/console/inbox_bench.py [--cases 10000] [--users 50] [--seconds 20]

A real broker and two real nodes (tests/browser/lintas_cluster.py); the cases are scenario 1's referral THA->KHM,
seeded through the Thai node's API. Time to first render: a headless Chromium that holds a session opens the
console on #/inbox; the page marks `lintas:inbox-rendered` when the inbox table is on screen, and the figure is
that mark's time from navigation start (median and worst of --loads loads). The inbox call is
GET /v1/cases?state=open&limit=500 (what the inbox page asks), the case call GET /v1/cases/{id}; each user is a
thread with its own session and keep-alive connection, alternating the two calls for --seconds.
"""
import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests/browser"))
from lintas_cluster import REPO, Cluster, KeepAliveClient, browser, wait_until  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def first_render(cluster, loads):
    user, password = cluster.node("KHM").accounts["officer"]
    times = []
    with browser() as d:
        d.get(cluster.node("KHM").url + "/#/login")
        wait_until("login form", lambda: d.execute_script("return !!document.querySelector('#login-user')"), 20)
        d.find_element("css selector", "#login-user").send_keys(user)
        d.find_element("css selector", "#login-password").send_keys(password)
        d.find_element("css selector", "#login-form button[type=submit]").click()
        wait_until("the inbox", lambda: d.execute_script("return !!document.querySelector('#inbox-summary')"), 60)
        rows = d.execute_script("return document.querySelectorAll('main tbody tr').length")
        for _ in range(loads):
            d.get("about:blank")
            d.get(cluster.node("KHM").url + "/#/inbox")
            mark = wait_until("lintas:inbox-rendered", lambda: d.execute_script(
                "const m = performance.getEntriesByName('lintas:inbox-rendered'); return m.length ? m[0].startTime : 0"), 60)
            times.append(mark)
    return times, rows


def load(cluster, users, seconds, case_ids):
    tokens = [cluster.login("KHM", "officer") for _ in range(users)]
    results = {"inbox": [], "case": []}
    errors = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    start_gate = threading.Barrier(users)

    def user(token, seed):
        rng = random.Random(seed)
        client = KeepAliveClient(cluster.node("KHM").url, timeout=60)
        mine = {"inbox": [], "case": []}
        start_gate.wait()
        turn = 0
        while time.monotonic() < stop:
            kind = "inbox" if turn % 2 == 0 else "case"
            path = "/v1/cases?state=open&limit=500" if kind == "inbox" else f"/v1/cases/{rng.choice(case_ids)}"
            t = time.perf_counter()
            status, _ = client.request("GET", path, token=token)
            mine[kind].append((time.perf_counter() - t) * 1000)
            if status != 200:
                with lock:
                    errors.append(status)
            turn += 1
        client.close()
        with lock:
            for k in mine:
                results[k].extend(mine[k])

    threads = [threading.Thread(target=user, args=(tok, i)) for i, tok in enumerate(tokens)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(REPO / "build/release"))
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--loads", type=int, default=10)
    args = parser.parse_args()
    extra = f"[cases]\nmax_cases_per_partner = {max(args.cases * 2, 10000)}\n"
    with Cluster(args.build, node_extra=extra, log_level="warn") as cluster:
        t = time.monotonic()
        sent = cluster.seed_referrals("THA", "KHM", args.cases)
        print(f"seeded {args.cases} cases in {time.monotonic() - t:.1f} s")
        case_ids = [s["case_id"] for s in sent]
        times, rows = first_render(cluster, args.loads)
        print(f"inbox first render ({args.cases} cases on the node, {rows} rows shown): "
              f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms over {len(times)} loads")
        results, errors = load(cluster, args.users, args.seconds, case_ids)
        for kind, values in results.items():
            print(f"{kind:5s} call, {args.users} users: {len(values)} requests, {len(values) / args.seconds:.0f}/s, "
                  f"p50 {percentile(values, 50):.1f} ms, p99 {percentile(values, 99):.1f} ms, "
                  f"max {max(values):.1f} ms")
        print(f"errors: {len(errors)} {sorted(set(errors))}")


if __name__ == "__main__":
    main()
