#!/usr/bin/python3
"""The victim's consent scope, enforced end to end (issue 13, scenario 5; docs/CONSENT.md).

A real broker and three real nodes (THA, KHM, VNM) on loopback, each with its own RocksDB in a temporary folder
(tests/browser/lintas_cluster.py). Thailand refers one presumed victim to Cambodia and to Viet Nam in one case:
1. a photograph attached without Photograph in the consent scope is refused at the Thai node, naming the field, and
   nothing is queued;
2. with Photograph consented, both holders show the image/jpeg attachment, and their officers read it;
3. the victim withdraws Photograph: the Thai officer records it on one referral without listing anyone, the node
   sends it to both holders and says so; both holders' case, item, event and inbox views lose the attachment and the
   old consent and say who withdrew it and when; the holders' consultation logs and the broker's still show who had
   read and received it before; the Thai node refuses another photograph in the case;
4. the victim withdraws all consent: the holders show the victim block's pseudonym only, and a return plan is refused.

    /usr/bin/python3 tests/integration/consent_test.py --build build/release
"""
import argparse
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from lintas_cluster import Cluster, wait_until  # noqa: E402

WAIT_S = 30
BUILD = "build/release"
CASE = "TH-2026-0192"
PHOTO = {"media_type": "image/jpeg", "sha256": "ab" * 32, "size": 48213,
         "location": "lintas://th-node/attachments/0192-photo"}
INTAKE = {"media_type": "application/pdf", "sha256": "cd" * 32, "size": 1200,
          "location": "lintas://th-node/attachments/0192-intake"}
THAI_AGENCY = "th-rtp-atpd"
HOLDERS = {"KHM": "kh-mosvy", "VNM": "vn-mps-cpd"}


def referral(to, consent, attachments):
    return {"to": to, "case_id": CASE, "reference": "TH-RTP-2026-0192",
            "victim": {"pseudonym": "V-TH-0192", "sex": "male", "age": 17, "minor": True, "guardian": "G-TH-0192-1",
                       "nationality": "KHM", "languages": ["km"], "needs": ["interpreter", "health: asthma inhaler"]},
            "consent": consent, "exploitation": "forced_labour", "summary": "Fishing vessel (test data)",
            "priority": "urgent", "due": "3d", "handling": "H1", "attachments": attachments}


def media_types(attachments):
    return sorted(a["media_type"] for a in attachments or [])


