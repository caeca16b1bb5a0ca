"""A client of one Lintas node's HTTP API, written on docs/openapi.yaml (standard library only: urllib, json).

    client = Client("http://127.0.0.1:7480", token=os.environ["LINTAS_TOKEN"])
    page = client.inbox(reader="kh-cms")
    for entry in page["events"]:
        handle(entry["event"])
    client.ack_reader("kh-cms", page["next_after"])

Every refusal raises LintasError carrying the node's error code and the field it names. A Client holds no
connection between calls and may be shared by threads once logged in (login() and change_password() replace its
token).
"""
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Sequence, Union

from .types import (Case, Event, EventStatus, Health, InboxPage, IssuedToken, Item, LoginReply, Queued,
                    Subscription, User)

DEFAULT_NODE = "http://127.0.0.1:7480"
# Seconds a call may take. GET /v1/changes waits up to 25 s on the node, so it must be longer than that.
DEFAULT_TIMEOUT_S = 35.0


class LintasError(Exception):
    """A refusal by the node ({"error": {"code", "field", "message"}}), or the node out of reach (status 0, code
    "unreachable").

    status       the HTTP status (0: no answer)
    code         the node's stable error name: bad_input, unauthenticated, forbidden, not_found, conflict, ...
    field        the field, parameter or header it names ("victim.guardian", "priority"), or ""
    message      what is wrong, in plain words
    retry_after  seconds, when the node said when to try again (429)
    """

    def __init__(self, status: int, code: str, field: str, message: str, retry_after: Optional[int] = None):
        super().__init__(f"{status} {code}" + (f" [{field}]" if field else "") + f": {message}")
        self.status, self.code, self.field, self.message, self.retry_after = status, code, field, message, retry_after


def _error_from(status: int, raw: bytes, retry_after: Optional[str]) -> LintasError:
    try:
        e = json.loads(raw)["error"]
        code, field, message = e["code"], e.get("field", ""), e.get("message", "")
    except (ValueError, KeyError, TypeError):
        code, field, message = "internal", "", raw[:200].decode("utf-8", "replace") or f"HTTP {status}"
    after = int(retry_after) if retry_after and retry_after.isdigit() else None
    return LintasError(status, code, field, message, after)


