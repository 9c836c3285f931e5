"""The extreme values of issue 11 ("nothing stored can break a read") and the scene that stores them through the
Lambda handlers on moto's server, for tests/integration/test_extreme_values.py.

Each extreme kind (the longest text, the widest Unicode, combining marks with right-to-left overrides and joiners,
control characters and NUL, HTML-looking text, the empty or minimal value) stores every field a client can store at
the limit the boundary accepts, in four conversations: closed with the longest notes, on the desk (messages both
ways, an email to the visitor while away, pages), waiting with the largest read mark, snoozed. The tenant's settings
and routing are at the top of every range. Timers are recorded instead of armed; the test delivers the notification
timers to `app.on_timer` itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from chalice.test import Client

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

TEXT_KEYS = ("title", "welcome", "waiting", "unavailable", "dissuasion", "ended", "welcome_async", "consent",
             "closed")


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
        return json.loads(as_bytes(answer.body).decode("utf-8"))

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


def as_bytes(body: str | bytes) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8")


def login_user(scene: Scene, name: str, *roles: Role) -> str:
    username = f"{name.lower()}-{uuid.uuid4().hex[:6]}"
    c = bootstrap.container()
    tenants.create_agent(c.deps, c.identity, tenant=scene.tenant, username=username, password=PASSWORD, name=name,
                         roles=list(roles))
    answer = scene.http.post("/auth/login", headers={"Content-Type": "application/json"},
                             body=json.dumps({"username": username, "password": PASSWORD}))
    assert answer.status_code == 200, answer.body
    return str(answer.json_body["id_token"])


def configure(scene: Scene) -> None:
    scene.admin_token = login_user(scene, "Sam", Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    scene.agent_token = login_user(scene, "Ann", Role.AGENT)
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


def flood(scene: Scene) -> None:
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


def store(scene: Scene, kind: Extreme) -> Stored:
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


@contextmanager
def built_scene(stack: Stack) -> Iterator[Scene]:
    """The scene on a tenant of its own; the app's timers are recorded meanwhile."""
    c = bootstrap.container()
    recorded = RecordedTimers()
    tenant = f"x{uuid.uuid4().hex[:10]}"
    tenants.create_tenant(c.deps, tenant, "Extreme Brand")
    bootstrap._container = replace(c, deps=replace(c.deps, timers=recorded))
    try:
        with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
            scene = Scene(client.http, tenant, stack.connections, recorded)
            configure(scene)
            flood(scene)
            for kind in EXTREMES:
                scene.stored[kind.id] = store(scene, kind)
            empty = EXTREMES[-1]
            scene.newcomer = scene.visitor(scene.new_visitor(), "newcomer").call(
                "start_conversation", consent=True, queue="wait", custom=empty.custom, page=empty.page(4))
            yield scene
    finally:
        bootstrap._container = c