class ConsentTest(unittest.TestCase):
    cluster = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(BUILD, countries=("THA", "KHM", "VNM")).__enter__()
        cls.tokens = {c: cls.cluster.login(c, "officer") for c in ("THA", "KHM", "VNM")}
        cls.auditors = {c: cls.cluster.login(c, "auditor") for c in ("THA", "KHM", "VNM")}

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def api(self, country, method, path, body=None, token=None):
        return self.cluster.api(country, method, path, body, token=token or self.tokens[country])

    def case_at(self, country):
        status, kase = self.api(country, "GET", f"/v1/cases/{CASE}")
        return kase if status == 200 else None

    def test_consent_scope_end_to_end(self):
        # 1. A photograph without Photograph consent never leaves the node.
        status, body = self.api("THA", "POST", "/v1/referrals",
                                referral("KHM/kh-mosvy", ["identity", "return_logistics"], [INTAKE, PHOTO]))
        self.assertEqual(status, 403, body)
        self.assertEqual(body["error"]["code"], "outside_consent")
        self.assertEqual(body["error"]["field"], "attachments[1]")
        self.assertIn("Photograph", body["error"]["message"])
        status, body = self.api("THA", "POST", "/v1/referrals",
                                referral("KHM/kh-mosvy", ["return_logistics"], []))
        self.assertEqual((status, body["error"]["field"]), (403, "victim.sex"), body)
        status, body = self.api("THA", "POST", "/v1/referrals",
                                referral("KHM/kh-mosvy", ["identity", "return_logistics"], []))
        self.assertEqual((status, body["error"]["field"]), (403, "victim.needs[1]"), "a health need needs Health")
        self.assertEqual(self.api("THA", "GET", f"/v1/cases/{CASE}")[0], 404, "nothing was queued")

        # 2. Consented: both holders receive and show the photograph.
        scope = ["identity", "return_logistics", "health", "photograph"]
        ids = {}
        for country, agency in HOLDERS.items():
            status, body = self.api("THA", "POST", "/v1/referrals", referral(f"{country}/{agency}", scope, [INTAKE, PHOTO]))
            self.assertEqual(status, 202, body)
            ids[country] = body["id"]
        for country in HOLDERS:
            kase = wait_until(f"the case at {country}", lambda c=country: self.case_at(c), WAIT_S)
            item = kase["items"][0]
            self.assertEqual(media_types(item["attachments"]), ["application/pdf", "image/jpeg"])
            self.assertIn("Photograph", item["consent"])
            status, ev = self.api(country, "GET", f"/v1/events/{ids[country]}?full")
            self.assertEqual(status, 200, ev)
            self.assertEqual(media_types(ev["event"]["attachments"]), ["application/pdf", "image/jpeg"])
            self.assertNotIn("consent_withdrawn", ev)

        # 3. Photograph withdrawn, recorded on the Cambodian referral only, addressed to nobody by hand.
        status, body = self.api("THA", "POST", f"/v1/items/{ids['KHM']}/consent", {"withdraw": ["photograph"]})
        self.assertEqual(status, 202, body)
        reached = sorted(a for x in body["addressees"] for a in x["agencies"])
        self.assertEqual(reached, sorted(HOLDERS.values()), "the node names every holder it sent the change to")
        withdrawn_at = {c: self.assert_photograph_withdrawn(c, ids[c]) for c in HOLDERS}
        self.assert_photograph_withdrawn("THA", ids["KHM"])
        self.assert_earlier_readers_still_logged(ids, withdrawn_at)
        status, body = self.api("THA", "POST", f"/v1/items/{ids['VNM']}/answer",
                                {"text": "New photograph (test data)", "attachments": [PHOTO]})
        self.assertEqual((status, body["error"]["code"], body["error"]["field"]),
                         (403, "outside_consent", "attachments[0]"), body)
        self.assertIn("withdrawn", body["error"]["message"])
        self.assertIn(THAI_AGENCY, body["error"]["message"])

        # 4. Every consent withdrawn: the victim block is the pseudonym only; only closing steps may be sent.
        status, body = self.api("THA", "POST", f"/v1/items/{ids['VNM']}/consent", {"withdraw_all": True})
        self.assertEqual(status, 202, body)
        for country in HOLDERS:
            def all_withdrawn(c=country):
                kase = self.case_at(c)
                return kase if kase and kase["consent"]["withdrawn_all"] else None
            kase = wait_until(f"all consent withdrawn at {country}", all_withdrawn, WAIT_S)
            item = kase["items"][0]
            self.assertEqual(item["consent"], [])
            self.assertNotIn("victim_details", item)
            self.assertEqual(item["attachments"], [])
            self.assertEqual(item["consent_withdrawn_all"]["by"]["agency"], THAI_AGENCY)
            status, ev = self.api(country, "GET", f"/v1/events/{ids[country]}?full")
            self.assertEqual(ev["event"]["body"]["victim"], {"pseudonym": "V-TH-0192"})
            self.assertEqual(ev["event"].get("attachments", []), [])
        status, body = self.api("THA", "POST", f"/v1/items/{ids['KHM']}/plan-return",
                                {"checkpoint": "Aranyaprathet-Poipet", "on": "2d"})
        self.assertEqual((status, body["error"]["code"]), (403, "outside_consent"), body)
        status, body = self.api("THA", "POST", f"/v1/items/{ids['KHM']}/close", {"outcome": "consent_withdrawn"})
        self.assertEqual(status, 202, "closing is still allowed")

    def assert_photograph_withdrawn(self, country, event_id):
        def withdrawn():
            kase = self.case_at(country)
            return kase if kase and "Photograph" not in kase["consent"]["items"] else None
        kase = wait_until(f"the withdrawal at {country}", withdrawn, WAIT_S)
        note = next(w for w in kase["consent"]["withdrawn"] if w["item"] == "Photograph")
        self.assertEqual(note["by"], {"country": "THA", "agency": THAI_AGENCY})
        self.assertGreater(note["at_us"], 0)
        for item in kase["items"]:
            self.assertEqual(media_types(item["attachments"]), ["application/pdf"], f"{country}: image purged")
            self.assertNotIn("Photograph", item["consent"], f"{country}: the old consent is gone")
            self.assertEqual([w["item"] for w in item["consent_withdrawn"]], ["Photograph"])
            self.assertEqual(item["victim_details"]["nationality_claimed"], "KHM", "Identity is still consented")
        status, ev = self.api(country, "GET", f"/v1/events/{event_id}?full")
        self.assertEqual(status, 200, ev)
        self.assertEqual(media_types(ev["event"]["attachments"]), ["application/pdf"])
        self.assertNotIn("Photograph", ev["event"]["body"]["consent"]["items"])
        hidden = {(h["field"], h["item"]) for h in ev["consent_withdrawn"]}
        self.assertIn(("attachments[1]", "Photograph"), hidden)
        self.assertTrue(all(h["by"]["agency"] == THAI_AGENCY for h in ev["consent_withdrawn"]))
        if country == "THA":
            return note["at_us"]
        status, inbox = self.api(country, "GET", "/v1/inbox?context=item")
        self.assertEqual(status, 200, inbox)
        for entry in inbox["events"]:
            self.assertNotIn("image/jpeg", media_types(entry["event"].get("attachments")))
            if entry["case"]["item"]:
                self.assertNotIn("image/jpeg", media_types(entry["case"]["item"].get("attachments")))
        referral_entry = next(e for e in inbox["events"] if e["event"]["id"] == event_id)
        self.assertIn("Photograph", [h["item"] for h in referral_entry["consent_withdrawn"]])
        return note["at_us"]

    def assert_earlier_readers_still_logged(self, ids, withdrawn_at):
        for country in HOLDERS:
            status, log = self.api(country, "GET", f"/v1/audit/local?case={CASE}&justification=consent+test",
                                   token=self.auditors[country])
            self.assertEqual(status, 200, log)
            readers = [e for e in log["entries"] if e["action"] == "view_event" and ids[country] in e["event_ids"]
                       and e["at_us"] < withdrawn_at[country]]
            self.assertTrue(readers, f"{country}: the officer's read of the photograph before it was withdrawn")
            self.assertEqual(readers[0]["user"], self.cluster.node(country).accounts["officer"][0])
        status, broker = self.api("THA", "GET", f"/v1/audit/broker?case={CASE}&justification=consent+test",
                                  token=self.auditors["THA"])
        self.assertEqual(status, 200, broker)
        delivered = {r["node_id"] for r in broker["records"] if r["action"] == "Delivered"}
        self.assertLessEqual({"kh-node", "vn-node"}, delivered, "the broker still shows who received it")


def main():
    global BUILD
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=BUILD)
    args, rest = parser.parse_known_args()
    BUILD = args.build
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
