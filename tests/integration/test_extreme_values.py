"""Nothing stored can break a read (issue 11).

For every value a client can store (message text, names, emails, page, custom data, identity, read marks, close notes
and dispositions, contacts, settings, routing), one scene stores the extreme values the boundary accepts, through
the real Lambda handlers on moto's server: the longest (exactly the limit), the widest Unicode (4-byte UTF-8,
combining marks, right-to-left overrides, joiners), control characters and NUL, HTML-looking text, the largest
numbers (read marks of 2^31-1, the top of every range) and the empty or minimal value. The tests then read every
view that shows those values (the desk's lists, the supervisor views, transcripts in both formats, the notification
email, the visitor's history, availability, settings and routing, the WebSocket pushes) and check that each answers
with exactly what was stored.

One scene serves the module (a tenant of its own): each extreme kind stores all its fields at once in four
conversations (closed, on the desk, waiting, snoozed). Timers are recorded instead of armed; the notification
timers are delivered to `app.on_timer` by the test.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from chalice.test import Client
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.timers import timer_body
from chalicelib.domain import identity as identities
from chalicelib.domain.model import Role
from chalicelib.ports import Timer
from chalicelib.services import notifications, tenants
from local.events import lambda_context, sqs_event, sqs_record
from tests.integration.conftest import ROOT, ConnectionsApi, Stack
from tests.integration.handlers import authorize, ws_event

PASSWORD = "Extreme-Passw0rd!"
MAX_SEQ = 2**31 - 1
MAX_TEXT = 1940
PUSH_LIMIT = 128 * 1024  # API Gateway's PostToConnection refuses a bigger frame (PayloadTooLargeException)


def fill(unit: str, limit: int) -> str:
    """`unit` repeated up to exactly `limit` characters (code points); "" for the empty kind."""
    return (unit * (limit // len(unit) + 1))[:limit] if unit else ""


def _host(n: int) -> str:
    """A 253-character host name (the longest DNS allows), one per origin."""
    return ".".join([f"o{n:02d}" + "a" * 60, "b" * 63, "c" * 63, "d" * 61])


ORIGINS = [f"https://{_host(n)}:65535" for n in range(20)]  # site_origins: 20, each as long as an origin gets
ORIGIN = ORIGINS[0]
SITE_URL = f"{ORIGIN}/" + fill("help/", 2048 - len(ORIGIN) - 1)
LONGEST_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 57, "org"])  # 254 characters
WIDE = "😀𠜎🀄👍🏽\U0001d54f"  # emoji, CJK Extension B, a skin tone modifier, a mathematical letter: 4 bytes each


@dataclass(frozen=True)
class Extreme:
    """One kind of extreme value: every text field of the kind is made of `unit`, up to that field's limit."""

    id: str
    unit: str
    path: str  # what page URLs are made of after the origin
    email: str  # as given
    stored_email: str  # as stored (an internationalised domain in its ASCII form)
    phone: str
    links_to_page: bool  # the notification email may link to the visitor's page (else to the brand's site URL)

    @property
    def empty(self) -> bool:
        return not self.unit

    def text(self, limit: int) -> str:
        return fill(self.unit, limit)

    @property
    def message(self) -> str:
        return self.text(MAX_TEXT) or "?"  # a message is never blank: the minimal one is one character

    def page(self, n: int) -> dict[str, str]:
        if self.empty:  # an empty URL starts a conversation; a page change needs one character
            return {"url": "" if n == 4 else str(n), "title": ""}
        prefix = f"{ORIGIN}/{self.id}/{n}/"
        return {"url": prefix + fill(self.path, 2048 - len(prefix)), "title": self.text(512)}

    @property
    def custom(self) -> dict[str, Any]:
        if self.empty:
            return {"k": ""}
        values: dict[str, Any] = {f"{n:02d}{self.text(38)}": self.text(200) for n in range(20)}
        if self.id == "longest-ascii":  # numbers and booleans are kept as text: the largest ones
            keys = list(values)
            values[keys[16]] = 10**199  # 200 digits
            values[keys[17]] = 1.7976931348623157e308
            values[keys[18]] = -0.0
            values[keys[19]] = True
        return values

    @property
    def stored_custom(self) -> dict[str, str]:
        return {k: ("true" if v is True else str(v)) for k, v in self.custom.items()}

    @property
    def identity(self) -> dict[str, str]:
        """What the brand signs: the longest external id, name and email (the minimal identity is an id)."""
        return {"external_id": self.text(320) or "1", "name": self.text(320), "email": self.email}


