#!/usr/bin/python3
"""Delivery rate of lintas-webhook: N referrals THA -> KHM are stored in KHM's inbox first, then the adapter starts
and delivers them to a local receiver (tests/adapters/webhook_receiver.py, Python, on loopback); the rate is events
delivered per second from the adapter's start to the last first delivery. Prints the figure beside the receiver's
own limit (the same receiver hit by a plain Python client, one connection per call, as the adapter does).

    /usr/bin/python3 bench/webhook/webhook_bench.py --build build/release [--events 2000] [--lanes 4] [--http]
"""
import argparse
import base64
import http.client
import json
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests/browser"))
sys.path.insert(0, str(REPO / "tests/adapters"))
from lintas_cluster import Cluster  # noqa: E402
from webhook_receiver import Receiver, make_certificate  # noqa: E402
import webhook_test  # noqa: E402


def receiver_limit(rx, certs, calls, workers):
    """Calls/s the receiver takes from `workers` threads, one new connection per call (like the adapter)."""
    context = ssl.create_default_context(cafile=str(certs[0])) if certs else None
    port = int(rx.url.split(":")[2].split("/")[0])
    body = json.dumps({"type": "bench", "data": {}}).encode()

    def one(k):
        conn = (http.client.HTTPSConnection("127.0.0.1", port, context=context) if certs
                else http.client.HTTPConnection("127.0.0.1", port))
        conn.request("POST", "/hook", body, {"webhook-id": f"bench-{k}", "webhook-timestamp": "0",
                                             "webhook-signature": "v1,x", "Content-Type": "application/json"})
        conn.getresponse().read()
        conn.close()
    start = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(calls)))
    return calls / (time.monotonic() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(REPO / "build/release"))
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--http", action="store_true", help="plaintext receiver (allow_http) instead of TLS")
    args = parser.parse_args()
    with Cluster(args.build, countries=("THA", "KHM")) as c:
        admin = c.login("KHM", "admin")
        c.api("KHM", "POST", "/v1/users", {"id": "cms-kh", "agency": "kh-mosvy", "roles": ["officer"],
                                           "system": True}, token=admin)
        _, reply = c.api("KHM", "POST", "/v1/tokens", {"name": "bench", "user": "cms-kh", "expires": ""},
                         token=admin)
        token = reply["token"]
        certs = None if args.http else make_certificate(c.dir)
        c.seed_referrals("THA", "KHM", args.events)
        with Receiver(webhook_test.SECRET_B64, cert=certs) as rx:
            adapter = webhook_test.Adapter(c, c.dir / "webhook", token, rx.url, certs[0] if certs else None)
            text = adapter.config.read_text().replace("lanes = 4", f"lanes = {args.lanes}")
            text = text.replace("page_size = 50", "page_size = 500")
            if args.http:
                text += "allow_http = true\n"
            adapter.config.write_text(text)
            start = time.monotonic()
            adapter.start()
            rx.wait_for(lambda: len(rx.first_seen()) >= args.events, 60 + args.events / 20, "every event")
            elapsed = time.monotonic() - start
            adapter.stop()
            calls, _ = rx.snapshot()
            limit = receiver_limit(rx, certs, min(args.events, 1000), args.lanes)
        scheme = "http" if args.http else "https"
        print(f"webhook_bench: {args.events} events, lanes={args.lanes}, {scheme} receiver on loopback")
        print(f"  lintas-webhook delivered   {args.events / elapsed:8.0f} events/s "
              f"({elapsed:.2f} s, {len(calls)} calls, all signatures valid: {all(x['signature_ok'] for x in calls)})")
        print(f"  receiver limit (raw calls) {limit:8.0f} calls/s  ({args.lanes} threads, one connection per call)")


if __name__ == "__main__":
    main()
