"""The calls tests/api/contract_test.py makes against a THA and a KHM node, in order: one scenario that takes every
documented operation through a success and its usual refusals. Each reply must have the expected status, which must
be documented for the operation, and a body that validates against the documented schema.

Adding a route: document it in docs/openapi.yaml, then add a Case here (a success, and the refusals that name a
field). The test fails while a documented operation has no successful case.

Case fields:
  method, path  the documented operation (path exactly as in the yaml, e.g. "/v1/items/{item_id}/accept")
  status        the status expected
  who           a role of the node's test accounts (officer, supervisor, auditor, admin); None: no credentials;
                "cookie:ROLE": the console's session cookie with its CSRF token; "cookie-no-csrf:ROLE": without it;
                "$name": the token saved in the context under `name`
  country       the node called (THA sends to KHM; default KHM)
  params        path parameters; query: query parameters; body: JSON; raw: bytes instead; chunked: send chunked
  error_field   for a refusal: the `error.field` expected
  wait          Wait(...): polled (GET, with a deadline) before the call, until the predicate holds
  save          {context name: key of the reply's JSON, or callable(body, headers)}
  check         callable(body, ctx): more assertions on the reply
Strings in params, query, body, headers and who are templates: "$name" is the context value `name`.
"""
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional


@dataclass
class Wait:
    country: str
    path: str
    until: Callable[[Any], bool]
    who: str = "officer"


@dataclass
class Case:
    method: str
    path: str
    status: int
    who: Optional[str] = "officer"
    country: str = "KHM"
    params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: Any = None
    raw: Optional[bytes] = None
    chunked: bool = False
    headers: dict = field(default_factory=dict)
    error_field: Optional[str] = None
    wait: Optional[Wait] = None
    save: dict = field(default_factory=dict)
    check: Optional[Callable[[Any, dict], None]] = None