EXTREMES = [
    Extreme("longest-ascii", "Where is my order #42? It was due on Monday, said the shop. ", "shop/item-42_a.b~c/",
            LONGEST_EMAIL, LONGEST_EMAIL, "+33 6" + " 12" * 9, True),
    Extreme("widest-utf8", WIDE, "😀𠜎/", "wide@例子.广告", "wide@xn--fsqu00a.xn--4rr70v", "+" + "9" * 31, True),
    Extreme("combining-rtl-zwj", "e\u0301\u0336\u0489 \u202eevil.exe\u202c \u200f\u05e9\u05dc\u05d5\u05dd "
            "👩\u200d👩\u200d👧\u200d👦 \u2066x\u2069\ufeff", "e\u0301\u202e\u200d\u05e9/",
            "x+rtl@cafe\u0301.example.org", "x+rtl@xn--caf-dma.example.org", "0", True),
    Extreme("control-characters", "\x00\x01\x07\x08\x0b\x0c\x1b[31m\x1f\x7f\x85\u2028\u2029\ufffe", "\x00\x1b/",
            "ctl@b.co", "ctl@b.co", "1", False),
    Extreme("html-script", "<script>alert(\"x\")</script><img src=x onerror=alert(1)>&amp;&lt;'",
            '"><script>x</script>/', "o'neil&co{1}@example.org", "o'neil&co{1}@example.org", "+1 555 0100", True),
    Extreme("empty", "", "", "", "", "", False),
]
IDS = [e.id for e in EXTREMES]
WITH_EMAIL = [e for e in EXTREMES if e.email]
FLOOD_TEXT = fill("\x00\x01\x1b\x1f", MAX_TEXT)  # the widest JSON escape: 6 bytes a character (\u0000)


def stripped(value: str) -> str:
    """What the domain keeps of a trimmed text (names, notes, dispositions, contacts' fields)."""
    return value.strip()


# ---------------------------------------------------------------------------------------------------------------
# Settings and routing: the longest texts, the largest lists and the top of every range

TEXT_KEYS = ("title", "welcome", "waiting", "unavailable", "dissuasion", "ended", "welcome_async", "consent")


def extreme_settings() -> dict[str, Any]:
    kinds = [e for e in EXTREMES if not e.empty]
    dispositions = [e.text(80) for e in kinds] + [f"{n:02d} " + fill("Résolu 😀 ", 77) for n in range(20 - len(kinds))]
    return {
        "acceptance_seconds": 600, "max_wait_seconds": 7200, "average_handle_seconds": 7200,
        "notify_delay_seconds": 3600, "reservation_hours": 168, "sale_attribution_hours": 720,
        "visitor_sessions_per_hour": 100_000, "visitor_conversations_per_hour": 1000,
        "visitor_messages_per_minute": 600,
        "reject_allowed": True, "disposition_required": False, "consent_required": True,
        "dispositions": dispositions,
        "canned_answers": [{"title": e.text(80), "text": e.text(MAX_TEXT)} for e in kinds],
        "accent_colour": "#FFFFFF",
        "logo_url": "https://" + fill('x.example/"><script>alert(1)</script>', 1024 - len("https://")),
        "site_url": SITE_URL,
        "site_origins": ORIGINS,
        "texts": {lang: {key: kinds[n % len(kinds)].text(500) for n, key in enumerate(TEXT_KEYS)}
                  for lang in ("en", "fr")},
    }


def disposition_of(kind: Extreme) -> str | None:
    """The disposition an agent picks: one of the settings' (kept trimmed, as the choice is)."""
    return None if kind.empty else stripped(kind.text(80))


def extreme_routing() -> dict[str, Any]:
    """200 groups, 200 rules and 200 skills, names of 120 characters, the top of every number, within one body.

    A waiting conversation of each kind matches its own rule by its page (`url_contains` of 500 characters) and its
    first custom value, and waits in `nobody` (no agent); a conversation of the `wait` queue that matches none of
    them finds `full` (no room to wait); everything else goes to the agent's `desk`."""
    skills = [f"s{n:03d}-" + "k" * 35 for n in range(200)]
    groups = [{"id": "desk", "name": fill(WIDE, 120), "threshold": 100_000, "shards": 1},
              {"id": "nobody", "name": fill("<b>Nobody</b> & co ", 120), "threshold": 100_000, "shards": 16},
              {"id": "full", "name": "", "threshold": 0, "shards": 16}]
    groups += [{"id": f"g{n:03d}", "name": fill("x", 120), "threshold": 100_000, "shards": 16} for n in range(197)]
    rules: list[dict[str, Any]] = []
    for n, kind in enumerate(EXTREMES):
        first_key, first_value = next(iter(kind.stored_custom.items()))
        rules.append({"id": f"extreme-{n}", "name": kind.text(120), "groups": ["nobody"], "priority": 999,
                      "skill": None if n else {"skill": skills[-1], "min_level": 5},
                      "match": {"queue": "wait", "url_contains": fill(kind.path, 500),
                                "custom": {first_key: first_value}}})
    rules.append({"id": "waits", "groups": ["full"], "match": {"queue": "wait"}})
    fillers = [g["id"] for g in groups[3:]]
    while len(rules) < 199:
        n = len(rules)
        rules.append({"id": f"r{n:03d}", "name": "", "mode": "equal", "groups": fillers[n % 9::9][:20],
                      "match": {"queue": f"q{n}", "channel": "chat"}})
    rules.append({"id": "default", "name": fill("Everything ", 120), "groups": ["desk"]})
    return {"fairness": "highest_skill", "skills": skills, "groups": groups, "rules": rules}


