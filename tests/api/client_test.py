#!/usr/bin/python3
"""The Python client (adapters/python, lintas_client) and its example script against real nodes (ctest:
python_client_test, label integration).

A THA and a KHM node (tests/browser/lintas_cluster.py). KHM's administrator makes a system account and an API token
for it; THA's officer sends referrals with the client; examples/poll_inbox.py, run with that token, prints exactly
the events received, in order, and acknowledges its reader cursor, so a second run prints nothing and a third only
what arrived since. Then the client's case, event, subscription, alert and account calls, and its LintasError.

    /usr/bin/python3 tests/api/client_test.py --build build/release
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PACKAGE = REPO / "adapters/python"
EXAMPLE = PACKAGE / "examples/poll_inbox.py"
sys.path.insert(0, str(PACKAGE))
sys.path.insert(0, str(HERE.parent / "browser"))
from lintas_client import Client, LintasError  # noqa: E402
from lintas_cluster import Cluster, wait_until  # noqa: E402

WAIT_S = 30
SYSTEM_USER = "cms-kh-0001"


def referral(client, n):
    return client.send_referral(
        "KHM/kh-mosvy", f"TH-PY-{n:04d}",
        victim={"pseudonym": f"V-TH-PY-{n:04d}", "sex": "female", "age": 16, "guardian": f"G-TH-PY-{n:04d}-1",
                "nationality": "KHM", "languages": ["km"]},
        consent=["identity", "return_logistics"], exploitation="sexual_exploitation", priority="urgent",
        due="3d", handling="H1", reference=f"TH-RTP-PY-{n:04d}", summary="Test data, invented")


def raises(call, status, code, field=None):
    """The LintasError `call` raises, checked."""
    try:
        call()
    except LintasError as e:
        assert (e.status, e.code) == (status, code), f"{e}: expected {status} {code}"
        assert field is None or e.field == field, f"{e}: expected field {field!r}"
        return e
    raise AssertionError(f"expected {status} {code}, the call succeeded")


def run_example(node_url, token, reader, *extra):
    """examples/poll_inbox.py --once --json, as an agency would run it (its own process; PYTHONPATH, no install)."""
    env = dict(os.environ, LINTAS_TOKEN=token, PYTHONPATH=str(PACKAGE))
    done = subprocess.run([sys.executable, str(EXAMPLE), "--node", node_url, "--reader", reader, "--once", "--json",
                           *extra], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"poll_inbox exited {done.returncode}: {done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def received(kh, ids):
    """Waits until every id is in KHM's inbox (read from the start, not moving any cursor)."""
    def all_there():
        seen = set()
        after = 0
        while True:
            page = kh.inbox(after=after, limit=1000)
            seen |= {e["event"]["id"] for e in page["events"]}
            if not page["events"]:
                return set(ids) <= seen
            after = page["next_after"]
    wait_until(f"{len(ids)} referrals in KHM's inbox", all_there, WAIT_S)


def test_session_and_errors(cluster):
    kh = Client(cluster.node("KHM").url)
    health = kh.health()
    assert health["node"] == "kh-node" and health["broker_connected"] is True, health
    raises(kh.me, 401, "unauthenticated", "Authorization")
    raises(lambda: kh.login("officer-kh-0001", "wrong password!"), 401, "unauthenticated")
    user, password = cluster.node("KHM").accounts["officer"]
    reply = kh.login(user, password)
    assert kh.token == reply["token"] and reply["user"]["id"] == user
    assert kh.me()["id"] == user
    assert kh.set_language("km")["language"] == "km"
    raises(lambda: kh.set_language("xx"), 400, "bad_input", "language")
    unreachable = Client("http://127.0.0.1:9", token="lnt_x", timeout=5)
    raises(unreachable.health, 0, "unreachable")


