#!/usr/bin/python3
"""The officers' console in a real headless Chromium (issue 12), against a real broker and two real nodes.

    /usr/bin/python3 tests/browser/console_test.py --build build/release --shots build/release/screenshots

Scenario 1 through the forms: a Thai officer files the referral, a Cambodian officer sees it appear in the inbox
without reloading, acknowledges and accepts it, and the Thai console shows the new state. Also: Khmer labels, an
auditor cannot send, hostile free text renders as text, a state change without the CSRF token is refused, a failed
login lockout. Screenshots of the inbox, the case view and the form, in English and Khmer, go to --shots.
Waits poll the page with a deadline; nothing sleeps to synchronise.
"""
import argparse
import json
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lintas_cluster import REPO, Cluster, browser, wait_until  # noqa: E402

BUILD = REPO / "build/release"
SHOTS = None
WAIT_S = 20
CATALOGUES = REPO / "nodes/console/i18n"
HOSTILE = "<img src=x onerror=alert(1)>"

cluster = None


def setUpModule():
    global cluster
    cluster = Cluster(BUILD).__enter__()


def tearDownModule():
    if cluster is not None:
        cluster.__exit__(None, None, None)


def catalogue(lang):
    return json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))


class Console:
    """One user's browser on one node's console."""

    def __init__(self, driver, country):
        from selenium.webdriver.common.by import By
        self.d, self.country, self.By = driver, country, By
        self.url = cluster.node(country).url

    def find(self, css):
        return self.d.find_element(self.By.CSS_SELECTOR, css)

    def all(self, css):
        return self.d.find_elements(self.By.CSS_SELECTOR, css)

    def wait(self, what, check, timeout=WAIT_S):
        def safe():
            try:
                return check()
            except Exception:  # the element is being redrawn: ask again
                return None
        return wait_until(what, safe, timeout)

    def wait_css(self, css, timeout=WAIT_S):
        return self.wait(css, lambda: self.all(css), timeout)[0]

    def text(self, css, timeout=WAIT_S):
        """The element's text, read again if a live update redrew the element between finding and reading it."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.find(css).text
            except (NoSuchElementException, StaleElementReferenceException):
                if time.monotonic() >= deadline:
                    raise
            time.sleep(0.05)

    def open(self, hash_=""):
        self.d.get(f"{self.url}/{hash_}")

    def login(self, user, password):
        self.open("#/login")
        self.wait_css("#login-user")
        # The page may still show the last attempt: clear its fields and its error.
        self.d.execute_script("document.querySelector('#login-form .error-summary')?.remove()")
        self.fill("#login-user", user)
        self.fill("#login-password", password)
        self.find("#login-form button[type=submit]").click()

    def login_as(self, role):
        user, password = cluster.node(self.country).accounts[role]
        self.login(user, password)
        self.wait_css("#logout")
        return user

    def go(self, hash_):
        """Navigates inside the page (no reload): the live-update loop keeps running."""
        self.d.execute_script("location.hash = arguments[0]", hash_)

    def click_css(self, css, timeout=WAIT_S):
        """Clicks the element once it is there, again if a live update redrew it in between."""
        from selenium.common.exceptions import StaleElementReferenceException

        def attempt():
            try:
                self.click(self.find(css))
                return True
            except StaleElementReferenceException:
                return False
        self.wait(f"a click on {css}", attempt, timeout)

    def click(self, el):
        """Scrolls the element to the middle of the screen (clear of the header and the status line), clicks it."""
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        el.click()

    def fill(self, css, value):
        el = self.find(css)
        el.clear()
        el.send_keys(value)

    def choose(self, css, value):
        from selenium.webdriver.support.ui import Select
        Select(self.find(css)).select_by_value(value)

    def fetch(self, method, path, body=None, csrf=True):
        """A request from inside the page (its cookie, and the CSRF token unless csrf=False): (status, JSON)."""
        script = """
          const [method, path, body, csrf, done] = arguments;
          const headers = {'Content-Type': 'application/json'};
          (csrf ? fetch('/v1/me').then(r => r.json()).then(me => { headers['X-CSRF-Token'] = me.csrf_token; })
                : Promise.resolve())
            .then(() => fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)}))
            .then(r => r.text().then(t => done([r.status, t])));
        """
        status, raw = self.d.execute_async_script(script, method, path, body, csrf)
        return status, (json.loads(raw) if raw else None)

    def shot(self, name):
        if SHOTS:
            SHOTS.mkdir(parents=True, exist_ok=True)
            # The whole page, not only the window.
            height = self.d.execute_script("return document.documentElement.scrollHeight")
            size = self.d.get_window_size()
            self.d.set_window_size(size["width"], min(max(height, size["height"]), 4000))
            self.d.save_screenshot(str(SHOTS / f"{name}.png"))
            self.d.set_window_size(size["width"], size["height"])


def file_scenario_1(thai, case_id):
    """Scenario 1's referral through the Thai officer's form (a boy of 17, invented pseudonyms)."""
    thai.go("#/new/referral")
    thai.wait_css("#compose-referral #f-to option[value='KHM/social_welfare']")
    thai.choose("#f-to", "KHM/social_welfare")
    # Before sending, the officer sees who the role reaches (issue 13).
    thai.wait("the recipients under the addressee", lambda: "(kh-mosvy)" in thai.text("#f-to-recipients"))
    thai.fill("#f-case-id", case_id)
    thai.fill("#f-reference", f"RTP-ATPD-{case_id}")
    thai.fill("#f-victim-pseudonym", "V-TH-0192")
    thai.choose("#f-victim-sex", "Male")
    thai.fill("#f-victim-age", "17")
    thai.fill("#f-victim-nationality", "KHM")
    thai.fill("#f-victim-languages", "km")
    thai.click(thai.find("#f-consent-Identity"))
    thai.click(thai.find("#f-consent-ReturnLogistics"))
    thai.choose("#f-exploitation", "ForcedLabour")
    thai.fill("#f-summary", "Presumed victim of forced labour on a fishing vessel; wishes to return home.")
    thai.choose("#f-priority", "Urgent")
    thai.fill("#f-due", "3d")
    thai.choose("#f-handling", "H1")


class ConsoleTest(unittest.TestCase):

    def test_scenario_1_referral_through_the_console(self):
        en = catalogue("en")
        with browser() as d_th, browser() as d_kh:
            thai, khmer = Console(d_th, "THA"), Console(d_kh, "KHM")
            thai.login_as("officer")
            khmer.login_as("officer")
            khmer.wait_css("#inbox-summary")
            case_id = "TH-ATPD-2026-0192"

            file_scenario_1(thai, case_id)
            # A minor without a guardian is refused in the page, naming the field.
            thai.click(thai.find("#compose-referral button[type=submit]"))
            thai.wait_css(".error-summary")
            self.assertIn(en["compose.guardian_required"], thai.text(".error-summary"))
            self.assertTrue(thai.all(".has-error #f-victim-guardian"))
            thai.fill("#f-victim-guardian", "G-TH-0192-1")
            thai.fill("#f-victim-guardian-relationship", "uncle")
            thai.shot("form-en")
            thai.click(thai.find("#compose-referral button[type=submit]"))
            # The form leads to the new case, sent and waiting for the partner.
            thai.wait(f"case {case_id} at THA", lambda: case_id in thai.text("main h1") and thai.all("#thread"))
            self.assertIn(thai.find("section.item").get_attribute("data-state"), ("sent", "delivered"))

            # The Cambodian inbox shows it without a reload, new and urgent.
            # Rows are read as text inside the wait: a live update may redraw the table at any moment.
            row_text = khmer.wait(f"{case_id} in the KHM inbox",
                                  lambda: [t for t in (r.text for r in khmer.all("tbody tr")) if case_id in t])[0]
            self.assertIn(en["inbox.new"], row_text)
            self.assertIn(en["priority.Urgent"], row_text)
            khmer.shot("inbox-en")

            def open_row():
                khmer.click([r for r in khmer.all("tbody tr") if case_id in r.text][0])
                return True
            khmer.wait(f"a click on {case_id}", open_row)
            khmer.wait_css("#thread")
            page = khmer.text("main")
            for expected in ("V-TH-0192", f"RTP-ATPD-{case_id}", en["consent.Identity"], en["consent.ReturnLogistics"],
                             en["exploitation.ForcedLabour"], en["handling.H1"]):
                self.assertIn(expected, page)
            self.assertNotIn(en["consent.Health"], khmer.text("section.item"))

            # Acknowledge (a person), then accept.
            for action, fields in (("acknowledge", {"reference": "MOSVY-2026-0192"}), ("accept", {})):
                khmer.click_css(f"button[data-action={action}]")
                form = khmer.wait_css(f".action-panel form[id^=form-{action}]")
                for name, value in fields.items():
                    form.find_element(khmer.By.CSS_SELECTOR, f"[id^={action}-{name}]").send_keys(value)
                khmer.click(form.find_element(khmer.By.CSS_SELECTOR, "button[type=submit]"))
                khmer.wait(f"{action} applied", lambda: not khmer.all(".action-panel form"))
            khmer.wait("accepted at KHM", lambda: khmer.find("section.item").get_attribute("data-state") == "accepted")
            self.assertIn("MOSVY-2026-0192", khmer.text("main"))
            khmer.shot("case-en")

            # The Thai console, still on the case, shows the new state without a reload.
            thai.wait("accepted at THA", lambda: thai.find("section.item").get_attribute("data-state") == "accepted", 30)
            thread = thai.text("#thread")
            self.assertIn(en["body.ReferralAcknowledged"], thread)
            self.assertIn(en["body.ReferralAccepted"], thread)
            self.assertIn("MOSVY-2026-0192", thai.text("main"))

            # The statistics page counts it (GET /v1/statistics once answered 500 as soon as there was an item).
            thai.go("#/statistics")
            partners = thai.wait("the statistics page", lambda: thai.text("#stat-partner"))
            self.assertIn(en["country.KHM"], partners)
            self.assertNotIn(en["statistics.none"], partners)
            self.assertIn(en["state.accepted"], thai.text("#stat-state"))

    def test_khmer_labels(self):
        km = catalogue("km")
        en = catalogue("en")
        self.assertNotEqual(km["nav.inbox"], en["nav.inbox"])
        cluster.seed_referrals("THA", "KHM", 1)
        with browser() as d:
            khmer = Console(d, "KHM")
            khmer.login_as("officer")
            khmer.wait_css("#inbox-summary")
            khmer.choose("#language", "km")
            khmer.wait("Khmer navigation", lambda: km["nav.inbox"] in khmer.text("nav"))
            self.assertEqual(d.execute_script("return document.documentElement.lang"), "km")
            khmer.wait_css("main h1")
            self.assertIn(km["inbox.title"], khmer.text("main h1"))
            khmer.wait_css("tbody tr")
            self.assertIn(km["priority.Urgent"], khmer.text("tbody"))
            # The deadline in Khmer too: Debian's Chromium has no Khmer date data, the catalogue stands in.
            self.assertNotIn("in 2 days", khmer.text("tbody"))
            self.assertIn(km["time.future.day"].replace("{n}", "2"), khmer.text("tbody"))
            khmer.shot("inbox-km")
            khmer.find("tbody tr").click()
            khmer.wait_css("#thread")
            self.assertIn(km["case.parties"], khmer.text("main"))
            khmer.shot("case-km")
            khmer.go("#/new/referral")
            khmer.wait_css("#compose-referral")
            self.assertIn(km["field.victim.pseudonym"], khmer.text("#compose-referral"))
            khmer.shot("form-km")
            # The choice is the user's, kept by the node: a new session starts in Khmer.
            status, me = khmer.fetch("GET", "/v1/me")
            self.assertEqual((status, me["language"]), (200, "km"))
            khmer.find("#logout").click()
            khmer.wait_css("#login-form")
            khmer.login_as("officer")
            khmer.wait("Khmer after a new login", lambda: km["nav.inbox"] in khmer.text("nav"))
            khmer.choose("#language", "en")
            khmer.wait("English again", lambda: en["nav.inbox"] in khmer.text("nav"))

    def test_phone_layout(self):
        cluster.seed_referrals("THA", "KHM", 1)
        with browser(width=390, height=844, phone=True) as d:
            khmer = Console(d, "KHM")
            khmer.login_as("officer")
            khmer.wait_css("tbody tr")
            # Nothing wider than the screen: the table is laid out as blocks.
            wide = d.execute_script("""
              return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
                .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 5)""")
            self.assertEqual(d.execute_script("return innerWidth"), 390)
            self.assertLessEqual(d.execute_script("return document.documentElement.scrollWidth"), 390, wide)
            khmer.shot("inbox-phone-en")

    def test_auditor_cannot_send(self):
        en = catalogue("en")
        with browser() as d:
            auditor = Console(d, "THA")
            auditor.login_as("auditor")
            nav = auditor.text("nav")
            self.assertIn(en["nav.audit"], nav)
            self.assertNotIn(en["nav.new_referral"], nav)
            auditor.go("#/new/referral")
            auditor.wait_css("main .failure")
            self.assertIn(en["compose.officers_only"], auditor.text("main .failure"))
            # The server decides, not the hidden button: the same request from the page is refused.
            status, body = auditor.fetch("POST", "/v1/referrals", cluster.referral_body("THA", "KHM", 990001))
            self.assertEqual(status, 403, body)
            self.assertEqual(body["error"]["code"], "forbidden")

    def test_auditor_sees_who_viewed_and_who_received_a_case(self):
        en = catalogue("en")
        sent = cluster.seed_referrals("THA", "KHM", 1)[0]
        officer = cluster.login("KHM", "officer")
        status, _ = cluster.api("KHM", "GET", f"/v1/cases/{sent['case_id']}", token=officer)
        self.assertEqual(status, 200)
        with browser() as d:
            auditor = Console(d, "KHM")
            auditor.login_as("auditor")
            auditor.wait_css("#audit-form")
            self.assertTrue(auditor.all("#checkpoint"))
            # Where the broker's signing key came from, and the other nodes' co-signed checkpoints (issue 15).
            source = auditor.wait("the signing key's source", lambda: auditor.all("#signing-key-source")
                                  and auditor.text("#signing-key-source"))
            self.assertIn(source, (en["audit.pinned_config"], en["audit.pinned_first_use"]))
            self.assertIn(en["audit.witnesses"], auditor.text("#checkpoint"))
            auditor.fill("#audit-justification", "DPO review of a test case")
            auditor.fill("#audit-case", sent["case_id"])
            auditor.click(auditor.find("#audit-form button[type=submit]"))
            local = auditor.wait("the node's log", lambda: "officer-kh-0001" in auditor.text("#audit-results table")
                                 and auditor.text("#audit-results"))
            self.assertIn(en["audit.action.view_case"], local)
            self.assertIn(en["audit.chain_ok"].split("(")[0].strip(), auditor.text("#chain-status"))
            broker = auditor.wait("the broker's log", lambda: auditor.text("#broker-log table"))
            self.assertIn("kh-node", broker)
            self.assertIn(en["audit.broker_action.Delivered"], broker)
            auditor.shot("audit-en")

    def test_hostile_free_text_renders_as_text(self):
        token = cluster.login("THA", "officer")
        body = cluster.referral_body("THA", "KHM", 990002)
        body["summary"] = HOSTILE
        body["reference"] = "REF-<b>bold</b>"
        status, reply = cluster.api("THA", "POST", "/v1/referrals", body, token=token)
        self.assertEqual(status, 202, reply)
        with browser() as d:
            khmer = Console(d, "KHM")
            khmer.login_as("officer")
            khmer.go("#/case/" + body["case_id"])
            summary = khmer.wait(
                "the case at KHM",
                lambda: [t for t in (e.text for e in khmer.all("section.item .free-text")) if t == HOSTILE] or khmer.go(
                    "#/case/" + body["case_id"]))[0]
            self.assertEqual(summary, HOSTILE)
            self.assertEqual(khmer.all("main img"), [])
            self.assertEqual(khmer.all("main b"), [])
            self.assertIn("REF-<b>bold</b>", khmer.text("main"))
            self.assertFalse(d.execute_script("return document.querySelector('[onerror]') !== null"))
            from selenium.common.exceptions import NoAlertPresentException
            with self.assertRaises(NoAlertPresentException):
                d.switch_to.alert.text

    def test_state_change_without_csrf_token_is_refused(self):
        body = cluster.referral_body("THA", "KHM", 990003)
        status, reply = cluster.api("THA", "POST", "/v1/referrals", body, token=cluster.login("THA", "officer"))
        self.assertEqual(status, 202, reply)
        item_id = reply["id"]
        with browser() as d:
            thai = Console(d, "THA")
            thai.login_as("officer")
            status, refused = thai.fetch("POST", f"/v1/items/{item_id}/extend", {"due": "5d"}, csrf=False)
            self.assertEqual(status, 403, refused)
            self.assertEqual(refused["error"]["field"], "X-CSRF-Token")
            # The same step with the page's token is taken.
            status, taken = thai.fetch("POST", f"/v1/items/{item_id}/extend", {"due": "5d"})
            self.assertEqual(status, 202, taken)
            # The session cookie is out of the page's reach.
            self.assertNotIn("lintas_session", d.execute_script("return document.cookie"))

    def test_failed_login_lockout(self):
        en = catalogue("en")
        admin = cluster.login("KHM", "admin")
        user, password = "officer-kh-lockout", "correct horse battery staple"
        status, reply = cluster.api("KHM", "POST", "/v1/users", {
            "id": user, "agency": "kh-mosvy", "roles": ["officer"], "password": password}, token=admin)
        self.assertEqual(status, 201, reply)
        with browser() as d:
            khmer = Console(d, "KHM")
            for attempt in range(5):
                khmer.login(user, f"wrong password {attempt}")
                khmer.wait_css(".error-summary")
                self.assertIn(en["login.wrong"], khmer.text(".error-summary"))
            # Locked now: even the right password is refused, and the page says why.
            khmer.login(user, password)
            self.assertIn(en["login.locked_out"], khmer.wait(
                "the lockout message", lambda: en["login.locked_out"] in khmer.text(".error-summary") and khmer.find(
                    ".error-summary")).text)
            self.assertEqual(khmer.all("#logout"), [])


def main():
    global BUILD, SHOTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(BUILD))
    parser.add_argument("--shots", default="", help="folder for the screenshots (none if empty)")
    args, rest = parser.parse_known_args()
    BUILD = Path(args.build)
    SHOTS = Path(args.shots) if args.shots else None
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
