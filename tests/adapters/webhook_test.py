#!/usr/bin/python3
"""lintas-webhook against a real broker, real nodes and a real HTTPS receiver (issue 16).

The receiver (webhook_receiver.py) fails the first calls, times out once and refuses one event with 500: every inbox
event still arrives at least once, in case order, correctly signed; the refused event lands in the dead-letter queue
with the later events of its case held behind it, and `lintas webhook dlq retry` delivers them in order; SIGKILL in
the middle of a delivery loses nothing; an endpoint whose certificate does not verify gets nothing.

    /usr/bin/python3 tests/adapters/webhook_test.py --build build/release
"""
import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from lintas_cluster import REPO, Cluster, Process, wait_until  # noqa: E402
from webhook_receiver import Receiver, make_certificate  # noqa: E402

BUILD = REPO / "build/release"
SECRET_B64 = base64.b64encode(b"lintas-webhook-test-secret-32byte").decode()
OLD_SECRET_B64 = base64.b64encode(b"lintas-webhook-old-secret-32bytes").decode()


class Adapter:
    """One lintas-webhook process with its config in `folder`."""

    def __init__(self, cluster, folder, token, url, ca_file, name="cms", max_attempts=6):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "token").write_text(token + "\n")
        (self.folder / "secrets").write_text(f"# current, then the one being retired\nwhsec_{SECRET_B64}\n"
                                             f"whsec_{OLD_SECRET_B64}\n")
        self.endpoint_file = self.folder / "admin.url"
        ca = f'ca_file = "{ca_file}"\n' if ca_file else ""
        self.config = self.folder / "webhook.toml"
        self.config.write_text(f"""
[node]
url = "{cluster.node('KHM').url}"
token_file = "token"
[adapter]
data_dir = "data"
admin_listen = "127.0.0.1:0"
admin_endpoint_file = "admin.url"
poll_interval = "100ms"
page_size = 50
[[endpoints]]
name = "{name}"
url = "{url}"
secrets_file = "secrets"
timeout = "1s"
max_attempts = {max_attempts}
backoff_initial = "50ms"
backoff_max = "200ms"
lanes = 4
{ca}""")
        self.bin = cluster.build_dir / "adapters/webhook/lintas-webhook"
        self.process = None

    def start(self):
        if self.endpoint_file.exists():
            self.endpoint_file.unlink()
        self.process = Process("lintas-webhook", [str(self.bin), "--config", str(self.config)], self.folder,
                               self.folder / "adapter.log")
        self.process.start()
        wait_until("the adapter's admin listener", lambda: self.endpoint_file.exists(), 30)
        self.url = self.endpoint_file.read_text().strip()

    def kill(self):
        self.process.popen.send_signal(signal.SIGKILL)
        self.process.popen.wait(10)

    def stop(self):
        if self.process:
            self.process.stop()

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as r:
            return r.read().decode()

    def metric(self, name, **labels):
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        for line in self.metrics().splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        return 0.0 if want else None


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(BUILD, countries=("THA", "KHM"))
        cls.cluster.__enter__()
        cls.addClassCleanup(cls.cluster.__exit__, None, None, None)
        c = cls.cluster
        admin = c.login("KHM", "admin")
        status, reply = c.api("KHM", "POST", "/v1/users", {"id": "cms-kh", "agency": "kh-mosvy",
                                                         "roles": ["officer"], "system": True}, token=admin)
        assert status == 201, reply
        status, reply = c.api("KHM", "POST", "/v1/tokens", {"name": "webhook", "user": "cms-kh", "expires": ""},
                              token=admin)
        assert status == 201, reply
        cls.system_token = reply["token"]
        cls.certs = make_certificate(c.dir)
        cls.officer = c.login("THA", "officer")

    def send(self, case_id, number, kind="referral"):
        """One event THA -> KHM in `case_id`; returns its id."""
        c = self.cluster
        if kind == "referral":
            body = c.referral_body("THA", "KHM", number)
            body["case_id"] = case_id
            status, reply = c.api("THA", "POST", "/v1/referrals", body, token=self.officer)
        else:
            body = {"to": f"KHM/{c.node('KHM').agency}", "case_id": case_id, "subject": f"Question {number}",
                    "questions": ["Has the person been interviewed?"], "legal_basis": "ACTIP art. 17",
                    "priority": "routine", "due": "5d"}
            status, reply = c.api("THA", "POST", "/v1/requests", body, token=self.officer)
        self.assertEqual(status, 202, reply)
        return reply["id"]

    def inbox_ids(self, minimum):
        """The KHM inbox's event ids in offset order, once at least `minimum` are there."""
        token = self.cluster.login("KHM", "officer")
        found = []

        def enough():
            found.clear()
            status, body = self.cluster.api("KHM", "GET", "/v1/inbox?after=0&limit=1000", token=token)
            found.extend((e["offset"], e["event"]["id"], e["event"].get("case_id", "")) for e in body["events"])
            return len(found) >= minimum
        wait_until(f"{minimum} events in KHM's inbox", enough, 60)
        return sorted(found)

    def assert_case_order(self, delivered, inbox):
        """Per case, the first deliveries come in inbox (offset) order."""
        position = {event_id: i for i, (_, event_id, _) in enumerate(inbox)}
        case_of = {event_id: case for _, event_id, case in inbox}
        last = {}
        for event_id in delivered:
            case = case_of[event_id]
            self.assertGreater(position[event_id], last.get(case, -1), f"case {case} out of order at {event_id}")
            last[case] = position[event_id]

    def cli(self, *args, token):
        env = dict(os.environ, LINTAS_TOKEN=token)
        return subprocess.run([str(self.cluster.build_dir / "nodes/lintas"), "--node", self.cluster.node("KHM").url,
                               *args], capture_output=True, text=True, env=env, timeout=60)

    def test_1_delivers_everything_in_case_order_through_failures(self):
        c = self.cluster
        events = []
        for case in range(6):
            case_id = f"TH-WH-{case:03d}"
            events.append(self.send(case_id, 100 + case * 10))
            events.append(self.send(case_id, 101 + case * 10, kind="request"))
            events.append(self.send(case_id, 102 + case * 10, kind="request"))
        poison = events[6]  # the first event of the third case: refused with 500 every time
        held = events[7:9]
        inbox = self.inbox_ids(len(events))
        with Receiver(SECRET_B64, cert=self.certs) as rx:
            rx.fail_first = 4        # fewer than max_attempts (6) even with the timeout: no good event is lost
            rx.timeout_once_s = 1.5  # longer than the adapter's 1 s timeout
            rx.refuse_ids.add(poison)
            adapter = Adapter(c, c.dir / "webhook", self.system_token, rx.url, self.certs[0])
            self.addCleanup(adapter.stop)
            adapter.start()
            rest = [e for e in events if e != poison and e not in held]
            rx.wait_for(lambda: set(rest) <= set(rx.first_seen()), 60, "every event but the refused case's")
            wait_until("the refused event dead-lettered",
                       lambda: adapter.metric("lintas_webhook_dead_letters", endpoint="cms") == 3, 30)
            calls, deliveries = rx.snapshot()
            self.assertTrue(all(call["signature_ok"] for call in calls), "a call without a valid signature")
            self.assertTrue(any(call["status"] == 503 for call in calls))
            self.assertNotIn(poison, rx.first_seen())
            self.assertFalse(set(held) & set(rx.first_seen()), "an event delivered ahead of its case's refused one")
            first = deliveries[0]["body"]
            self.assertEqual(first["type"], "lintas.event." + first["data"]["event"]["body_type"])
            self.assertEqual(first["data"]["case"]["case_id"], first["data"]["event"]["case_id"])
            self.assertEqual(first["data"]["case"]["item"]["item_id"], first["data"]["case"]["item_id"])

            # The supervisor sees the queue, the event first and its case's later events held behind it.
            supervisor = c.login("KHM", "supervisor")
            listed = self.cli("webhook", "dlq", "list", "--adapter", adapter.url, "--json", token=supervisor)
            self.assertEqual(listed.returncode, 0, listed.stderr)
            entries = json.loads(listed.stdout)["entries"]
            self.assertEqual([e["event_id"] for e in entries], [poison, *held])
            self.assertEqual(entries[0]["last_error"], "HTTP 500")
            self.assertEqual(entries[0]["attempts"], 6)  # max_attempts
            self.assertGreaterEqual(sum(1 for call in rx.snapshot()[0] if call["id"] == poison), 5)
            self.assertEqual(entries[1]["held_behind"], poison)
            table = self.cli("webhook", "dlq", "list", "--adapter", adapter.url, token=supervisor)
            self.assertIn("held behind " + poison, table.stdout)
            # An officer may not manage the queue.
            officer = self.cli("webhook", "dlq", "list", "--adapter", adapter.url, token=c.login("KHM", "officer"))
            self.assertNotEqual(officer.returncode, 0)
            self.assertIn("supervisor or an admin", officer.stderr + officer.stdout)

            # Retried while the endpoint still refuses: nothing moves.
            again = self.cli("webhook", "dlq", "retry", poison, "--adapter", adapter.url, token=supervisor)
            self.assertNotEqual(again.returncode, 0)
            self.assertIn("failed again", again.stdout)
            rx.refuse_ids.clear()
            retried = self.cli("webhook", "dlq", "retry", poison, "--adapter", adapter.url, token=supervisor)
            self.assertEqual(retried.returncode, 0, retried.stdout + retried.stderr)
            self.assertTrue(set(events) <= set(rx.first_seen()))
            self.assert_case_order(rx.first_seen(), inbox)
            empty = self.cli("webhook", "dlq", "list", "--adapter", adapter.url, "--json", token=supervisor)
            self.assertEqual(json.loads(empty.stdout)["entries"], [])
            self.assertGreaterEqual(adapter.metric("lintas_webhook_events_total", endpoint="cms", result="delivered"),
                                    len(events) - 3)
            self.assertGreaterEqual(adapter.metric("lintas_webhook_attempts_total", endpoint="cms",
                                                   outcome="timeout"), 1)
            adapter.stop()

    def test_2_sigkill_mid_delivery_loses_nothing(self):
        c = self.cluster
        before = len(self.inbox_ids(0))
        events = [self.send(f"TH-WK-{k:03d}", 300 + k) for k in range(8)]
        inbox = self.inbox_ids(before + len(events))
        with Receiver(SECRET_B64, cert=self.certs) as rx:
            rx.stall = threading.Event()
            adapter = Adapter(c, c.dir / "webhook", self.system_token, rx.url, self.certs[0])  # the same cursor
            self.addCleanup(adapter.stop)
            adapter.start()
            rx.stalled.wait(30)
            self.assertTrue(rx.stalled.is_set(), "no delivery started")
            adapter.kill()
            rx.stall.set()
            rx.stall = None
            adapter.start()
            rx.wait_for(lambda: set(events) <= set(rx.first_seen()), 60, "every event after the restart")
            self.assert_case_order(rx.first_seen(), inbox)
            adapter.stop()

    def test_3_refuses_an_endpoint_whose_certificate_does_not_verify(self):
        c = self.cluster
        self.send("TH-WT-001", 400)
        with Receiver(SECRET_B64, cert=self.certs) as rx:
            # No ca_file: the self-signed certificate is not trusted.
            adapter = Adapter(c, c.dir / "webhook-untrusted", self.system_token, rx.url, None, name="untrusted",
                              max_attempts=1)
            self.addCleanup(adapter.stop)
            adapter.start()
            wait_until("a TLS failure", lambda: adapter.metric("lintas_webhook_attempts_total", endpoint="untrusted",
                                                                 outcome="tls") >= 1, 30)
            self.assertEqual(rx.deliveries, [])
            adapter.stop()

    def test_4_check_config_names_the_mistake(self):
        c = self.cluster
        folder = c.dir / "webhook-check"
        adapter = Adapter(c, folder, self.system_token, "https://cms.example.org/hook", None)
        ok = subprocess.run([str(adapter.bin), "--config", str(adapter.config), "--check-config"],
                            capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("configuration OK", ok.stdout)
        (folder / "secrets").write_text("not-a-secret\n")
        bad = subprocess.run([str(adapter.bin), "--config", str(adapter.config), "--check-config"],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("secrets_file", bad.stderr)
        self.assertNotIn("not-a-secret", bad.stderr)


def main():
    global BUILD
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(BUILD))
    args, rest = parser.parse_known_args()
    BUILD = Path(args.build)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