def uuid7():
    """A UUIDv7 (the node refuses other versions as event ids)."""
    b = bytearray(uuid.uuid4().bytes)
    b[0:6] = (time.time_ns() // 1_000_000).to_bytes(6, "big")
    b[6] = 0x70 | (b[6] & 0x0F)
    b[8] = 0x80 | (b[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(b)))


def referral(case_id, n, **extra):
    """Scenario 1's referral, with invented pseudonyms."""
    body = {"to": "KHM/kh-mosvy", "case_id": case_id, "reference": f"TH-RTP-API-{n:04d}",
            "victim": {"pseudonym": f"V-TH-API-{n:04d}", "sex": "male", "age": 17, "minor": True,
                       "guardian": f"G-TH-API-{n:04d}-1", "nationality": "KHM", "languages": ["km"]},
            "consent": ["identity", "return_logistics"], "exploitation": "forced_labour",
            "summary": "Presumed victim of forced labour on a fishing vessel (test data)",
            "priority": "urgent", "due": "3d", "handling": "H1"}
    body.update(extra)
    return body


def state_is(*states):
    return lambda item: item.get("state") in states


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def initial_context():
    return {"raw_id": uuid7(), "new_password": "contract-test-password-1", "newer_password": "contract-test-password-2"}


BODY_TYPES = ["ReferralCreated", "ReferralAcknowledged", "ReferralAccepted", "ReferralDeclined",
              "ClarificationRequested", "OwnerAssigned", "DeadlineExtended", "ConsentChanged", "ReturnPlanned",
              "ReturnExecuted", "ReferralClosed", "InformationRequested", "InformationProvided", "InformationRefused",
              "InformationDelayed", "SpontaneousInformation", "CasesLinked", "AlertPublished", "AlertCancelled",
              "DeliveryReceipt", "ReadReceipt", "CaseErased"]

REF1 = {"item_id": "$ref1"}

CASES = [
    # -- public, session ------------------------------------------------------------------------------------------------
    Case("GET", "/v1/health", 200, who=None,
         check=lambda b, c: expect(b["node"] == "kh-node" and b["broker_connected"], "KHM's health")),
    Case("POST", "/v1/login", 200, who=None, body={"user": "officer-kh-0001", "password": "test-password-officer-kh-0001"},
         save={"logout_token": "token"}, check=lambda b, c: expect(b["token"].startswith("lnt_"), "a token")),
    Case("POST", "/v1/login", 400, who=None, body={"user": "", "password": "x"}, error_field="user"),
    Case("POST", "/v1/login", 400, who=None, body={"user": "officer-kh-0001", "password": "x", "session": "jwt"},
         error_field="session"),
    Case("POST", "/v1/login", 401, who=None, body={"user": "officer-kh-0001", "password": "not-the-password"}),
    # Five failures lock an account, and a name that is no account the same way (429 with Retry-After).
    *[Case("POST", "/v1/login", 401, who=None, body={"user": "nobody-kh-0001", "password": "not-a-password"},
           error_field="password") for _ in range(5)],
    Case("POST", "/v1/login", 429, who=None, body={"user": "nobody-kh-0001", "password": "not-a-password"},
         error_field="user", save={"retry_after": lambda b, h: int(h["retry-after"])},
         check=lambda b, c: expect(b["error"]["code"] == "locked_out" and c["retry_after"] > 0, "locked out")),
    Case("POST", "/v1/login", 400, who=None, raw=b"[1, 2", error_field="body"),
    Case("POST", "/v1/login", 411, who=None, raw=b'{"user": "officer-kh-0001"}', chunked=True,
         error_field="Content-Length"),
    Case("POST", "/v1/login", 413, who=None, raw=b'{"user": "' + b"x" * (1024 * 1024 + 16) + b'"}', error_field="body"),
    Case("GET", "/v1/me", 200, check=lambda b, c: expect(b["id"] == "officer-kh-0001" and b["session"], "the caller")),
    Case("GET", "/v1/me", 200, who="cookie:officer",
         check=lambda b, c: expect(len(b.get("csrf_token", "")) == 64, "a cookie session's CSRF token")),
    Case("PUT", "/v1/me/language", 403, who="cookie-no-csrf:officer", body={"language": "km"}, error_field="X-CSRF-Token"),
    Case("PUT", "/v1/me/language", 200, who="cookie:officer", body={"language": "km"},
         check=lambda b, c: expect(b["language"] == "km", "the language kept")),
    Case("PUT", "/v1/me/language", 400, body={"language": "xx"}, error_field="language"),
    Case("POST", "/v1/logout", 204, who="$logout_token"),
    Case("GET", "/v1/me", 401, who="$logout_token", error_field="token"),

    # -- accounts (KHM's administrator) ---------------------------------------------------------------------------------
    Case("GET", "/v1/users", 200, who="admin",
         check=lambda b, c: expect({"officer-kh-0001", "admin-kh-0001"} <= {u["id"] for u in b["users"]}, "accounts")),
    Case("GET", "/v1/users", 403, who="officer", error_field="role"),
    Case("POST", "/v1/users", 201, who="admin",
         body={"id": "officer-kh-0099", "agency": "kh-mosvy", "roles": ["officer"], "display_name": "Officer 99",
               "password": "$new_password"}),
    Case("POST", "/v1/users", 409, who="admin",
         body={"id": "officer-kh-0099", "agency": "kh-mosvy", "roles": ["officer"], "password": "$new_password"},
         error_field="id"),
    Case("POST", "/v1/users", 400, who="admin",
         body={"id": "officer-kh-0098", "agency": "kh-mosvy", "roles": ["chief"], "password": "$new_password"},
         error_field="roles"),
    Case("POST", "/v1/users", 403, who="admin",
         body={"id": "officer-kh-0098", "agency": "th-rtp-atpd", "roles": ["officer"], "password": "$new_password"},
         error_field="agency"),
    Case("POST", "/v1/users/{user_id}/disable", 200, who="admin", params={"user_id": "officer-kh-0099"},
         check=lambda b, c: expect(b["disabled"] is True, "disabled")),
    Case("POST", "/v1/users/{user_id}/disable", 409, who="admin", params={"user_id": "admin-kh-0001"}, error_field="user"),
    Case("POST", "/v1/users/{user_id}/disable", 404, who="admin", params={"user_id": "officer-th-0001"}, error_field="user"),
    Case("POST", "/v1/users/{user_id}/enable", 200, who="admin", params={"user_id": "officer-kh-0099"},
         check=lambda b, c: expect(b["disabled"] is False, "enabled")),
    Case("POST", "/v1/users/{user_id}/password", 400, who="admin", params={"user_id": "officer-kh-0099"},
         body={"password": "short"}, error_field="password"),
    Case("POST", "/v1/users/{user_id}/password", 200, who="admin", params={"user_id": "officer-kh-0099"},
         body={"password": "$newer_password"}),
    Case("POST", "/v1/login", 200, who=None, body={"user": "officer-kh-0099", "password": "$newer_password"},
         save={"tok99": "token"}),
    Case("POST", "/v1/me/password", 400, who="$tok99", body={"old_password": "wrong-password-1", "new_password": "x" * 12},
         error_field="old_password"),
    Case("POST", "/v1/me/password", 200, who="$tok99",
         body={"old_password": "$newer_password", "new_password": "$new_password"},
         check=lambda b, c: expect(b["changed"] and b["token"].startswith("lnt_"), "a fresh session")),
    Case("GET", "/v1/me", 401, who="$tok99"),  # a new password ends every session
    Case("POST", "/v1/tokens", 201, body={"name": "contract test", "expires": "1d"}, save={"token_id": "id"}),
    Case("POST", "/v1/tokens", 400, body={"name": "contract test", "expires": "soon"}, error_field="expires"),
    Case("POST", "/v1/tokens", 403, body={"name": "for someone", "user": "supervisor-kh-0001"}, error_field="user"),
    Case("GET", "/v1/tokens", 200,
         check=lambda b, c: expect(c["token_id"] in {t["id"] for t in b["tokens"]}, "the issued token listed")),
    Case("GET", "/v1/tokens", 403, query={"user": "admin-kh-0001"}, error_field="user"),
    Case("DELETE", "/v1/tokens/{token_id}", 204, params={"token_id": "$token_id"}),
    Case("DELETE", "/v1/tokens/{token_id}", 404, params={"token_id": "0123456789ab"}, error_field="token"),

    # -- a referral THA -> KHM through its whole lifecycle --------------------------------------------------------------
    Case("POST", "/v1/referrals", 202, country="THA", body=referral("TH-API-0001", 1), save={"ref1": "id"}),
    Case("POST", "/v1/referrals", 400, country="THA",
         body=referral("TH-API-0009", 9, victim={"pseudonym": "V-TH-API-0009", "minor": True}),
         error_field="victim.guardian"),
    Case("POST", "/v1/referrals", 400, country="THA", body=referral("TH-API-0009", 9, priority="soon"),
         error_field="priority"),
    Case("POST", "/v1/referrals", 400, country="THA", body=referral("TH-API-0009", 9, to="KHM"), error_field="to"),
    Case("POST", "/v1/referrals", 403, country="THA", who="auditor", body=referral("TH-API-0009", 9), error_field="role"),
    Case("GET", "/v1/events/{event_id}", 200, country="THA", params={"event_id": "$ref1"},
         check=lambda b, c: expect(b["case_id"] == "TH-API-0001" and b["item_id"] == c["ref1"], "the item's event")),
    Case("GET", "/v1/events/{event_id}", 200, country="THA", params={"event_id": "$ref1"}, query={"full": ""},
         check=lambda b, c: expect(b["event"]["body_type"] == "ReferralCreated", "the event itself")),
    Case("GET", "/v1/events/{event_id}", 404, country="THA", params={"event_id": "not-an-id"}, error_field="id"),
    Case("GET", "/v1/events/{event_id}/broker-receipt", 200, country="THA", params={"event_id": "$ref1"},
         wait=Wait("THA", "/v1/events/$ref1/broker-receipt", lambda b: isinstance(b, dict) and "statement" in b),
         check=lambda b, c: expect(b["type"] == "lintas-receipt" and b["offset"] >= 1, "the broker's signed ack")),
    Case("GET", "/v1/events/{event_id}/broker-receipt", 404, country="THA", params={"event_id": "not-an-id"},
         error_field="id"),
    Case("GET", "/v1/items/{item_id}", 200, params=REF1, wait=Wait("KHM", "/v1/items/$ref1", state_is("received")),
         check=lambda b, c: expect(b["direction"] == "incoming" and b["victim"] == "V-TH-API-0001", "KHM's item")),
    Case("GET", "/v1/items/{item_id}", 400, who="auditor", params=REF1, error_field="justification"),
    Case("GET", "/v1/items/{item_id}", 200, who="auditor", params=REF1, query={"justification": "contract test"}),
    Case("GET", "/v1/items/{item_id}", 404, params={"item_id": "019a3f2b-4800-7001-8000-000000000000"},
         error_field="id"),
    Case("GET", "/v1/cases", 200,
         check=lambda b, c: expect("TH-API-0001" in {k["case_id"] for k in b["cases"]}, "the case listed")),
    Case("GET", "/v1/cases", 200, query={"state": "open", "limit": "5"}),
    Case("GET", "/v1/cases", 400, query={"state": "pending"}, error_field="state"),
    Case("GET", "/v1/cases", 400, who="auditor", error_field="justification"),
    Case("GET", "/v1/cases/{case_id}", 200, params={"case_id": "TH-API-0001"},
         check=lambda b, c: expect(b["events"][0]["id"] == c["ref1"], "the thread")),
    Case("GET", "/v1/cases/{case_id}", 404, params={"case_id": "NO-SUCH-CASE"}, error_field="id"),
    Case("GET", "/v1/inbox", 200, save={"first_offset": lambda b, h: b["events"][0]["offset"]},
         check=lambda b, c: expect(c["ref1"] in {e["event"]["id"] for e in b["events"]}, "the referral received")),
    Case("GET", "/v1/inbox", 403, who="admin", error_field="role"),
    Case("POST", "/v1/readers/{reader}/ack", 200, params={"reader": "contract"}, body={"offset": "$first_offset"}),
    Case("POST", "/v1/readers/{reader}/ack", 400, params={"reader": "contract"}, body={"offset": "one"},
         error_field="offset"),
    Case("GET", "/v1/inbox", 200, query={"reader": "contract"},
         check=lambda b, c: expect(all(e["offset"] > c["first_offset"] for e in b["events"]), "after the cursor")),
    Case("POST", "/v1/items/{item_id}/accept", 403, country="THA", params=REF1, error_field="body_type"),
    Case("POST", "/v1/items/{item_id}/acknowledge", 202, params=REF1,
         body={"note": "Case officer assigned", "reference": "KH-MOSVY-API-0001"}),
    Case("POST", "/v1/items/{item_id}/acknowledge", 409, params=REF1, body={}, error_field="id"),
    Case("POST", "/v1/items/{item_id}/clarify", 202, params=REF1, body={"questions": ["Which port?"]}),
    Case("POST", "/v1/items/{item_id}/answer", 202, country="THA", params=REF1, body={"text": "Kampot"},
         wait=Wait("THA", "/v1/items/$ref1", state_is("clarification"))),
    Case("POST", "/v1/items/{item_id}/answer", 400, country="THA", params=REF1, body={}, error_field="text"),
    Case("POST", "/v1/items/{item_id}/accept", 202, params=REF1, body={"note": "Shelter place found"},
         wait=Wait("KHM", "/v1/items/$ref1", state_is("acknowledged"))),
    Case("POST", "/v1/items/{item_id}/assign", 202, params=REF1, body={}),
    Case("POST", "/v1/items/{item_id}/extend", 202, country="THA", params=REF1, body={"due": "5d", "reason": "Holiday"}),
    Case("POST", "/v1/items/{item_id}/extend", 400, country="THA", params=REF1, body={"due": "next week"},
         error_field="due"),
    Case("POST", "/v1/items/{item_id}/consent", 202, country="THA", params=REF1, body={"withdraw": ["identity"]}),
    Case("POST", "/v1/items/{item_id}/consent", 400, country="THA", params=REF1, body={}, error_field="withdraw"),
    Case("POST", "/v1/items/{item_id}/plan-return", 202, country="THA", params=REF1,
         body={"checkpoint": "Aranyaprathet-Poipet", "on": "2d"},
         wait=Wait("THA", "/v1/items/$ref1", state_is("accepted"))),
    Case("POST", "/v1/items/{item_id}/returned", 202, params=REF1, body={"checkpoint": "Aranyaprathet-Poipet"},
         wait=Wait("KHM", "/v1/items/$ref1", state_is("return_planned"))),
    Case("POST", "/v1/items/{item_id}/read", 202, params=REF1, body={}),
    Case("POST", "/v1/events/{event_id}/receipt", 202, params={"event_id": "$ref1"}, body={"kind": "read"}),
    Case("POST", "/v1/events/{event_id}/receipt", 400, params={"event_id": "$ref1"}, body={"kind": "delivery"},
         error_field="kind"),
    Case("POST", "/v1/items/{item_id}/close", 400, params=REF1, body={"outcome": "happy"}, error_field="outcome"),
    Case("POST", "/v1/items/{item_id}/close", 202, params=REF1, body={"outcome": "reintegrated", "note": "Follow-up"}),
    Case("POST", "/v1/items/{item_id}/close", 202, country="THA", params=REF1, body={"outcome": "returned"}),
    Case("POST", "/v1/items/{item_id}/close", 409, country="THA", params=REF1, body={"outcome": "returned"},
         error_field="id"),

    # -- a second referral, declined; an acknowledgement by event id ----------------------------------------------------
    Case("POST", "/v1/referrals", 202, country="THA", body=referral("TH-API-0002", 2), save={"ref2": "id"}),
    Case("POST", "/v1/events/{event_id}/acknowledge", 202, params={"event_id": "$ref2"}, body={},
         wait=Wait("KHM", "/v1/items/$ref2", state_is("received"))),
    Case("POST", "/v1/items/{item_id}/decline", 400, params={"item_id": "$ref2"}, body={}, error_field="reason"),
    Case("POST", "/v1/items/{item_id}/decline", 202, params={"item_id": "$ref2"},
         body={"reason": "not_competent", "note": "Adult case", "suggested": "KHM/police"}),
    Case("POST", "/v1/items/{item_id}/accept", 409, params={"item_id": "$ref2"}, body={}, error_field="body_type"),

    # -- information requests: delayed then provided; refused -----------------------------------------------------------
    Case("POST", "/v1/requests", 202, country="THA", save={"req1": "id"},
         body={"to": "KHM/kh-mosvy", "case_id": "TH-API-0003", "subject": "S-TH-API-0003",
               "questions": ["Was the vessel registered in Kampot?"], "legal_basis": "MoU 2014, art. 5"}),
    Case("POST", "/v1/requests", 400, country="THA", body={"to": "KHM/kh-mosvy", "case_id": "TH-API-0003"},
         error_field="subject"),
    Case("POST", "/v1/items/{item_id}/delay", 202, params={"item_id": "$req1"},
         body={"reason": "Records are at the provincial office", "until": "5d"},
         wait=Wait("KHM", "/v1/items/$req1", state_is("requested"))),
    Case("POST", "/v1/items/{item_id}/delay", 400, params={"item_id": "$req1"}, body={"reason": "Again", "until": "-1d"},
         error_field="until"),
    Case("POST", "/v1/items/{item_id}/provide", 202, params={"item_id": "$req1"}, body={"content": "Registered 2019"}),
    Case("POST", "/v1/items/{item_id}/provide", 409, params={"item_id": "$req1"}, body={"content": "Again"},
         error_field="body_type"),
    Case("POST", "/v1/requests", 202, country="THA", save={"req2": "id"},
         body={"to": "KHM/kh-mosvy", "case_id": "TH-API-0004", "subject": "S-TH-API-0004", "questions": "Owner?"}),
    Case("POST", "/v1/items/{item_id}/refuse", 202, params={"item_id": "$req2"}, body={"reason": "not_held"},
         wait=Wait("KHM", "/v1/items/$req2", state_is("requested"))),

    # -- alerts ---------------------------------------------------------------------------------------------------------
    Case("POST", "/v1/alerts", 202, country="THA", save={"alert1": "id"},
         body={"category": "scam_compound", "title": "Scam compound: about forty people held (test data)",
               "countries": ["KHM"], "expires": "2d"}),
    Case("POST", "/v1/alerts", 400, country="THA", body={"title": "No category"}, error_field="category"),
    Case("GET", "/v1/alerts", 200, country="THA",
         check=lambda b, c: expect(c["alert1"] in {a["item_id"] for a in b["alerts"]}, "the alert listed")),
    Case("GET", "/v1/alerts", 400, country="THA", query={"state": "old"}, error_field="state"),
    Case("POST", "/v1/alerts/{alert_id}/cancel", 202, country="THA", params={"alert_id": "$alert1"},
         body={"reason": "People freed"}),
    Case("POST", "/v1/alerts/{alert_id}/cancel", 409, country="THA", params={"alert_id": "$alert1"}, body={},
         error_field="parent_id"),
    Case("POST", "/v1/alerts/{alert_id}/cancel", 404, country="THA", params={"alert_id": "$ref1"}, body={},
         error_field="id"),
    Case("GET", "/v1/alerts", 200, country="THA", query={"state": "cancelled"},
         check=lambda b, c: expect([a["item_id"] for a in b["alerts"]] == [c["alert1"]], "the cancelled alert")),

    # -- deadlines, statistics ------------------------------------------------------------------------------------------
    Case("GET", "/v1/overdue", 200),
    Case("GET", "/v1/overdue", 403, query={"escalated": "true"}, error_field="escalated"),
    Case("GET", "/v1/overdue", 200, who="supervisor", query={"escalated": "true"}),
    Case("GET", "/v1/deadlines/missed", 200, who="supervisor"),
    Case("GET", "/v1/deadlines/missed", 403, error_field="role"),
    Case("GET", "/v1/deadlines/missed", 200, who="auditor", query={"justification": "contract test"}),
    Case("GET", "/v1/statistics", 200,
         check=lambda b, c: expect(b["agency"] == "kh-mosvy" and b["by_partner"]["THA"]["incoming"] == 4,
                                   "two referrals and two requests from THA")),
    Case("GET", "/v1/statistics", 400, who="auditor", error_field="justification"),
    Case("GET", "/v1/statistics", 200, who="auditor", query={"justification": "contract test"}),
    Case("GET", "/v1/stats", 200, query={"by": "partner,direction"},
         check=lambda b, c: expect(b["items"] == 4 and len(b["groups"]) >= 1, "four items from THA, grouped")),
    Case("GET", "/v1/stats", 400, query={"by": "colour"}, error_field="by"),
    Case("GET", "/v1/inbox", 200, query={"context": "item", "after": "0"},
         check=lambda b, c: expect(all("case" in e for e in b["events"]), "each event with its item")),

    # -- raw events -----------------------------------------------------------------------------------------------------
    Case("POST", "/v1/events", 202, country="THA",
         body={"id": "$raw_id", "destinations": [{"country": "KHM", "agency": "kh-mosvy"}], "case_id": "TH-API-0005",
               "body_type": "SpontaneousInformation",
               "body": {"subject": "S-TH-API-0005", "content": "Vessel seen at Kampot (test data)"}}),
    Case("POST", "/v1/events", 200, country="THA",  # the same id again: its status
         body={"id": "$raw_id", "destinations": [{"country": "KHM", "agency": "kh-mosvy"}], "case_id": "TH-API-0005",
               "body_type": "SpontaneousInformation",
               "body": {"subject": "S-TH-API-0005", "content": "Vessel seen at Kampot (test data)"}},
         check=lambda b, c: expect(b["id"] == c["raw_id"], "the same event")),
    Case("POST", "/v1/events", 403, country="THA", error_field="officer",
         body={"officer": "officer-th-0002", "destinations": [{"country": "KHM", "agency": "kh-mosvy"}],
               "body_type": "SpontaneousInformation", "body": {"content": "x"}}),
    Case("POST", "/v1/events", 403, country="THA", error_field="origin.agency",
         body={"origin": {"agency": "th-msdhs"}, "destinations": [{"country": "KHM", "agency": "kh-mosvy"}],
               "body_type": "SpontaneousInformation", "body": {"content": "x"}}),
    Case("POST", "/v1/events", 400, country="THA",
         body={"destinations": [{"country": "KHM"}], "body_type": "NoSuchBody", "body": {}}),

    # -- role addressing and handling codes (issue 13) ------------------------------------------------------------------
    # VNM/police: two police agencies in Viet Nam; the directory designates vn-mps-cpd, and the sender sees it.
    Case("POST", "/v1/referrals", 200, country="THA", query={"dry_run": "true"},
         body=referral("TH-API-0013", 13, to="VNM/police"),
         check=lambda b, c: expect([(r["agency"], r["country"]) for r in b["recipients"]] == [("vn-mps-cpd", "VNM")]
                                   and b["recipients"][0]["name"].startswith("Ministry of Public Security"),
                                   "VNM/police resolves to its designated counterpart alone")),
    Case("POST", "/v1/referrals", 202, country="THA", body=referral("TH-API-0014", 14, handling="H2"),
         save={"h2ref": "id"},
         check=lambda b, c: expect([r["agency"] for r in b["recipients"]] == ["kh-mosvy"], "the recipients shown")),
    Case("POST", "/v1/events", 400, country="THA", error_field="handling",
         body={"parent_id": "$h2ref", "handling": "H0", "destinations": [{"country": "KHM", "agency": "kh-mosvy"}],
               "case_id": "TH-API-0014", "body_type": "SpontaneousInformation", "body": {"content": "weaker (test)"}}),
    Case("POST", "/v1/events", 202, country="THA", save={"h2answer": "id"},
         body={"parent_id": "$h2ref", "destinations": [{"country": "KHM", "agency": "kh-mosvy"}],
               "case_id": "TH-API-0014", "body_type": "SpontaneousInformation", "body": {"content": "inherits (test)"}},
         check=lambda b, c: expect([r["agency"] for r in b["recipients"]] == ["kh-mosvy"], "the recipients shown")),
    Case("GET", "/v1/events/{event_id}", 200, country="THA", params={"event_id": "$h2answer"}, query={"full": ""},
         check=lambda b, c: expect(b["event"]["handling"] == "H2", "the answer inherits its parent's H2")),

    # -- subscriptions, examples ----------------------------------------------------------------------------------------
    Case("POST", "/v1/subscriptions", 201, who="supervisor",
         body={"name": "contract-alerts", "alert_categories": ["ScamCompound"], "min_priority": "Urgent"}),
    Case("POST", "/v1/subscriptions", 403, body={"name": "mine"}, error_field="role"),
    Case("POST", "/v1/subscriptions", 400, who="supervisor", body={"name": "x", "min_priority": "Soon"},
         error_field="min_priority"),
    Case("POST", "/v1/subscriptions", 400, who="supervisor", body={"name": "inbox"}, error_field="name"),
    Case("GET", "/v1/subscriptions", 200,
         check=lambda b, c: expect("contract-alerts" in {s["name"] for s in b["subscriptions"]}, "listed")),
    Case("DELETE", "/v1/subscriptions/{name}", 204, who="admin", params={"name": "contract-alerts"}),
    Case("DELETE", "/v1/subscriptions/{name}", 404, who="admin", params={"name": "contract-alerts"}, error_field="name"),
    *[Case("GET", "/v1/examples/{body_type}", 200, params={"body_type": t},
           check=lambda b, c, t=t: expect(b["body_type"] == t, t)) for t in BODY_TYPES],
    Case("GET", "/v1/examples/{body_type}", 404, params={"body_type": "NoSuchBody"}, error_field="body_type"),

    # -- the consultation logs ------------------------------------------------------------------------------------------
    Case("GET", "/v1/audit/local", 200, who="auditor", query={"justification": "contract test", "case": "TH-API-0001"},
         check=lambda b, c: expect(b["chain"]["ok"] and any(e["action"] == "view_case" for e in b["entries"]),
                                   "the case view recorded, the chain intact")),
    Case("GET", "/v1/audit/local", 400, who="auditor", error_field="justification"),
    Case("GET", "/v1/audit/local", 400, who="auditor", query={"justification": "contract test", "from": "yesterday"},
         error_field="from"),
    Case("GET", "/v1/audit/local", 403, who="officer", query={"justification": "contract test"}, error_field="role"),
    Case("GET", "/v1/audit/broker", 200, who="auditor", query={"justification": "contract test", "case": "TH-API-0001"},
         check=lambda b, c: expect(b["identity"] == "kh-audit", "read through the auditor identity")),
    Case("GET", "/v1/audit/broker", 400, who="auditor", error_field="justification"),
    Case("GET", "/v1/audit/witnesses", 200, check=lambda b, c: expect(b["node"] == "kh-node" and not b["forks"],
                                                                      "KHM's witnesses, no fork")),
    Case("GET", "/v1/audit/witnesses", 401, who=None),

    # -- the console ----------------------------------------------------------------------------------------------------
    Case("GET", "/", 200, who=None, save={"etag": lambda b, h: h["etag"]}),
    Case("GET", "/", 304, who=None, headers={"If-None-Match": "$etag"}),
    Case("GET", "/console/{file}", 200, who=None, params={"file": "app.css"}),
    Case("GET", "/console/{file}", 200, who=None, params={"file": "js/main.js"}),
    Case("GET", "/console/{file}", 200, who=None, params={"file": "i18n/km.json"}),
    Case("GET", "/console/{file}", 404, who=None, params={"file": "nothing.js"}, error_field="path"),
    Case("GET", "/v1/changes", 200, save={"seq": "seq"}),
    Case("GET", "/v1/changes", 200, query={"since": "$seq", "wait": "0"}),
    Case("GET", "/v1/directory", 200,
         check=lambda b, c: expect(b["country"] == "KHM" and any(a["agency"] == "th-rtp-atpd" for a in b["agencies"]),
                                   "the directory")),

    # Erasure (docs/ERASURE.md): a case of its own, erased by THA's data-protection officer.
    Case("POST", "/v1/referrals", 202, country="THA", body=referral("TH-API-ERASE", 9)),
    Case("POST", "/v1/cases/{case_id}/erase", 403, country="THA", params={"case_id": "TH-API-ERASE"},
         body={"justification": "contract test"}, error_field="role"),
    Case("POST", "/v1/cases/{case_id}/erase", 400, who="dpo", country="THA", params={"case_id": "TH-API-ERASE"},
         body={}, error_field="justification"),
    Case("POST", "/v1/cases/{case_id}/erase", 202, who="dpo", country="THA", params={"case_id": "TH-API-ERASE"},
         body={"justification": "contract test: the person asked for erasure"},
         check=lambda b, c: expect(b["erased"]["reason"] == "request" and b["recipients"], "erased and sent")),
    Case("POST", "/v1/cases/{case_id}/erase", 409, who="dpo", country="THA", params={"case_id": "TH-API-ERASE"},
         body={"justification": "again"}, error_field="id"),
    Case("GET", "/v1/cases/{case_id}", 200, country="THA", params={"case_id": "TH-API-ERASE"},
         check=lambda b, c: expect(b["state"] == "erased" and "victim" not in b["items"][0], "the case erased")),
]
