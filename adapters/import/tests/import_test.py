#!/usr/bin/python3
"""lintas-import against a real broker and real THA and KHM nodes (tests/browser/lintas_cluster.py).

    /usr/bin/python3 adapters/import/tests/import_test.py --build build/release
    /usr/bin/python3 adapters/import/tests/import_test.py --build build/release --bench 1000   # the import rate

A Thai agency system (a `system` account with the officer role and an API token) imports referrals to Cambodia:
a file with one bad cell imports nothing and names the row and column; a row the node's own checks refuse (an
unknown addressee, a priority the node does not know) stops the whole file too; a good file creates the referrals,
which arrive in the KHM node's inbox; running it again adds nothing; a run killed in its submit pass is completed
by running it again; the README's example files import. Waits poll with a deadline; nothing sleeps to synchronise.
"""
import argparse
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "tests/browser"))
from lintas_cluster import Cluster, wait_until  # noqa: E402

BUILD = REPO / "build/release"
WAIT_S = 30
cluster = None
workdir = None

MAPPING = """\
kind = "referral"
id = "row_id"
[fields]
to = { column = "destination", map = { "Cambodia" = "KHM/kh-mosvy", "Nowhere" = "KHM/kh-nosuch" } }
case_id = "case_no"
reference = "our_ref"
"victim.pseudonym" = "victim_code"
"victim.sex" = { column = "sex", map = { "M" = "male", "F" = "female" } }
"victim.age" = { column = "victim_age", type = "integer" }
"victim.guardian" = { column = "guardian", required = false }
"victim.languages" = { column = "languages", split = ";" }
consent = { column = "consent", split = "|" }
exploitation = { value = "forced_labour" }
summary = { column = "notes", required = false }
priority = { column = "urgency", map = { "1" = "life_threatening", "2" = "urgent", "3" = "routine" }, unmapped = "keep" }
due = { value = "3d" }
handling = { value = "H1" }
"""

COLUMNS = ["row_id", "destination", "case_no", "our_ref", "victim_code", "sex", "victim_age", "guardian", "languages",
           "consent", "notes", "urgency"]


def rows(tag, n):
    """n referral rows with invented pseudonyms; the notes hold a comma, a quote, a line break and Thai text."""
    out = []
    for k in range(1, n + 1):
        out.append({"row_id": f"{tag}-{k:05d}", "destination": "Cambodia", "case_no": f"TH-IMP-{tag}-{k:05d}",
                    "our_ref": f"TH-RTP-{tag}-{k:05d}", "victim_code": f"V-{tag}-{k:05d}", "sex": "M",
                    "victim_age": "19", "guardian": "", "languages": "km;th", "consent": "identity|return_logistics",
                    "notes": 'Found at "Dock 4", Samut Sakhon\nสมุทรสาคร (test data)', "urgency": "2"})
    return out


def write_csv(name, table):
    path = workdir / name
    with open(path, "w", newline="", encoding="utf-8-sig") as f:  # with a BOM, as spreadsheet exports often are
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    return path


def write_config(name, mapping_text=MAPPING, parallel=4, mapping_path=None):
    if mapping_path is None:
        mapping_path = workdir / f"{name}.mapping.toml"
        mapping_path.write_text(mapping_text)
    config = workdir / f"{name}.toml"
    config.write_text(f'[node]\nurl = "{cluster.node("THA").url}"\ntoken_file = "token"\n'
                      f'[import]\nmapping = "{mapping_path}"\nparallel = {parallel}\n')
    return config