# ---------------------------------------------------------------------------------------------------------------
# The scene


class RecordedTimers:
    """The Timers port keeping what was armed: nothing fires by itself; the test delivers what it needs."""

    def __init__(self) -> None:
        self.armed: list[Timer] = []

    def arm(self, timer: Timer, fire_at: datetime, now: datetime) -> None:
        self.armed.append(timer)

    def of(self, kind: str, conversation_id: str) -> list[Timer]:
        return [t for t in self.armed if t.kind == kind and t.payload.get("conversation_id") == conversation_id]


class Socket:
    """A WebSocket connection through the real authorizer and handlers; visitors come from the brand's origin."""

    def __init__(self, scene: Scene, token: str, name: str) -> None:
        answer = authorize(scene.tenant, token, {"Origin": ORIGIN})
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", answer
        self.scene = scene
        self.id = f"{name}-{uuid.uuid4().hex[:8]}"
        self.authorizer = {"principalId": answer["principalId"], **answer["context"]}
        reply = lambda_app.ws_connect(ws_event("connect", self.id, authorizer=self.authorizer,
                                               query={"tenant": scene.tenant, "token": token}), None)
        assert reply["statusCode"] == 200
        scene.connection_ids.append(self.id)
        self._n = 0

    def call(self, action: str, **fields: Any) -> dict[str, Any]:
        """Send one frame and return its ack (an error frame fails the scene, naming the action)."""
        self._n += 1
        request_id = f"{action}-{self._n}"
        body = json.dumps({"action": action, "id": request_id, **fields}, ensure_ascii=False)
        lambda_app.ws_message(ws_event("message", self.id, authorizer=self.authorizer, body=body), None)
        answers = [f for f in self.scene.api.of(self.id) if f.get("id") == request_id]
        assert len(answers) == 1 and answers[0]["type"] == "ack", (action, self.scene.api.of(self.id)[-1:])
        return answers[0]

    def frames(self, frame_type: str | None = None) -> list[dict[str, Any]]:
        return self.scene.api.of(self.id, frame_type)

    def close(self) -> None:
        lambda_app.ws_disconnect(ws_event("disconnect", self.id, authorizer=self.authorizer), None)