def _drop_none(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class Client:
    """One node's API. `token`: a login token or an API token (LINTAS_TOKEN); `ssl_context` for an HTTPS node
    with a private CA (certificates are verified by default)."""

    def __init__(self, node: str = DEFAULT_NODE, token: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT_S,
                 ssl_context: Optional[ssl.SSLContext] = None):
        self.node = node.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._ssl = ssl_context

    # -- transport --------------------------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None,
             query: Optional[Dict[str, Any]] = None) -> Any:
        """One request; the reply's JSON (None for 204). Path segments must be quoted already (see _seg)."""
        query = _drop_none(query or {})
        url = self.node + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            raise _error_from(e.code, e.read(), e.headers.get("Retry-After")) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise LintasError(0, "unreachable", "", f"{self.node}: {reason}") from None
        return json.loads(raw) if raw else None

    @staticmethod
    def _seg(value: str) -> str:
        return urllib.parse.quote(str(value), safe="")

    # -- session ----------------------------------------------------------------------------------------------------

    def login(self, user: str, password: str) -> LoginReply:
        """POST /v1/login; the client then uses the session's token (30 minutes idle, 12 hours at most)."""
        reply = self.call("POST", "/v1/login", {"user": user, "password": password, "session": "token"})
        self.token = reply["token"]
        return reply

    def logout(self) -> None:
        self.call("POST", "/v1/logout")
        self.token = None

    def me(self) -> Dict[str, Any]:
        return self.call("GET", "/v1/me")

    def change_password(self, old_password: str, new_password: str) -> Dict[str, Any]:
        """Ends every session and token of the account; a session caller continues with the fresh one."""
        reply = self.call("POST", "/v1/me/password", {"old_password": old_password, "new_password": new_password})
        if "token" in reply:
            self.token = reply["token"]
        return reply

    def set_language(self, language: str) -> User:
        return self.call("PUT", "/v1/me/language", {"language": language})

    def health(self) -> Health:
        """GET /v1/health (no token needed)."""
        return self.call("GET", "/v1/health")

    # -- accounts and tokens (admin) --------------------------------------------------------------------------------

    def users(self) -> List[User]:
        return self.call("GET", "/v1/users")["users"]

    def create_user(self, id: str, agency: str, roles: Sequence[str], password: Optional[str] = None, *,
                    system: bool = False, language: Optional[str] = None,
                    display_name: Optional[str] = None) -> User:
        """An account of the administrator's agency; `system=True`: an agency system's (API tokens, no password)."""
        return self.call("POST", "/v1/users", _drop_none({
            "id": id, "agency": agency, "roles": list(roles), "password": password, "system": system,
            "language": language, "display_name": display_name}))

    def disable_user(self, id: str) -> User:
        return self.call("POST", f"/v1/users/{self._seg(id)}/disable")

    def enable_user(self, id: str) -> User:
        return self.call("POST", f"/v1/users/{self._seg(id)}/enable")

    def reset_password(self, id: str, password: str) -> User:
        return self.call("POST", f"/v1/users/{self._seg(id)}/password", {"password": password})

    def tokens(self, user: Optional[str] = None) -> List[Dict[str, Any]]:
        return self.call("GET", "/v1/tokens", query={"user": user})["tokens"]

    def create_token(self, name: str, expires: Optional[str] = None, user: Optional[str] = None) -> IssuedToken:
        """An API token (shown once); `user`: a system account's (admin); `expires`: "90d" (default 365 days)."""
        return self.call("POST", "/v1/tokens", _drop_none({"name": name, "expires": expires, "user": user}))

    def revoke_token(self, token_id: str) -> None:
        self.call("DELETE", f"/v1/tokens/{self._seg(token_id)}")

    # -- new referrals, requests, alerts ----------------------------------------------------------------------------

    def send_referral(self, to: Union[str, Sequence[str]], case_id: str, victim: Dict[str, Any],
                      consent: Sequence[str], **fields: Any) -> Queued:
        """POST /v1/referrals. `to`: "KHM/kh-mosvy" or "KHM/social_welfare" (or a list); `victim`: {pseudonym,
        sex, age, minor, guardian, nationality, languages, needs}; fields: reference, exploitation, summary,
        priority, due, handling, handling_text, language, readdresses."""
        body = {"to": to if isinstance(to, str) else list(to), "case_id": case_id, "victim": victim,
                "consent": list(consent), **fields}
        return self.call("POST", "/v1/referrals", body)

    def send_request(self, to: Union[str, Sequence[str]], case_id: str, subject: str,
                     questions: Sequence[str], **fields: Any) -> Queued:
        """POST /v1/requests; fields: reference, legal_basis, priority, due, handling, handling_text, language."""
        body = {"to": to if isinstance(to, str) else list(to), "case_id": case_id, "subject": subject,
                "questions": list(questions), **fields}
        return self.call("POST", "/v1/requests", body)

    def publish_alert(self, category: str, title: str, countries: Sequence[str] = (), **fields: Any) -> Queued:
        """POST /v1/alerts; no countries: the whole region; fields: description, priority, expires, case_id."""
        return self.call("POST", "/v1/alerts", {"category": category, "title": title, "countries": list(countries),
                                                **fields})

    def cancel_alert(self, alert_id: str, reason: Optional[str] = None) -> Queued:
        return self.call("POST", f"/v1/alerts/{self._seg(alert_id)}/cancel", _drop_none({"reason": reason}))

    def alerts(self, state: Optional[str] = None) -> List[Item]:
        return self.call("GET", "/v1/alerts", query={"state": state})["alerts"]

    # -- steps on an item (POST /v1/items/{item_id}/{action}) ---------------------------------------------------------

    def step(self, item_id: str, action: str, **fields: Any) -> Queued:
        """One step on a referral or request: acknowledge, accept, decline, clarify, answer, assign, extend, consent,
        plan-return, returned, close, delay, provide, refuse, read. `item_id`: the item's or any of its events' id."""
        return self.call("POST", f"/v1/items/{self._seg(item_id)}/{self._seg(action)}", _drop_none(fields))

    def acknowledge(self, item_id: str, note: Optional[str] = None, reference: Optional[str] = None) -> Queued:
        return self.step(item_id, "acknowledge", note=note, reference=reference)

    def accept(self, item_id: str, note: Optional[str] = None) -> Queued:
        return self.step(item_id, "accept", note=note)

    def decline(self, item_id: str, reason: str, note: Optional[str] = None,
                suggested: Optional[str] = None) -> Queued:
        return self.step(item_id, "decline", reason=reason, note=note, suggested=suggested)

    def clarify(self, item_id: str, questions: Sequence[str]) -> Queued:
        return self.step(item_id, "clarify", questions=list(questions))

    def answer(self, item_id: str, text: str) -> Queued:
        return self.step(item_id, "answer", text=text)

    def assign(self, item_id: str, officer: Optional[str] = None) -> Queued:
        return self.step(item_id, "assign", officer=officer)

    def extend(self, item_id: str, due: str, reason: Optional[str] = None) -> Queued:
        return self.step(item_id, "extend", due=due, reason=reason)

    def change_consent(self, item_id: str, withdraw: Sequence[str] = (), withdraw_all: bool = False,
                       consent: Optional[Sequence[str]] = None) -> Queued:
        return self.step(item_id, "consent", withdraw=list(withdraw) or None, withdraw_all=withdraw_all or None,
                         consent=None if consent is None else list(consent))

    def plan_return(self, item_id: str, checkpoint: str, on: str, escort_agency: Optional[str] = None) -> Queued:
        return self.step(item_id, "plan-return", checkpoint=checkpoint, on=on, escort_agency=escort_agency)

    def record_return(self, item_id: str, checkpoint: str, on: Optional[str] = None,
                      received_by: Optional[str] = None) -> Queued:
        return self.step(item_id, "returned", checkpoint=checkpoint, on=on, received_by=received_by)

    def close(self, item_id: str, outcome: str, note: Optional[str] = None) -> Queued:
        return self.step(item_id, "close", outcome=outcome, note=note)

    def delay(self, item_id: str, reason: str, until: str) -> Queued:
        return self.step(item_id, "delay", reason=reason, until=until)

    def provide(self, item_id: str, content: str) -> Queued:
        return self.step(item_id, "provide", content=content)

    def refuse(self, item_id: str, reason: str, note: Optional[str] = None) -> Queued:
        return self.step(item_id, "refuse", reason=reason, note=note)

    def mark_read(self, item_id: str) -> Queued:
        return self.step(item_id, "read")

    # -- case views -------------------------------------------------------------------------------------------------

    def item(self, item_id: str, justification: Optional[str] = None) -> Item:
        return self.call("GET", f"/v1/items/{self._seg(item_id)}", query={"justification": justification})

    def cases(self, state: Optional[str] = None, limit: Optional[int] = None,
              justification: Optional[str] = None) -> List[Case]:
        return self.call("GET", "/v1/cases", query={"state": state, "limit": limit,
                                                    "justification": justification})["cases"]

    def case(self, case_id: str, justification: Optional[str] = None) -> Case:
        return self.call("GET", f"/v1/cases/{self._seg(case_id)}", query={"justification": justification})

    def overdue(self, escalated: bool = False) -> List[Item]:
        return self.call("GET", "/v1/overdue", query={"escalated": "true" if escalated else None})["items"]

    def missed_deadlines(self, justification: Optional[str] = None) -> List[Dict[str, Any]]:
        return self.call("GET", "/v1/deadlines/missed", query={"justification": justification})["missed"]

    def statistics(self, justification: Optional[str] = None) -> Dict[str, Any]:
        return self.call("GET", "/v1/statistics", query={"justification": justification})

    # -- events, inbox, subscriptions -------------------------------------------------------------------------------

    def submit_event(self, event: Event) -> EventStatus:
        """POST /v1/events: a raw event; give it an `id` to make a retry safe (the same id answers its status)."""
        return self.call("POST", "/v1/events", event)

    def event_status(self, event_id: str, full: bool = False, justification: Optional[str] = None) -> EventStatus:
        return self.call("GET", f"/v1/events/{self._seg(event_id)}",
                         query={"full": "" if full else None, "justification": justification})

    def inbox(self, after: Optional[int] = None, limit: Optional[int] = None,
              reader: Optional[str] = None) -> InboxPage:
        """GET /v1/inbox: events received for the caller's agency, oldest first. With `reader` and no `after`, the
        page starts after that durable reader cursor; move it with ack_reader(reader, page["next_after"])."""
        return self.call("GET", "/v1/inbox", query={"after": after, "limit": limit, "reader": reader})

    def ack_reader(self, reader: str, offset: int) -> Dict[str, Any]:
        """POST /v1/readers/{reader}/ack: everything up to `offset` is processed (durable at the node)."""
        return self.call("POST", f"/v1/readers/{self._seg(reader)}/ack", {"offset": int(offset)})

    def subscriptions(self) -> List[Subscription]:
        return self.call("GET", "/v1/subscriptions")["subscriptions"]

    def add_subscription(self, name: str, alert_categories: Sequence[str] = (), origin_countries: Sequence[str] = (),
                         body_types: Sequence[str] = (), min_priority: str = "Routine") -> Dict[str, Any]:
        return self.call("POST", "/v1/subscriptions", {
            "name": name, "alert_categories": list(alert_categories), "origin_countries": list(origin_countries),
            "body_types": list(body_types), "min_priority": min_priority})

    def remove_subscription(self, name: str) -> None:
        self.call("DELETE", f"/v1/subscriptions/{self._seg(name)}")

    def example_event(self, body_type: str) -> Event:
        return self.call("GET", f"/v1/examples/{self._seg(body_type)}")

    def changes(self, since: Optional[int] = None, wait: Optional[int] = None) -> int:
        """GET /v1/changes: a number that changes whenever the node's case model or inbox does. With `since`,
        waits up to `wait` seconds (at most 25) for it to differ from `since`."""
        return self.call("GET", "/v1/changes", query={"since": since, "wait": wait})["seq"]

    def directory(self) -> Dict[str, Any]:
        return self.call("GET", "/v1/directory")

    # -- audit (data-protection officers) ---------------------------------------------------------------------------

    def audit_local(self, justification: str, case: Optional[str] = None, user: Optional[str] = None,
                    since: Optional[str] = None, until: Optional[str] = None) -> Dict[str, Any]:
        return self.call("GET", "/v1/audit/local", query={"justification": justification, "case": case,
                                                          "user": user, "from": since, "to": until})

    def audit_broker(self, justification: str, case: Optional[str] = None) -> Dict[str, Any]:
        return self.call("GET", "/v1/audit/broker", query={"justification": justification, "case": case})
