"""Shapes of the node's replies (docs/openapi.yaml, components/schemas), for type checkers and readers.

Replies are plain dicts; these TypedDicts name their keys. Keys a reply may leave out are marked total=False.
"""
from typing import Any, Dict, List, Optional, TypedDict

# An event (schemas/event.fbs as JSON: enums by name, "body_type" + "body", ids as UUID text). See Event in the spec.
Event = Dict[str, Any]


class User(TypedDict):
    id: str
    agency: str
    roles: List[str]
    language: str
    display_name: str
    system: bool
    disabled: bool
    created_at_us: int
    locked_until_us: int


class _LoginReplyRequired(TypedDict):
    user: User
    token_id: str
    expires_at_us: int


class LoginReply(_LoginReplyRequired, total=False):
    token: str        # a token session
    csrf_token: str   # a cookie session


class Health(TypedDict):
    status: str  # ok | alarm
    node: str
    country: str
    broker_connected: bool
    outbox_pending: int
    broker_checkpoint: Optional[Dict[str, Any]]
    audit_alarm: Optional[str]
    consultation_log_alarm: Optional[str]
    broker_signing_key: Optional[Dict[str, Any]]  # {key, pinned_from: config | first use}
    warnings: List[str]


class Queued(TypedDict):
    id: str
    status: str  # queued | acknowledged | refused
    local_seq: int
    queued_at_us: int


class _EventStatusRequired(TypedDict):
    id: str
    status: str  # queued | acknowledged | refused | received


class EventStatus(_EventStatusRequired, total=False):
    local_seq: int
    queued_at_us: int
    offset: int
    duplicate: bool
    error: Dict[str, str]
    item_id: str
    case_id: str
    event: Event


class InboxEntry(TypedDict):
    offset: int
    received_at_us: int
    publisher: str
    event: Event


class InboxPage(TypedDict):
    events: List[InboxEntry]
    next_after: int


class IssuedToken(TypedDict):
    token: str
    id: str
    expires_at_us: int


class Subscription(TypedDict):
    name: str
    origin_countries: List[str]
    alert_categories: List[str]
    body_types: List[str]
    min_priority: str


# Items, cases, statistics and audit exports are larger documents; see CaseItem, Alert, Case, Statistics,
# ConsultationLog in the spec.
Item = Dict[str, Any]
Case = Dict[str, Any]
