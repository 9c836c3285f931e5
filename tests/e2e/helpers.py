"""What the e2e tests share: REST calls and logins, WebSocket requests, a watch on alert() dialogs, signing in to
the desk, writing in the widget, and axe-core's accessibility check of a page."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect
from websockets.sync.client import ClientConnection


def rest_status(url: str, method: str, path: str, body: dict[str, Any] | None = None,
                token: str | None = None) -> tuple[int, Any]:
    """(status, decoded JSON body); 4xx answers are returned, not raised."""
    data = None if method == "GET" else json.dumps(body or {}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{url}{path}", method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def rest(url: str, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    """The decoded JSON body of a 2xx answer; anything else fails the test."""
    status, answer = rest_status(url, method, path, body, token)
    assert 200 <= status < 300, (method, path, status, answer)
    return answer


def ws_url(url: str, token: str, tenant: str = "demo") -> str:
    return f"{url.replace('http', 'ws', 1)}/ws?tenant={tenant}&token={token}"


def ask(socket: ClientConnection, frame: dict[str, Any] | str) -> dict[str, Any]:
    """Send a frame and return the answer to it, skipping pushes (e.g. an agent joining) that come in between."""
    socket.send(frame if isinstance(frame, str) else json.dumps(frame))
    request_id = None if isinstance(frame, str) else frame.get("id")
    while True:
        answer: dict[str, Any] = json.loads(socket.recv(timeout=10))
        if answer.get("id") == request_id and answer["type"] in {"ack", "error", "pong"}:
            return answer


def watch_dialogs(page: Page) -> list[str]:
    """Any alert() would mean visitor text ran as HTML; the tests assert none opened."""
    dialogs: list[str] = []

    def seen(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return dialogs


DESK_WAIT = 10_000  # ms: pushes and acks on the local stack take well under a second
DEMO_PASSWORD = "Guichet-demo-1"  # every demo user's (local/demo.py)


def login(url: str, username: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    """POST /auth/login's answer (id_token, agent...) for a demo user."""
    answer: dict[str, Any] = rest(url, "POST", "/auth/login", {"username": username, "password": password})
    return answer


def submit_sign_in(page: Page, url: str, username: str, password: str = DEMO_PASSWORD) -> Page:
    """Open the desk in `page` and submit its sign-in form with a click (the gesture that unlocks sound); what comes
    next (the desk, a new password asked, an error) is the caller's to wait for."""
    page.goto(f"{url}/desk")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    return page


def connect_desk(page: Page, url: str, username: str, password: str = DEMO_PASSWORD) -> Page:
    """Sign in on the desk in `page` and wait until its socket is connected, leaving the agent's status as it is (a
    supervisor watching, or an admin at the console, takes no chats)."""
    submit_sign_in(page, url, username, password)
    expect(page.get_by_test_id("desk-connection")).to_have_text("connected", timeout=15_000)
    return page


def sign_in_desk(page: Page, url: str, username: str, password: str = DEMO_PASSWORD) -> Page:
    """Sign in on the desk in `page` (connect_desk) and go Available, as the server acknowledged it."""
    connect_desk(page, url, username, password)
    return go_available(page)


def temporary_password(url: str, email: str) -> str:
    """The temporary password of the one mail to `email` in the local outbox (an invitation or a reset)."""
    mails = [m for m in rest(url, "GET", "/outbox.json")["emails"] if email in m["to"]]
    assert len(mails) == 1, mails
    found = re.search(r"Temporary password: (\S+)", mails[0]["text"])
    assert found is not None
    return found.group(1)


def first_sign_in(page: Page, url: str, username: str, temporary: str, chosen: str) -> Page:
    """An invited user's first sign-in on the desk in `page`: the temporary password, then their own, typed twice
    in the form the desk asks for it with; waits until the desk's socket is connected."""
    submit_sign_in(page, url, username, temporary)
    expect(page.get_by_test_id("new-password-form")).to_be_visible(timeout=DESK_WAIT)
    page.get_by_test_id("new-password").fill(chosen)
    page.get_by_test_id("new-password-repeat").fill(chosen)
    page.get_by_test_id("new-password-submit").click()
    expect(page.get_by_test_id("desk-connection")).to_have_text("connected", timeout=15_000)
    return page


def go_available(page: Page) -> Page:
    """The signed-in agent of `page` goes Available, as the server acknowledged it."""
    status = page.get_by_test_id("status-select")
    status.select_option("available")
    expect(status).to_have_attribute("data-status", "available", timeout=DESK_WAIT)
    return page


def expect_refused_at(page: Page, test_id: str, text: str) -> None:
    """A value the server refused, shown as every settings form shows it (web/desk/labelled-field.js): the message,
    containing `text`, next to the input `test_id` (the message's test id is `{test_id}-error`); the input is
    aria-invalid, described by the message, and has the focus."""
    control = page.get_by_test_id(test_id)
    expect(page.get_by_test_id(f"{test_id}-error")).to_contain_text(text, timeout=DESK_WAIT)
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_attribute("aria-describedby", re.compile(rf"(^|\s){re.escape(test_id)}-error(\s|$)"))
    expect(control).to_be_focused()


def write(page: Page, text: str) -> None:
    """The visitor types a message in the widget and sends it with Enter."""
    box = page.get_by_test_id("guichet-input")
    box.fill(text)
    box.press("Enter")


AXE = Path(__file__).parent / "axe" / "axe.min.js"  # axe-core, pinned (tests/e2e/axe/README.md)
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page, context: str | None = None) -> list[dict[str, Any]]:
    """What axe-core finds against WCAG 2.0/2.1 A and AA in `page` (or in the part a CSS selector names), open
    shadow roots included: one dict per rule broken, with its id, impact, the targets of the elements that break
    it (an element in a shadow root is "host selector >> selector inside"), the rule's help, and why each element
    fails, so that `assert axe_violations(page) == []` says what and where (pytest -vv shows it all). axe is
    injected once per document."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async ([context, tags]) => {
            const result = await axe.run(context ?? document, { runOnly: { type: 'tag', values: tags } });
            const where = (target) => target.map((part) => [].concat(part).join(' ')).join(' >> ');
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, targets: v.nodes.map((n) => where(n.target)), help: v.help,
                why: v.nodes.map((n) => n.failureSummary),
            }));
        }""", [context, WCAG_A_AA])
    return found


class Pages:
    """Browser pages, each in a context of its own (own storage, like separate people), closed after the test.
    Any alert() on any of them would mean visitor text ran as HTML: `dialogs` collects them."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.dialogs: list[str] = []

    def new(self) -> Page:
        context = self.browser.new_context()
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", self._on_dialog)
        return page

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def upload_hold_music(url: str, admin_token: str, seconds: float = 1.0) -> None:
    """The demo tenant's hold music: `seconds` of silence, 8 kHz mono 16-bit PCM, as the Call settings page sends it."""
    import base64

    from local.phone_media import silent_wav

    rest(url, "PUT", "/tenants/demo/callbacks/audio/hold_music",
         {"wav_base64": base64.b64encode(silent_wav(seconds)).decode()}, token=admin_token)