def test_example_polls_with_a_durable_cursor(cluster):
    admin = Client(cluster.node("KHM").url)
    admin.login(*cluster.node("KHM").accounts["admin"])
    system = admin.create_user(SYSTEM_USER, "kh-mosvy", ["officer"], system=True, display_name="KH case system")
    assert system["system"] is True and system["id"] == SYSTEM_USER
    issued = admin.create_token("kh-cms inbox poller", expires="7d", user=SYSTEM_USER)
    assert issued["token"].startswith("lnt_")
    assert issued["id"] in {t["id"] for t in admin.tokens(user=SYSTEM_USER)}
    raises(lambda: admin.create_token("for a person", user="officer-kh-0001"), 403, "forbidden", "user")

    th = Client(cluster.node("THA").url)
    th.login(*cluster.node("THA").accounts["officer"])
    sent = [referral(th, n)["id"] for n in (1, 2, 3)]
    cms = Client(cluster.node("KHM").url, token=issued["token"])
    received(cms, sent)

    entries, log = run_example(cluster.node("KHM").url, issued["token"], "kh-cms")
    assert [e["event"]["id"] for e in entries] == sent, (entries, log)
    assert all(e["event"]["body_type"] == "ReferralCreated" and e["publisher"] == "th-node" for e in entries)
    assert [e["offset"] for e in entries] == sorted(e["offset"] for e in entries)
    assert "3 events" in log, log
    # The cursor is durable at the node: the next run starts after it.
    again, _ = run_example(cluster.node("KHM").url, issued["token"], "kh-cms")
    assert again == [], again
    assert cms.inbox(reader="kh-cms")["events"] == []
    fourth = referral(th, 4)["id"]
    received(cms, [fourth])
    later, _ = run_example(cluster.node("KHM").url, issued["token"], "kh-cms", "--limit", "1")
    assert [e["event"]["id"] for e in later] == [fourth], later
    # Another reader's cursor is its own, and the human line form shows routing data only.
    env = dict(os.environ, LINTAS_TOKEN=issued["token"], PYTHONPATH=str(PACKAGE))
    lines = subprocess.run([sys.executable, str(EXAMPLE), "--node", cluster.node("KHM").url, "--reader", "other",
                            "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert lines.returncode == 0 and len(lines.stdout.splitlines()) == 4, lines
    assert all("ReferralCreated case=TH-PY-" in line and "V-TH-PY" not in line for line in lines.stdout.splitlines())
    no_token = subprocess.run([sys.executable, str(EXAMPLE), "--once"], env=dict(os.environ, LINTAS_TOKEN=""),
                              capture_output=True, text=True, timeout=60)
    assert no_token.returncode == 2 and "LINTAS_TOKEN" in no_token.stderr, no_token
    return sent


def test_cases_and_steps(cluster, sent):
    kh = Client(cluster.node("KHM").url)
    kh.login(*cluster.node("KHM").accounts["officer"])
    th = Client(cluster.node("THA").url)
    th.login(*cluster.node("THA").accounts["officer"])
    first = sent[0]
    item = kh.item(first)
    assert item["state"] == "received" and item["victim"] == "V-TH-PY-0001" and item["minor"] is True, item
    assert "TH-PY-0001" in {c["case_id"] for c in kh.cases(state="open")}
    case = kh.case("TH-PY-0001")
    assert case["references"] == {"THA": "TH-RTP-PY-0001"} and case["events"][0]["id"] == first, case
    e = raises(lambda: kh.case("TH-PY-9999"), 404, "not_found", "id")
    assert "no such case" in e.message, e.message
    assert kh.acknowledge(first, note="Officer assigned", reference="KH-PY-0001")["status"] == "queued"
    raises(lambda: kh.acknowledge(first), 409, "conflict", "id")
    assert kh.accept(first, note="Shelter place")["status"] == "queued"
    assert kh.item(first)["state"] == "accepted"
    assert kh.decline(sent[1], reason="not_competent", suggested="KHM/police")["status"] == "queued"
    raises(lambda: kh.decline(sent[2], reason="bored"), 400, "bad_input", "reason")
    raises(lambda: referral_with(th, priority="soon"), 400, "bad_input", "priority")
    status = th.event_status(first, full=True)
    assert status["case_id"] == "TH-PY-0001" and status["event"]["body_type"] == "ReferralCreated", status
    wait_until("THA sees the acceptance", lambda: state_of(th, first) == "accepted", WAIT_S)
    assert th.plan_return(first, "Aranyaprathet-Poipet", "2d")["status"] == "queued"
    request = th.send_request("KHM/kh-mosvy", "TH-PY-0005", "S-TH-PY-0005", ["Registered vessel?"])
    wait_until("KHM has the request", lambda: state_of(kh, request["id"]) == "requested", WAIT_S)
    assert kh.provide(request["id"], "Registered in 2019")["status"] == "queued"
    stats = kh.statistics()
    assert stats["by_partner"]["THA"]["incoming"] == 5 and stats["items"] == 5, stats
    assert kh.overdue() == []


def state_of(client, item_id):
    """The item's state, or None while it has not arrived."""
    try:
        return client.item(item_id)["state"]
    except LintasError as e:
        if e.status == 404:
            return None
        raise


def referral_with(client, **fields):
    return client.send_referral("KHM/kh-mosvy", "TH-PY-0099", {"pseudonym": "V-TH-PY-0099"}, ["identity"], **fields)


def test_events_alerts_subscriptions(cluster):
    th = Client(cluster.node("THA").url)
    th.login(*cluster.node("THA").accounts["officer"])
    example = th.example_event("SpontaneousInformation")
    assert example["body_type"] == "SpontaneousInformation"
    event = {"destinations": [{"country": "KHM", "agency": "kh-mosvy"}], "case_id": "TH-PY-0006",
             "body_type": "SpontaneousInformation", "body": {"content": "Vessel seen (test data)"}}
    submitted = th.submit_event(event)
    assert submitted["status"] in ("queued", "acknowledged")
    resubmitted = th.submit_event(dict(event, id=submitted["id"]))
    assert resubmitted["id"] == submitted["id"]
    alert = th.publish_alert("scam_compound", "Scam compound (test data)", ["KHM"], expires="2d")
    assert alert["id"] in {a["item_id"] for a in th.alerts(state="active")}
    th.cancel_alert(alert["id"], reason="People freed")
    assert [a["item_id"] for a in th.alerts(state="cancelled")] == [alert["id"]]
    assert any(a["agency"] == "kh-mosvy" for a in th.directory()["agencies"])
    seq = th.changes()
    # Acks of the events above may still bump it: never back, never waiting.
    assert th.changes(since=seq, wait=0) >= seq
    supervisor = Client(cluster.node("KHM").url)
    supervisor.login(*cluster.node("KHM").accounts["supervisor"])
    supervisor.add_subscription("py-alerts", alert_categories=["ScamCompound"], min_priority="Urgent")
    assert "py-alerts" in {s["name"] for s in supervisor.subscriptions()}
    supervisor.remove_subscription("py-alerts")
    raises(lambda: supervisor.remove_subscription("py-alerts"), 404, "not_found", "name")
    auditor = Client(cluster.node("KHM").url)
    auditor.login(*cluster.node("KHM").accounts["auditor"])
    log = auditor.audit_local("client test", case="TH-PY-0001")
    assert log["chain"]["ok"] and {"view_case", "view_item"} <= {e["action"] for e in log["entries"]}, log
    raises(lambda: auditor.audit_local(""), 400, "justification_required", "justification")
    th.logout()
    assert th.token is None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=str(REPO / "build/release"))
    args = parser.parse_args()
    started = time.monotonic()
    with Cluster(args.build, countries=("THA", "KHM"), log_level="warn") as cluster:
        test_session_and_errors(cluster)
        print("ok session and errors")
        sent = test_example_polls_with_a_durable_cursor(cluster)
        print("ok examples/poll_inbox.py with a durable reader cursor")
        test_cases_and_steps(cluster, sent)
        print("ok cases and steps")
        test_events_alerts_subscriptions(cluster)
        print("ok events, alerts, subscriptions, audit")
    print(f"python client test passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