@dataclass
class Stored:
    """What one extreme kind stored, and where."""

    kind: Extreme
    visitor_token: str = ""
    closed_id: str = ""
    desk_id: str = ""
    wait_id: str = ""
    wait_token: str = ""
    snoozed_id: str = ""
    contact_id: str = ""
    widget_id: str = ""
    closed_texts: list[str] = field(default_factory=list)
    desk_texts: list[str] = field(default_factory=list)
    sync: dict[str, Any] = field(default_factory=dict)
    read: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scene:
    http: Any
    tenant: str
    api: ConnectionsApi
    timers: RecordedTimers
    admin_token: str = ""
    agent_token: str = ""
    agent_id: str = ""
    secret: str = ""
    desk: Socket | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    routing: dict[str, Any] = field(default_factory=dict)
    put_answers: dict[str, Any] = field(default_factory=dict)
    stored: dict[str, Stored] = field(default_factory=dict)
    connection_ids: list[str] = field(default_factory=list)
    newcomer: dict[str, Any] = field(default_factory=dict)
    flood_id: str = ""
    flood_syncs: list[dict[str, Any]] = field(default_factory=list)

    def request(self, method: str, path: str, token: str | None = None, body: Any = None,
                query: dict[str, str] | None = None, visitor: bool = False) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if visitor:
            headers["Origin"] = ORIGIN
        url = f"/tenants/{self.tenant}{path}"
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        if body is None:
            return getattr(self.http, method)(url, headers=headers)
        return getattr(self.http, method)(url, headers=headers, body=json.dumps(body, ensure_ascii=False).encode())

    def ok(self, method: str, path: str, token: str | None = None, body: Any = None,
           query: dict[str, str] | None = None, visitor: bool = False, status: int = 200) -> Any:
        """The answer's JSON, after checking its status and that it is valid UTF-8 JSON."""
        answer = self.request(method, path, token, body, query, visitor)
        assert answer.status_code == status, (method, path, answer.status_code, answer.body[:500])
        return json.loads(_bytes(answer.body).decode("utf-8"))

    def visitor(self, token: str, name: str) -> Socket:
        return Socket(self, token, name)

    def new_visitor(self) -> str:
        return str(self.ok("post", "/visitors", body={}, visitor=True, status=201)["visitor_token"])

    def accept(self, conversation_id: str) -> dict[str, Any]:
        assert self.desk is not None
        (offer,) = [f for f in self.desk.frames("offer") if f["offer"]["conversation_id"] == conversation_id]
        return self.desk.call("accept_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])

    def deliver(self, timer: Timer) -> None:
        """A timer the app armed, delivered to its Lambda handler as the SQS event source mapping does."""
        record = sqs_record({"MessageId": uuid.uuid4().hex, "ReceiptHandle": "r", "Body": timer_body(timer),
                             "Attributes": {}, "MD5OfBody": ""}, "arn:aws:sqs:us-east-1:123456789012:timers")
        lambda_app.on_timer(sqs_event([record]), lambda_context("on_timer"))


def _bytes(body: str | bytes) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8")


def _user(scene: Scene, name: str, *roles: Role) -> str:
    username = f"{name.lower()}-{uuid.uuid4().hex[:6]}"
    c = bootstrap.container()
    tenants.create_agent(c.deps, c.identity, tenant=scene.tenant, username=username, password=PASSWORD, name=name,
                         roles=list(roles))
    answer = scene.http.post("/auth/login", headers={"Content-Type": "application/json"},
                             body=json.dumps({"username": username, "password": PASSWORD}))
    assert answer.status_code == 200, answer.body
    return str(answer.json_body["id_token"])


def _configure(scene: Scene) -> None:
    scene.admin_token = _user(scene, "Sam", Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    scene.agent_token = _user(scene, "Ann", Role.AGENT)
    scene.agent_id = scene.ok("get", "/me", scene.agent_token)["id"]
    scene.secret = scene.ok("get", "/identity-secret", scene.admin_token)["secret"]
    scene.settings, scene.routing = extreme_settings(), extreme_routing()
    assert len(json.dumps(scene.routing, ensure_ascii=False).encode()) <= 128 * 1024  # one REST body
    scene.put_answers["settings"] = scene.ok("put", "/settings", scene.admin_token, scene.settings)
    scene.put_answers["routing"] = scene.ok("put", "/routing", scene.admin_token, scene.routing)
    # 1 group x 3 channels x (1 + 14 skills) = 45 ready lists: the most one agent may be in.
    scene.put_answers["agent"] = scene.ok("put", f"/agents/{scene.agent_id}/settings", scene.admin_token, {
        "groups": ["desk"], "capacity": {"chat": 50, "call": 50, "email": 50},
        "skills": {s: 5 for s in scene.routing["skills"][-14:]}, "route_first": True, "multi_channel": True})
    scene.desk = Socket(scene, scene.agent_token, "desk")


def _flood(scene: Scene) -> None:
    """Before an agent takes it, a visitor fills a conversation with the largest values of the widest JSON escape
    (control characters) and writes 15 messages of them: the offer, the assignment and a sync carry as many of them
    as they can."""
    control = next(e for e in EXTREMES if e.id == "control-characters")
    widget = scene.visitor(scene.new_visitor(), "flood")
    started = widget.call("start_conversation", consent=True, custom=control.custom, visitor_name=control.text(120),
                          message={"client_message_id": "f0", "text": FLOOD_TEXT})
    scene.flood_id = started["conversation"]["id"]
    widget.call("page", conversation_id=scene.flood_id, page=control.page(9))
    for n in range(1, 15):
        widget.call("send_message", conversation_id=scene.flood_id, client_message_id=f"f{n}", text=FLOOD_TEXT)
    assert scene.desk is not None
    scene.desk.call("set_status", status="available")  # the agent pulls it: the offer carries its newest messages
    scene.accept(scene.flood_id)
    after = 0
    while len(scene.flood_syncs) < 5:  # the widget asks page after page while the server says there is more
        page = widget.call("sync", conversation_id=scene.flood_id, after_seq=after)
        scene.flood_syncs.append(page)
        if not page["more"] or not page["messages"]:
            break
        after = page["messages"][-1]["seq"]


def _store(scene: Scene, kind: Extreme) -> Stored:
    stored = Stored(kind)
    assert scene.desk is not None
    signed = {**kind.identity, "signature": identities.sign(scene.secret, **kind.identity)}
    session = scene.ok("post", "/visitors", body={"identity": signed}, visitor=True, status=201)
    assert session["identified"] is True
    stored.visitor_token = session["visitor_token"]
    contact = {"name": kind.text(120) or "A", "email": kind.email or None, "phone": kind.phone or None,
               "external_id": kind.text(128) or kind.identity["external_id"]}
    stored.contact_id = scene.ok("post", "/contacts", scene.agent_token, contact, status=201)["id"]
    # A frame holds 32 KB: the start carries the longest custom values and identity; the page and the messages
    # follow in frames of their own, as the widget sends them.
    start = {"consent": True, "custom": kind.custom, "visitor_name": kind.text(120), "visitor_email": kind.email,
             "identity": signed}
    widget = scene.visitor(stored.visitor_token, f"w-{kind.id}")
    stored.widget_id = widget.id

    # 1. A conversation closed with the longest notes and a disposition of the kind: a case on the contact's record.
    stored.closed_id = widget.call("start_conversation", **start)["conversation"]["id"]
    widget.call("send_message", conversation_id=stored.closed_id, client_message_id="c0", text=kind.message)
    scene.accept(stored.closed_id)
    scene.desk.call("send_message", conversation_id=stored.closed_id, client_message_id="c1", text=kind.message)
    stored.closed_texts = [kind.message] * 2
    scene.desk.call("close_conversation", conversation_id=stored.closed_id, disposition=disposition_of(kind),
                    notes=kind.text(4000))

    # 2. A conversation on the desk: messages both ways, the email, pages, the visitor away (emailed) and back.
    stored.desk_id = widget.call("start_conversation", **start)["conversation"]["id"]
    widget.call("page", conversation_id=stored.desk_id, page=kind.page(2))
    widget.call("send_message", conversation_id=stored.desk_id, client_message_id="d0", text=kind.message)
    scene.accept(stored.desk_id)
    scene.desk.call("send_message", conversation_id=stored.desk_id, client_message_id="d1", text=kind.message)
    widget.call("set_notification", conversation_id=stored.desk_id, email=kind.email, enabled=True)
    widget.call("page", conversation_id=stored.desk_id, page=kind.page(3))
    widget.close()
    answer = scene.desk.call("send_message", conversation_id=stored.desk_id, client_message_id="d2",
                             text=kind.message)["message"]
    stored.desk_texts = [kind.message] * 3
    for timer in scene.timers.of(notifications.NOTIFY, stored.desk_id):
        assert timer.payload["seq"] == answer["seq"]
        scene.deliver(timer)
    back = scene.visitor(stored.visitor_token, f"back-{kind.id}")
    stored.sync = back.call("sync", conversation_id=stored.desk_id, after_seq=0)
    stored.read = back.call("read", conversation_id=stored.desk_id, seq=MAX_SEQ)

    # 3. A conversation that waits (its rule matches its page and first custom value), read to the largest seq.
    stored.wait_token = scene.new_visitor()
    waiting = scene.visitor(stored.wait_token, f"wait-{kind.id}")
    started = waiting.call("start_conversation", queue="wait", page=kind.page(4), consent=True,
                           custom=dict([next(iter(kind.custom.items()))]), visitor_name=kind.text(120),
                           visitor_email=kind.email)
    assert started["conversation"]["status"] == "waiting", started
    stored.wait_id = started["conversation"]["id"]
    waiting.call("send_message", conversation_id=stored.wait_id, client_message_id="w0", text=kind.message)
    waiting.call("read", conversation_id=stored.wait_id, seq=MAX_SEQ)

    # 4. A conversation the agent snoozes, kept for them.
    snoozing = scene.visitor(scene.new_visitor(), f"snz-{kind.id}")
    stored.snoozed_id = snoozing.call("start_conversation", consent=True, custom=kind.custom,
                                      visitor_name=kind.text(120), visitor_email=kind.email)["conversation"]["id"]
    snoozing.call("page", conversation_id=stored.snoozed_id, page=kind.page(5))
    scene.accept(stored.snoozed_id)
    scene.desk.call("snooze", conversation_id=stored.snoozed_id, duration="24h", keep=True)
    return stored


@pytest.fixture(scope="module")
def scene(stack: Stack) -> Iterator[Scene]:
    c = bootstrap.container()
    recorded = RecordedTimers()
    tenant = f"x{uuid.uuid4().hex[:10]}"
    tenants.create_tenant(c.deps, tenant, "Extreme Brand")
    bootstrap._container = replace(c, deps=replace(c.deps, timers=recorded))
    try:
        with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
            built = Scene(client.http, tenant, stack.connections, recorded)
            _configure(built)
            _flood(built)
            for kind in EXTREMES:
                built.stored[kind.id] = _store(built, kind)
            empty = EXTREMES[-1]
            built.newcomer = built.visitor(built.new_visitor(), "newcomer").call(
                "start_conversation", consent=True, queue="wait", custom=empty.custom, page=empty.page(4))
            yield built
    finally:
        bootstrap._container = c


def visitor_view_of(kind: Extreme) -> dict[str, Any]:
    """The visitor as agents see it: the signed identity's name and email win over what the widget said."""
    return {"name": kind.identity["name"], "email": kind.stored_email, "external_id": kind.identity["external_id"],
            "verified": True}


def sent_to(address: str) -> list[EmailMessage]:
    """The raw messages moto's in-process SES backend holds for `address`, parsed."""
    found = []
    for message in list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages):
        raw = getattr(message, "raw_data", None)
        if raw is None:
            continue
        parsed = email.message_from_string(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        if str(parsed.get("To", "")) == address:
            found.append(parsed)
    return found


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def size(frame: dict[str, Any]) -> int:
    """The bytes of a pushed frame as adapters/push.py encodes it."""
    return len(json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


# ---------------------------------------------------------------------------------------------------------------
# Settings and routing


def test_the_longest_settings_read_back_as_stored_by_agents_and_the_widget(scene: Scene) -> None:
    expected = {**scene.settings, "dispositions": [stripped(d) for d in scene.settings["dispositions"]]}
    for answer in (scene.put_answers["settings"], scene.ok("get", "/settings", scene.agent_token)):
        assert {k: answer[k] for k in scene.settings} == expected
    widget = scene.ok("get", "/widget", visitor=True)
    assert widget["texts"] == scene.settings["texts"] and widget["logo_url"] == scene.settings["logo_url"]


def test_a_disposition_set_with_surrounding_whitespace_is_kept_trimmed_so_a_chat_can_close_with_it(
        scene: Scene) -> None:
    control = next(e for e in EXTREMES if e.id == "control-characters")
    assert control.text(80) != stripped(control.text(80))  # it ends with \x0b, which str.strip() removes
    assert stripped(control.text(80)) in scene.ok("get", "/settings", scene.agent_token)["dispositions"]
    record = scene.ok("get", f"/contacts/{scene.stored[control.id].contact_id}", scene.agent_token)
    assert [c["disposition"] for c in record["cases"]] == [stripped(control.text(80))]


def test_the_largest_routing_reads_back_as_stored(scene: Scene) -> None:
    answer = scene.ok("get", "/routing", scene.admin_token)
    assert answer == scene.put_answers["routing"]
    assert (len(answer["groups"]), len(answer["rules"]), len(answer["skills"])) == (200, 200, 200)
    assert answer["groups"] == scene.routing["groups"] and answer["skills"] == scene.routing["skills"]
    for sent, read in zip(scene.routing["rules"], answer["rules"], strict=True):
        assert (read["name"], read["groups"], read["match"]) == (sent.get("name", sent["id"]), sent["groups"],
                                                                 sent.get("match", {}))


def test_the_widest_settings_and_routing_a_body_holds_fit_one_tenant_item(stack: Stack, tenant: str) -> None:
    """Each body within its 128 KB of 4-byte characters: stored as escaped JSON (12 bytes an emoji), the two made an
    item over DynamoDB's 400 KB, and PUT routing answered 500."""
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        other = Scene(client.http, tenant, stack.connections, RecordedTimers())
        admin = _user(other, "Ada", Role.AGENT, Role.ADMIN)
        settings = {"canned_answers": [{"title": fill(WIDE, 80), "text": fill(WIDE, MAX_TEXT)} for _ in range(16)]}
        routing = {"groups": [{"id": f"g{n:02d}", "name": fill(WIDE, 120), "threshold": 100_000, "shards": 16}
                              for n in range(36)],
                   "rules": [{"id": f"r{n:03d}", "name": fill(WIDE, 120), "groups": ["g00"]} for n in range(200)]}
        for path, body in (("/settings", settings), ("/routing", routing)):
            assert 120 * 1024 < len(json.dumps(body, ensure_ascii=False).encode()) <= 128 * 1024
            other.ok("put", path, admin, body)
        assert other.ok("get", "/settings", admin)["canned_answers"] == settings["canned_answers"]
        read = other.ok("get", "/routing", admin)
        assert [g["name"] for g in read["groups"]] == [g["name"] for g in routing["groups"]]
        assert [r["name"] for r in read["rules"]] == [r["name"] for r in routing["rules"]]


def test_an_agent_in_the_most_ready_lists_reads_back_and_is_listed(scene: Scene) -> None:
    settings = scene.ok("get", f"/agents/{scene.agent_id}/settings", scene.admin_token)
    assert settings == {**scene.put_answers["agent"], "status": "available", "active": settings["active"]}
    assert settings["capacities"] == {"chat": 50, "call": 50, "email": 50} and len(settings["skills"]) == 14
    assert settings["active"] == 1 + len(EXTREMES)  # the flood and each kind's desk conversation
    directory = scene.ok("get", "/agents", scene.admin_token)["agents"]
    assert {"id": scene.agent_id, "name": "Ann", "status": "available", "queues": ["desk"]} in directory


# ---------------------------------------------------------------------------------------------------------------
# The desk and the supervisor views


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_desk_list_shows_each_extreme_conversation_as_stored(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    listed = {c["id"]: c for c in scene.ok("get", "/conversations", scene.agent_token)["conversations"]}
    mine = listed[stored.desk_id]
    assert mine["status"] == "assigned" and mine["custom"] == kind.stored_custom
    assert {k: v for k, v in mine["visitor"].items() if k != "ip"} == visitor_view_of(kind)
    assert mine["page"] == kind.page(3)
    assert stored.snoozed_id not in listed and stored.closed_id not in listed
    assert scene.ok("get", f"/conversations/{stored.desk_id}", scene.agent_token) == mine


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_messages_read_back_every_text_for_both_sides(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    for token in (scene.agent_token, stored.visitor_token):
        path = f"/conversations/{stored.desk_id}/messages"
        messages = scene.ok("get", path, token, visitor=True, query={"after_seq": "0", "limit": "200"})["messages"]
        assert [m["text"] for m in messages] == stored.desk_texts
        assert [m["sender"]["kind"] for m in messages] == ["visitor", "agent", "agent"]
        assert scene.ok("get", path, token, visitor=True, query={"after_seq": str(MAX_SEQ)}) == {"messages": []}


@pytest.mark.parametrize("fmt", ["text", "html"])
@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_transcript_holds_every_text_escaped_in_html(scene: Scene, kind: Extreme, fmt: str) -> None:
    stored = scene.stored[kind.id]
    for token, conversation_id, texts in ((scene.agent_token, stored.desk_id, stored.desk_texts),
                                          (stored.visitor_token, stored.closed_id, stored.closed_texts)):
        answer = scene.request("get", f"/conversations/{conversation_id}/transcript", token, visitor=True,
                               query={"format": fmt})
        assert answer.status_code == 200, answer.body[:300]
        assert answer.headers["Content-Type"] == f"text/{'html' if fmt == 'html' else 'plain'}; charset=utf-8"
        body = _bytes(answer.body).decode("utf-8")
        shown = html.escape(texts[0]) if fmt == "html" else texts[0]
        assert body.count(shown) == len(texts)
        if fmt == "html":
            assert "<script>" not in body and "<img" not in body


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_waiting_view_shows_each_waiting_extreme_with_its_rule(scene: Scene, kind: Extreme) -> None:
    report = scene.ok("get", "/waiting", scene.admin_token)
    row = {r["conversation_id"]: r for r in report["waiting"]}[scene.stored[kind.id].wait_id]
    n = IDS.index(kind.id)
    assert (row["group"], row["rule"], row["rule_name"]) == ("nobody", f"extreme-{n}", kind.text(120))
    assert row["visitor_name"] == stripped(kind.text(120)) and row["page_url"] == kind.page(4)["url"]
    assert row["position"] == n + 1 and row["stuck"]["reason"] == "no_eligible_agent_online"
    assert row["skill"] == ({"skill": scene.routing["skills"][-1], "min_level": 5} if n == 0 else None)
    nobody = next(g for g in report["groups"] if g["id"] == "nobody")
    assert (nobody["waiting"], nobody["threshold"]) == (len(EXTREMES) + 1, 100_000)


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_held_views_show_the_desk_and_snoozed_extremes(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    held = {c["id"]: c for c in scene.ok("get", "/held", scene.admin_token)["conversations"]}
    assert held[stored.desk_id]["status"] == "assigned" and held[stored.desk_id]["agent_connected"] is True
    assert held[stored.desk_id]["custom"] == kind.stored_custom and held[stored.desk_id]["page"] == kind.page(3)
    snoozed = held[stored.snoozed_id]
    assert (snoozed["status"], snoozed["custom"], snoozed["visitor"]["name"]) == (
        "snoozed", kind.stored_custom, stripped(kind.text(120)))
    mine = {c["id"]: c for c in scene.ok("get", "/agents/me/held", scene.agent_token)["snoozed"]}
    assert mine[stored.snoozed_id]["page"] == kind.page(5) and mine[stored.snoozed_id]["snooze"]["kept"] is True


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_contact_record_holds_the_case_with_the_longest_notes(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    query = {"email": kind.email} if kind.email else {"external_id": kind.identity["external_id"]}
    (found,) = scene.ok("get", "/contacts", scene.agent_token, query=query)["contacts"]
    assert found["id"] == stored.contact_id and found["case_count"] == 1
    assert (found["name"], found["email"], found["phone"], found["external_id"]) == (
        stripped(kind.text(120)) or "A", kind.stored_email, kind.phone, stripped(kind.text(128)) or "1")
    (case,) = scene.ok("get", f"/contacts/{stored.contact_id}", scene.agent_token)["cases"]
    assert case["conversation_id"] == stored.closed_id and case["notes"] == stripped(kind.text(4000))
    assert case["disposition"] == (disposition_of(kind) or "")


# ---------------------------------------------------------------------------------------------------------------
# The visitor's side


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_visitor_history_and_open_list_show_the_conversations_as_stored(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    history = scene.ok("get", "/visitors/me/history", stored.visitor_token, visitor=True)
    assert [c["id"] for c in history["conversations"]] == [stored.desk_id, stored.closed_id]
    desk, closed = history["conversations"]
    assert desk["page"] == kind.page(3) and desk["notification"] == {"email": kind.stored_email, "enabled": True}
    assert closed["status"] == "closed" and closed["page"] is None
    assert scene.ok("get", "/conversations", stored.visitor_token, visitor=True)["conversations"] == [desk]
    assert scene.ok("get", f"/conversations/{stored.desk_id}", stored.visitor_token, visitor=True) == {
        **desk, "position": None}


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_a_waiting_visitor_reads_its_conversation_and_place_after_the_largest_read_mark(scene: Scene,
                                                                                          kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    assert stored.read["seq"] == MAX_SEQ
    view = scene.ok("get", f"/conversations/{stored.wait_id}", stored.wait_token, visitor=True)
    assert (view["status"], view["page"], view["position"]) == ("waiting", kind.page(4), IDS.index(kind.id) + 1)
    messages = scene.ok("get", f"/conversations/{stored.wait_id}/messages", stored.wait_token, visitor=True)
    assert [m["text"] for m in messages["messages"]] == [kind.message]


def test_a_new_visitor_starts_behind_the_waiting_extremes(scene: Scene) -> None:
    assert scene.newcomer["conversation"]["status"] == "waiting"
    assert scene.newcomer["position"] == len(EXTREMES) + 1


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_availability_matches_the_extreme_page_and_custom_values(scene: Scene, kind: Extreme) -> None:
    # The longest URL availability takes is 2,000 characters (docs/limits.md); the rule's 500 come first.
    query = {"url": kind.page(4)["url"][:2000], "queue": "wait",
             **{f"custom.{k}": v for k, v in kind.stored_custom.items()}}
    assert scene.ok("get", "/availability", query=query, visitor=True) == {
        "available": True, "reason": None, "asynchronous": True}  # its rule: room to wait in `nobody`
    other = {**query, "custom.k": "no such value"} if kind.empty else {**query, "url": "https://elsewhere.example/"}
    assert scene.ok("get", "/availability", query=other, visitor=True) == {
        "available": False, "reason": "full", "asynchronous": False}  # the `waits` rule: no room at all


# ---------------------------------------------------------------------------------------------------------------
# The notification email and the pushes


@pytest.mark.parametrize("kind", WITH_EMAIL, ids=[e.id for e in WITH_EMAIL])
def test_the_notification_email_quotes_every_text_escaped_in_html(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    (mail,) = sent_to(kind.stored_email)
    text, body = part(mail, "plain"), part(mail, "html")
    assert text.count(f"You: {kind.message}") == 1 and text.count(f"Ann: {kind.message}") == 2
    assert body.count(html.escape(kind.message)) == len(stored.desk_texts)
    assert "<script>" not in body and body.count("<img") == 1  # the logo, whose URL is escaped too
    assert f'<img src="{html.escape(scene.settings["logo_url"])}"' in body
    page = kind.page(3)["url"] if kind.links_to_page else SITE_URL
    assert f"Continue the conversation: {page}#{notifications.LINK_PARAMETER}=" in text
    assert f'href="{html.escape(page)}#{notifications.LINK_PARAMETER}=' in body


def test_no_email_is_sent_without_an_address(scene: Scene) -> None:
    empty = scene.stored["empty"]
    assert scene.timers.of(notifications.NOTIFY, empty.desk_id) == []


def test_the_sync_after_coming_back_returns_every_text(scene: Scene) -> None:
    for stored in scene.stored.values():
        assert [m["text"] for m in stored.sync["messages"]] == stored.desk_texts and stored.sync["more"] is False


def test_a_conversation_full_of_control_characters_is_offered_assigned_and_synced_within_one_push(
        scene: Scene) -> None:
    assert scene.desk is not None
    (offer,) = [f for f in scene.desk.frames("offer") if f["conversation"]["id"] == scene.flood_id]
    (assigned,) = [f for f in scene.desk.frames("conversation.assigned") if f["conversation"]["id"] == scene.flood_id]
    for frame in (offer, assigned, scene.flood_syncs[0]):
        assert size(frame) <= PUSH_LIMIT, (frame.get("type"), frame.get("action"), size(frame))
    for frame in (offer, assigned, *scene.flood_syncs):
        assert frame["messages"] and all(m["text"] == FLOOD_TEXT for m in frame["messages"])
    # The desk gets the newest messages that fit (it reads the rest with GET .../messages); the widget's sync pages
    # bring every message, in order, `more` telling it to ask again.
    assert offer["messages"][-1]["seq"] == assigned["messages"][-1]["seq"] == 15
    assert [m["seq"] for s in scene.flood_syncs for m in s["messages"]] == list(range(1, 16))
    assert len(scene.flood_syncs) >= 2 and [s["more"] for s in scene.flood_syncs][-1] is False
    history = scene.ok("get", f"/conversations/{scene.flood_id}/messages", scene.agent_token)["messages"]
    assert [m["text"] for m in history] == [FLOOD_TEXT] * 15


def test_every_pushed_frame_fits_one_api_gateway_message(scene: Scene) -> None:
    frames = [f for connection_id in scene.connection_ids for f in scene.api.of(connection_id)]
    assert len(frames) > 100
    assert [(f.get("type"), f.get("action"), size(f)) for f in frames if size(f) > PUSH_LIMIT] == []


@pytest.mark.parametrize("kind", EXTREMES, ids=IDS)
def test_the_widget_and_the_desk_were_pushed_the_texts_as_stored(scene: Scene, kind: Extreme) -> None:
    stored = scene.stored[kind.id]
    widget = [f["message"] for f in scene.api.of(stored.widget_id, "message")]
    assert [(m["conversation_id"], m["text"]) for m in widget] == [(stored.closed_id, kind.message),
                                                                   (stored.desk_id, kind.message)]
    assert scene.desk is not None
    (offer,) = [f for f in scene.desk.frames("offer") if f["conversation"]["id"] == stored.desk_id]
    assert offer["conversation"]["custom"] == kind.stored_custom and offer["messages"] == []  # offered at its start
    (assigned,) = [f for f in scene.desk.frames("conversation.assigned") if f["conversation"]["id"] == stored.desk_id]
    assert [m["text"] for m in assigned["messages"]] == [kind.message]
    assert assigned["conversation"]["visitor"]["name"] == kind.identity["name"]
    pages = [f["page"] for f in scene.desk.frames("conversation.page") if f["conversation_id"] == stored.desk_id]
    assert pages == [kind.page(3)]