def run_import(config, *files, extra=()):
    done = subprocess.run([str(BUILD / "adapters/import/lintas-import"), "--config", str(config), *extra,
                           *map(str, files)], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


class Api:
    def __init__(self, country, role):
        self.country, self.token = country, cluster.login(country, role)

    def __call__(self, method, path, body=None):
        return cluster.api(self.country, method, path, body, token=self.token)


def case_items(api, case_id):
    """The items of a case at a node, or None when the node has no such case."""
    status, view = api("GET", f"/v1/cases/{case_id}")
    return None if status == 404 else [i["item_id"] for i in view["items"]]


def inbox_referrals(api, case_ids):
    """The ReferralCreated events in the node's inbox for these cases: {case_id: [event id, ...]}."""
    found, after = {}, 0
    while True:
        status, page = api("GET", f"/v1/inbox?after={after}&limit=1000")
        assert status == 200, (status, page)
        for e in page["events"]:
            event = e["event"]
            if event.get("case_id") in case_ids and event.get("body_type") == "ReferralCreated":
                found.setdefault(event["case_id"], []).append(event["id"])
        if not page["events"]:
            return found
        after = page["next_after"]


def setUpModule():
    global cluster, workdir
    cluster = Cluster(BUILD, countries=("THA", "KHM", "VNM")).__enter__()
    workdir = Path(tempfile.mkdtemp(prefix="lintas-import-test-"))
    # The agency system's account and its API token, as README.md tells an administrator to make them.
    admin = Api("THA", "admin")
    status, body = admin("POST", "/v1/users", {"id": "cms-import-th", "agency": "th-rtp-atpd", "roles": ["officer"],
                                               "system": True})
    assert status == 201, (status, body)
    status, body = admin("POST", "/v1/tokens", {"name": "case system import", "user": "cms-import-th"})
    assert status == 201, (status, body)
    (workdir / "token").write_text(body["token"] + "\n")
    os.chmod(workdir / "token", 0o600)


def tearDownModule():
    if cluster is not None:
        cluster.__exit__(None, None, None)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


class ImportTest(unittest.TestCase):
    def setUp(self):
        self.th = Api("THA", "officer")
        self.kh = Api("KHM", "officer")

    def assertNothingImported(self, table):
        for r in table:
            self.assertIsNone(case_items(self.th, r["case_no"]), r["case_no"])

    def test_check_config(self):
        code, out, err = run_import(write_config("check"), extra=["--check-config"])
        self.assertEqual(code, 0, err)
        self.assertIn("configuration ok", out)
        bad = workdir / "bad.toml"
        bad.write_text('[node]\nurl = "ftp://x"\n[import]\nmapping = "m.toml"\n')
        code, _, err = run_import(bad, extra=["--check-config"])
        self.assertEqual(code, 2)
        self.assertIn("node.url", err)

    def test_one_bad_cell_imports_nothing_and_names_row_and_column(self):
        table = rows("BAD", 12)
        table[6]["victim_age"] = "seventeen"  # row 7: line 14 (the header is line 1; each row's notes hold a line break)
        code, out, err = run_import(write_config("bad"), write_csv("bad.csv", table))
        self.assertEqual(code, 2, out + err)
        self.assertIn('row 7 (line 14), column "victim_age" (victim.age): not a number', err)
        self.assertIn("12 rows, 1 with errors: nothing imported", err)
        self.assertNotIn("seventeen", err)  # cell values are not echoed
        self.assertNothingImported(table)

    def test_rows_refused_by_the_nodes_checks_stop_the_file(self):
        table = rows("NODE", 8)
        table[2]["destination"] = "Nowhere"  # mapped to KHM/kh-nosuch: not in the directory
        table[4]["urgency"] = "9"            # kept as written: the node refuses the priority
        table[5]["consent"] = "fingerprints"  # the node refuses the consent item
        code, out, err = run_import(write_config("node"), write_csv("node.csv", table))
        self.assertEqual(code, 2, out + err)
        self.assertRegex(err, r'row 3 \(line 6\), column "destination" \(to\): refused by the node: .*kh-nosuch')
        self.assertRegex(err, r'row 5 \(line 10\), column "urgency" \(priority\): refused by the node: must be one of')
        self.assertRegex(err, r'row 6 \(line 12\), column "consent": refused by the node: must be one of')
        self.assertIn("8 rows, 3 with errors: nothing imported", err)
        self.assertNothingImported(table)

    def test_good_import_arrives_and_rerun_adds_nothing(self):
        table = rows("GOOD", 12)
        config, path = write_config("good"), write_csv("good.csv", table)
        code, out, err = run_import(config, path, extra=["--dry-run"])
        self.assertEqual(code, 0, err)
        self.assertIn("12 rows valid: 12 to import, 0 already imported (dry run: nothing sent)", out)
        self.assertNothingImported(table)
        code, out, err = run_import(config, path, extra=["--wait", str(WAIT_S)])
        self.assertEqual(code, 0, err)
        self.assertIn("12 rows: 12 imported, 0 already imported; 12 acknowledged by the broker", out)
        cases = {r["case_no"] for r in table}
        arrived = wait_until("the referrals in the KHM inbox",
                             lambda: (lambda f: f if len(f) == len(cases) else None)(inbox_referrals(self.kh, cases)),
                             WAIT_S)
        self.assertTrue(all(len(ids) == 1 for ids in arrived.values()), arrived)
        status, view = self.kh("GET", f"/v1/cases/{table[0]['case_no']}")
        self.assertEqual(status, 200)
        self.assertEqual(view["references"].get("THA"), table[0]["our_ref"])
        code, out, err = run_import(config, path)
        self.assertEqual(code, 0, err)
        self.assertIn("12 rows: 0 imported, 12 already imported", out)
        for r in table:
            self.assertEqual(case_items(self.th, r["case_no"]), [arrived[r["case_no"]][0]])
        self.assertEqual(inbox_referrals(self.kh, cases), arrived)  # the same events, once each

    def test_killed_run_is_completed_by_running_again(self):
        n = 300
        table = rows("KILL", n)
        config, path = write_config("kill", parallel=2), write_csv("kill.csv", table)
        importer = subprocess.Popen([str(BUILD / "adapters/import/lintas-import"), "--config", str(config), str(path)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill it once the submit pass has queued something (or it finished first: then nothing is left to do).
        wait_until("a first imported row", lambda: importer.poll() is not None
                   or case_items(self.th, table[0]["case_no"]) is not None
                   or case_items(self.th, table[1]["case_no"]) is not None, WAIT_S, interval=0.005)
        importer.send_signal(signal.SIGKILL)
        importer.communicate()
        before = sum(case_items(self.th, r["case_no"]) is not None for r in table)
        self.assertGreater(before, 0)
        code, out, err = run_import(config, path)
        self.assertEqual(code, 0, err)
        # A request the killed run had sent may still have been queued after the count above.
        counts = re.search(rf"{n} rows: (\d+) imported, (\d+) already imported", out)
        self.assertIsNotNone(counts, out)
        imported, already = int(counts[1]), int(counts[2])
        self.assertEqual(imported + already, n)
        print(f"\nkilled run: {before} rows imported before the kill; the re-run imported {imported}", file=sys.stderr)
        self.assertGreaterEqual(already, before)
        for r in table:
            self.assertEqual(len(case_items(self.th, r["case_no"]) or []), 1, r["case_no"])

    def test_readme_examples_import(self):
        examples = HERE.parent / "examples"
        config = write_config("example-csv", mapping_path=examples / "referrals-csv.toml")
        code, out, err = run_import(config, examples / "referrals.csv")
        self.assertEqual(code, 0, err)
        self.assertIn("3 rows: 3 imported, 0 already imported", out)
        config = write_config("example-json", mapping_path=examples / "requests-json.toml")
        code, out, err = run_import(config, examples / "requests.json")
        self.assertEqual(code, 0, err)
        self.assertIn("2 rows: 2 imported, 0 already imported", out)
        status, view = self.th("GET", "/v1/cases/TH-CMS-2026-0311")
        self.assertEqual(status, 200, view)
        self.assertEqual(sorted(i["kind"] for i in view["items"]), ["referral", "request"])


class NodeOptionsTest(unittest.TestCase):
    """The node's options the adapter relies on (docs/API.md): ?dry_run=true and client_ref."""

    def test_dry_run_checks_and_queues_nothing(self):
        th = Api("THA", "officer")
        body = cluster.referral_body("THA", "KHM", 900001)
        body["to"] = "KHM/social_welfare"
        status, answer = th("POST", "/v1/referrals?dry_run=true", body)
        self.assertEqual(status, 200, answer)
        self.assertTrue(answer["dry_run"])
        self.assertEqual(answer["addressees"], [{"to": "KHM/social_welfare", "agencies": ["kh-mosvy"]}])
        self.assertEqual(answer["event"]["body_type"], "ReferralCreated")
        self.assertEqual(answer["event"]["id"], answer["id"])
        self.assertIsNone(case_items(th, body["case_id"]))
        self.assertEqual(th("GET", f"/v1/events/{answer['id']}")[0], 404)
        status, answer = th("POST", "/v1/referrals?dry_run=true", dict(body, to="KHM/labour"))
        self.assertEqual((status, answer["error"]["code"], answer["error"]["field"]), (400, "unknown_destination", "to"))
        status, answer = th("POST", "/v1/referrals", dict(body, to=["KHM/kh-mosvy", "KHM/kh-nosuch"]))
        self.assertEqual((status, answer["error"]["field"]), (400, "to[1]"))
        self.assertEqual(th("POST", "/v1/referrals?dry_run=maybe", body)[0], 400)

    def test_client_ref_makes_a_resubmission_a_duplicate(self):
        th = Api("THA", "officer")
        body = dict(cluster.referral_body("THA", "KHM", 900002), client_ref="CMS-API-1")
        status, first = th("POST", "/v1/referrals", body)
        self.assertEqual(status, 202, first)
        status, again = th("POST", "/v1/referrals", dict(body, due="2000-01-01"))  # not judged again
        self.assertEqual(status, 200, again)
        self.assertEqual((again["id"], again["duplicate"]), (first["id"], True))
        status, dry = th("POST", "/v1/referrals?dry_run=true", body)
        self.assertEqual((status, dry["id"], dry["duplicate"], dry["dry_run"]), (200, first["id"], True, True))
        self.assertEqual(len(case_items(th, body["case_id"])), 1)
        status, other = th("POST", "/v1/referrals", dict(cluster.referral_body("THA", "KHM", 900003),
                                                         client_ref="CMS-API-2"))
        self.assertEqual(status, 202, other)
        self.assertNotEqual(other["id"], first["id"])
        status, answer = th("POST", "/v1/referrals", dict(body, client_ref=""))
        self.assertEqual((status, answer["error"]["field"]), (400, "client_ref"))


def bench(rows_n):
    """The import rate: rows/s of a rows_n-row file (both passes), as the rest of the suite runs it."""
    global cluster, workdir
    setUpModule()
    try:
        for parallel in (1, 4):
            config = write_config(f"bench-{parallel}", parallel=parallel)
            table = rows(f"B{parallel}", rows_n)
            path = write_csv(f"bench-{parallel}.csv", table)
            start = time.monotonic()
            code, out, err = run_import(config, path, extra=["--dry-run"])
            validated = time.monotonic() - start
            assert code == 0, err
            start = time.monotonic()
            code, out, err = run_import(config, path)
            took = time.monotonic() - start
            assert code == 0, err
            start = time.monotonic()
            code, again, err = run_import(config, path)
            rerun = time.monotonic() - start
            assert code == 0 and f"{rows_n} rows: 0 imported, {rows_n} already imported" in again, (again, err)
            print(f"parallel={parallel}: {rows_n} rows: validate only {validated:.2f} s ({rows_n / validated:.0f} rows/s); "
                  f"full import (validate + submit) {took:.2f} s ({rows_n / took:.0f} rows/s); "
                  f"re-run, all already imported, {rerun:.2f} s ({rows_n / rerun:.0f} rows/s)")
    finally:
        tearDownModule()


def main():
    global BUILD
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(BUILD))
    parser.add_argument("--bench", type=int, default=0, help="measure the import rate of a file of N rows")
    args, rest = parser.parse_known_args()
    BUILD = Path(args.build).resolve()
    if args.bench:
        bench(args.bench)
        return
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
