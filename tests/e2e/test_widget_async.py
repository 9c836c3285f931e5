"""Asynchronous conversations in the widget (issue 5: ASYNC-1 to ASYNC-7, ASYNC-16), in a real browser on the real
local stack: the asynchronous welcome, consent before anything is stored, the email invitation and the settings
panel, an away visitor's notification email whose link reopens the conversation (and the rating form once it is
closed), the badge of a minimised messenger and the read mark, the previous conversations and "hide my history",
and the page the visitor is on.

The demo's default group lets conversations wait (threshold 100), so every conversation here is asynchronous. The
agent's side goes through the REST and WebSocket API, as a desk would; emails are read from the stack's
/outbox.json."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from chalicelib.domain import identity
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.helpers import Pages, rest, write
from tests.e2e.test_live_chat_widget import CONVERSATION_KEY, VISITOR_KEY, Client, agent, stored

XSS = "<img src=x onerror=alert(1)>"
WAIT = 10_000  # ms: an ack or a push on the local stack takes well under a second
WELCOME_ASYNC = ("Hello! Leave us a message and we will answer as soon as we can. If nobody answers at once, come back"
                 " later: our agents usually reply within a few hours.")
CONSENT = "To answer you, we store what you write in this conversation. Do you agree?"
RESUME_LINK = re.compile(r"(\S+#guichet_resume=\S+)")


# ---------------------------------------------------------------- helpers


def sent_frames(page: Page) -> list[dict[str, Any]]:
    """Every frame the page's widget sends on its WebSockets, decoded, as they go."""
    frames: list[dict[str, Any]] = []

    def on_socket(socket: Any) -> None:
        socket.on("framesent", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", on_socket)
    return frames


def actions(frames: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [frame for frame in frames if frame.get("action") == action]


def until(page: Page, condition: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    """Waits for condition() to be truthy, letting Playwright deliver the page's events meanwhile."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(100)
    return result


def open_widget(page: Page, url: str, path: str = "/") -> None:
    page.goto(f"{url}{path}")
    page.get_by_test_id("guichet-launcher").click()
    expect(page.locator("#panel")).to_be_visible()


def agent_messages(page: Page) -> Locator:
    return page.locator("[data-testid=guichet-message][data-kind=agent]")


def visitor_messages(page: Page) -> Locator:
    return page.locator("[data-testid=guichet-message][data-kind=visitor]")


def outbox(url: str) -> list[dict[str, Any]]:
    emails: list[dict[str, Any]] = rest(url, "GET", "/outbox.json")["emails"]
    return emails


def emails_to(url: str, address: str) -> list[dict[str, Any]]:
    return [email for email in outbox(url) if any(address in to for to in email["to"])]


def wait_for_emails(url: str, address: str, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """The emails to `address`, oldest first, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while len(found := emails_to(url, address)) < count:
        assert time.monotonic() < deadline, f"{len(found)} email(s) to {address} after {timeout} s, not {count}"
        time.sleep(0.25)
    return list(reversed(found))


def resume_link(email: dict[str, Any]) -> str:
    found = RESUME_LINK.search(email["text"] or "")
    assert found, email["text"]
    return found.group(1)


def visitor_id(url: str, token: str) -> str:
    me: dict[str, Any] = rest(url, "GET", "/tenants/demo/me", token=token)
    return str(me["id"])


def leave_tab(page: Page) -> None:
    """The visitor closes the tab (its browser context); the gateway runs $disconnect right after the socket
    closes, so an answer written after this finds the visitor away."""
    page.context.close()
    time.sleep(0.5)


def accept(alice: Client, conversation_id: str) -> None:
    offer = alice.expect("offer", lambda f: f["conversation"]["id"] == conversation_id)
    assert offer["conversation"]["asynchronous"] is True
    alice.ask("accept_offer", conversation_id=conversation_id, offer_id=offer["offer"]["id"])


# ---------------------------------------------------------------- the scenario


@pytest.mark.demo_settings(notify_delay_seconds=5)
def test_an_away_visitor_gets_one_email_per_burst_whose_link_reopens_the_conversation(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    visitor = pages.new()
    open_widget(visitor, url)
    # ASYNC-1: no agent is available, and answers may wait: the asynchronous welcome.
    expect(visitor.get_by_test_id("guichet-welcome")).to_have_text(WELCOME_ASYNC)
    question = f"{XSS} Do you deliver to Corsica?"
    write(visitor, question)
    expect(visitor.get_by_test_id("guichet-waiting")).to_be_visible()
    expect(visitor_messages(visitor)).to_have_text([question])

    # ASYNC-2: after the first message, the invitation to leave an email; a wrong address is refused by the widget.
    invite = visitor.get_by_test_id("guichet-invite")
    expect(invite).to_be_visible()
    box = visitor.get_by_test_id("guichet-invite-email")
    box.fill("zoe at example")
    visitor.get_by_test_id("guichet-invite-save").click()
    expect(visitor.get_by_test_id("guichet-invite-error")).to_have_text(
        "Please enter an email address such as name@example.com.")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.fill("zoe@example.org")
    box.press("Enter")
    expect(invite).to_be_hidden()
    expect(visitor.get_by_test_id("guichet-invite-done")).to_contain_text("zoe@example.org")
    token = stored(visitor, VISITOR_KEY)
    conversation_id = stored(visitor, CONVERSATION_KEY)
    view = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}", token=token)
    assert view["asynchronous"] is True
    assert view["notification"] == {"email": "zoe@example.org", "enabled": True}
    who = visitor_id(url, token)

    leave_tab(visitor)

    # Later, an agent answers: two messages in one burst.
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    accept(alice, conversation_id)
    answers = ["Yes, we deliver to Corsica within 3 days.", "Delivery is free above €500."]
    for number, text in enumerate(answers, start=1):
        alice.ask("send_message", conversation_id=conversation_id, client_message_id=f"a-{number}", text=text)
    assert emails_to(url, "zoe@example.org") == []  # debounced: nothing before notify_delay_seconds

    [email] = wait_for_emails(url, "zoe@example.org", 1)
    # The MIME From header is "Demo Brand <noreply@…>" (chalicelib/adapters/mail.py), but /outbox.json gives moto's
    # envelope sender only (local/outbox.py prefers it to the header): the brand is checked in the text.
    assert email["to"] == ["zoe@example.org"]
    assert email["subject"] == "Alice Martin answered you"
    assert "Alice Martin from Demo Brand answered your message:" in email["text"]
    assert f"You: {question}" in email["text"]
    for text in answers:
        assert f"Alice Martin: {text}" in email["text"]
    assert XSS not in (email["html"] or "")  # the visitor's text is escaped in the HTML part
    link = resume_link(email)
    assert link.startswith(f"{url}/#guichet_resume=r1."), link
    time.sleep(1)
    assert len(emails_to(url, "zoe@example.org")) == 1  # one email for the burst

    # The link, on another device (a new browser context, no storage): the widget opens on the conversation.
    reader = pages.new()
    read_frames = sent_frames(reader)
    reader.goto(link)
    expect(reader.locator("#panel")).to_be_visible(timeout=WAIT)
    expect(agent_messages(reader)).to_have_text(answers, timeout=WAIT)
    expect(visitor_messages(reader)).to_have_text([question])
    expect(reader.get_by_test_id("guichet-status")).to_have_text("Alice Martin joined the conversation")
    assert "guichet_resume" not in reader.evaluate("location.href")  # the token left the address bar
    assert visitor_id(url, stored(reader, VISITOR_KEY)) == who  # the same visitor
    until(reader, lambda: any(f["seq"] >= 3 for f in actions(read_frames, "read")), "the read mark")
    expect(reader.get_by_test_id("guichet-minimise")).to_be_visible()
    expect(reader.get_by_test_id("guichet-close")).to_be_hidden()

    # The visitor leaves again; the agent writes once more and closes: the second email's link opens the rating form.
    leave_tab(reader)
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-3", text="Anything else?")
    alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
    first, second = wait_for_emails(url, "zoe@example.org", 2)
    assert first["id"] == email["id"]
    assert second["subject"] == "Alice Martin answered you — how did it go?"
    assert "Alice Martin: Anything else?" in second["text"]
    assert "Rate the conversation: " in second["text"]

    rater = pages.new()
    rater.goto(resume_link(second))
    expect(rater.get_by_test_id("guichet-end")).to_be_visible(timeout=WAIT)
    expect(rater.get_by_test_id("guichet-rating")).to_be_visible()
    expect(agent_messages(rater)).to_have_text([*answers, "Anything else?"])
    rater.get_by_test_id("guichet-rate-5").click()
    rater.get_by_test_id("guichet-rating-submit").click()
    expect(rater.get_by_test_id("guichet-rating-done")).to_be_visible(timeout=WAIT)
    assert rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}",
                token=stored(rater, VISITOR_KEY))["rating"] == 5
    assert pages.dialogs == []
    alice.close()


def test_a_link_that_is_not_valid_opens_the_widget_as_usual(stack_url: str, pages: Pages) -> None:
    page = pages.new()
    page.goto(f"{stack_url}/#guichet_resume=r1.forged.token")
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible(timeout=WAIT)
    assert "guichet_resume" not in page.evaluate("location.href")
    expect(page.get_by_test_id("guichet-welcome")).to_have_text(WELCOME_ASYNC)
    expect(page.get_by_test_id("guichet-input")).to_be_enabled()
    token = stored(page, VISITOR_KEY)  # a new visitor
    assert rest(stack_url, "GET", "/tenants/demo/visitors/me/history", token=token)["conversations"] == []


# ---------------------------------------------------------------- consent


@pytest.mark.demo_settings(consent_required=True)
def test_consent_is_asked_before_the_first_message_and_nothing_is_stored_before(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    page = pages.new()
    frames = sent_frames(page)
    open_widget(page, url)
    consent = page.get_by_test_id("guichet-consent")
    expect(consent).to_be_visible()
    expect(page.get_by_test_id("guichet-consent-text")).to_have_text(CONSENT)
    agree = page.get_by_test_id("guichet-consent-agree")
    expect(agree).to_have_text("I agree")
    expect(agree).to_be_focused()
    box = page.get_by_test_id("guichet-input")
    expect(box).to_be_disabled()
    expect(page.get_by_test_id("guichet-send")).to_be_disabled()
    page.get_by_test_id("guichet-send").click(force=True)  # a disabled button sends nothing

    token = stored(page, VISITOR_KEY)
    page.wait_for_timeout(500)
    assert actions(frames, "start_conversation") == []  # nothing sent before agreeing
    assert rest(url, "GET", "/tenants/demo/visitors/me/history", token=token) == {"hidden": False, "conversations": []}
    assert rest(url, "GET", "/tenants/demo/conversations", token=token)["conversations"] == []

    agree.click()
    expect(consent).to_be_hidden()
    expect(box).to_be_enabled()
    expect(box).to_be_focused()
    write(page, f"{XSS} Hello")
    expect(page.get_by_test_id("guichet-waiting")).to_be_visible()
    [start] = until(page, lambda: actions(frames, "start_conversation"), "the start frame")
    assert start["consent"] is True
    [conversation] = until(page, lambda: rest(url, "GET", "/tenants/demo/visitors/me/history",
                                              token=token)["conversations"], "the conversation")
    assert conversation["id"] == stored(page, CONVERSATION_KEY)
    assert conversation["status"] == "waiting"
    assert pages.dialogs == []


# ---------------------------------------------------------------- minimised: the badge and the read mark


def test_minimised_the_badge_counts_the_agents_messages_and_opening_marks_them_read(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page = pages.new()
    frames = sent_frames(page)
    open_widget(page, url)
    # ASYNC-7: asynchronous mode, so the messenger is minimised, never closed.
    minimise = page.get_by_test_id("guichet-minimise")
    expect(minimise).to_be_visible()
    expect(minimise).to_have_attribute("aria-label", "Minimise chat")
    expect(page.get_by_test_id("guichet-close")).to_be_hidden()
    write(page, "Is the Volta E+ in stock?")
    conversation_id = stored(page, CONVERSATION_KEY)
    accept(alice, conversation_id)
    expect(page.get_by_test_id("guichet-status")).to_have_text("Alice Martin joined the conversation", timeout=WAIT)
    expect(page.get_by_test_id("guichet-close")).to_be_hidden()

    minimise.click()
    expect(page.locator("#panel")).to_be_hidden()
    launcher = page.get_by_test_id("guichet-launcher")
    badge = page.get_by_test_id("guichet-badge")
    expect(badge).to_be_hidden()
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-1", text="Yes, two are left.")
    expect(badge).to_have_text("1", timeout=WAIT)
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-2", text=XSS)
    expect(badge).to_have_text("2", timeout=WAIT)
    expect(launcher).to_contain_text("2 new messages")  # for screen readers
    page.wait_for_timeout(300)
    assert actions(frames, "read") == []  # nothing was seen while minimised

    launcher.click()
    expect(badge).to_be_hidden()
    expect(agent_messages(page)).to_have_text(["Yes, two are left.", XSS])
    [read] = until(page, lambda: actions(frames, "read"), "the read frame")
    assert read["conversation_id"] == conversation_id
    assert read["seq"] == 3

    # A reload keeps what was read: no badge; a new answer while minimised counts from there.
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    page.reload()
    expect(launcher).to_be_visible(timeout=WAIT)
    expect(page.locator("#panel")).to_be_hidden()
    page.wait_for_timeout(500)
    expect(badge).to_be_hidden()
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-3", text="Shall I keep one?")
    expect(badge).to_have_text("1", timeout=WAIT)
    assert pages.dialogs == []
    alice.close()


# ---------------------------------------------------------------- email settings


def test_the_visitor_changes_deletes_and_switches_off_the_email_in_the_settings(
        stack_url: str, pages: Pages) -> None:
    url = stack_url
    page = pages.new()
    open_widget(page, url)
    write(page, "Please write to me when you can.")
    expect(page.get_by_test_id("guichet-invite")).to_be_visible(timeout=WAIT)
    page.get_by_test_id("guichet-invite-skip").click()
    expect(page.get_by_test_id("guichet-invite")).to_be_hidden()
    expect(page.get_by_test_id("guichet-input")).to_be_focused()
    token = stored(page, VISITOR_KEY)
    conversation_id = stored(page, CONVERSATION_KEY)

    def notification() -> dict[str, Any]:
        view: dict[str, Any] = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}", token=token)
        return dict(view["notification"])

    gear = page.get_by_test_id("guichet-settings-button")
    expect(gear).to_have_attribute("aria-label", "Settings")
    gear.click()
    settings = page.get_by_test_id("guichet-settings")
    expect(settings).to_be_visible()
    expect(gear).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("guichet-input")).to_be_hidden()
    status = page.get_by_test_id("guichet-settings-status")
    email = page.get_by_test_id("guichet-settings-email")
    expect(email).to_have_value("")

    email.fill("not-an-address")
    page.get_by_test_id("guichet-settings-email-save").click()
    expect(status).to_have_text("Please enter an email address such as name@example.com.")
    assert notification() == {"email": "", "enabled": True}
    email.fill("zoe@example.org")
    page.get_by_test_id("guichet-settings-email-save").click()
    expect(status).to_have_text("Saved: we will write to zoe@example.org.")
    assert notification() == {"email": "zoe@example.org", "enabled": True}

    notify = page.get_by_test_id("guichet-settings-notify")
    expect(notify).to_be_checked()
    notify.uncheck()
    expect(status).to_have_text("Emails are off.")
    assert notification() == {"email": "zoe@example.org", "enabled": False}  # the address stays
    notify.check()
    expect(status).to_have_text("Emails are on.")

    email.fill("zoe.martin@example.org")
    email.press("Enter")
    expect(status).to_have_text("Saved: we will write to zoe.martin@example.org.")
    assert notification() == {"email": "zoe.martin@example.org", "enabled": True}
    page.get_by_test_id("guichet-settings-email-delete").click()
    expect(status).to_have_text("Your email address was deleted.")
    expect(email).to_have_value("")
    assert notification() == {"email": "", "enabled": True}

    page.get_by_test_id("guichet-settings-back").click()
    expect(settings).to_be_hidden()
    expect(gear).to_be_focused()
    expect(page.get_by_test_id("guichet-input")).to_be_visible()
    expect(visitor_messages(page)).to_have_text(["Please write to me when you can."])
    expect(page.get_by_test_id("guichet-invite")).to_be_hidden()  # skipped: not asked again


# ---------------------------------------------------------------- history


def test_a_returning_visitor_sees_the_previous_conversation_and_can_hide_the_history(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page = pages.new()
    open_widget(page, url)
    first_question = f"{XSS} Which size for 1.80 m?"
    write(page, first_question)
    first_id = stored(page, CONVERSATION_KEY)
    accept(alice, first_id)
    alice.ask("send_message", conversation_id=first_id, client_message_id="a-1", text="A size L frame.")
    alice.ask("close_conversation", conversation_id=first_id, disposition="Resolved")
    expect(page.get_by_test_id("guichet-end")).to_be_visible(timeout=WAIT)
    history = page.get_by_test_id("guichet-history")
    expect(history).to_be_hidden()  # the only conversation is the one on screen

    write(page, "And for 1.65 m?")  # a second conversation
    page.wait_for_function("([key, old]) => localStorage.getItem(key) !== old", arg=[CONVERSATION_KEY, first_id])
    expect(visitor_messages(page)).to_have_text(["And for 1.65 m?"])
    expect(history).to_be_visible(timeout=WAIT)
    summary = page.get_by_test_id("guichet-history-summary")
    expect(summary).to_have_text("Your previous conversations (1)")
    summary.click()
    item = page.get_by_test_id("guichet-history-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Closed")
    expect(item).to_have_attribute("aria-expanded", "false")
    item.click()
    expect(item).to_have_attribute("aria-expanded", "true")
    old = page.get_by_test_id("guichet-history-message")
    expect(old).to_have_text([first_question, "A size L frame."])
    expect(page.get_by_test_id("guichet-history-messages").locator("textarea, input")).to_have_count(0)  # read-only
    item.click()
    expect(old.first).to_be_hidden()

    # "Hide my history" (ASYNC-5), in the settings.
    page.get_by_test_id("guichet-settings-button").click()
    hide = page.get_by_test_id("guichet-settings-hide-history")
    expect(hide).not_to_be_checked()
    expect(page.get_by_test_id("guichet-settings-notify-hint")).to_be_hidden()  # the conversation is open
    hide.check()
    expect(page.get_by_test_id("guichet-settings-status")).to_have_text("Your previous conversations are hidden.")
    page.get_by_test_id("guichet-settings-back").click()
    expect(history).to_be_hidden()
    token = stored(page, VISITOR_KEY)
    assert rest(url, "GET", "/tenants/demo/visitors/me/history", token=token) == {"hidden": True, "conversations": []}

    page.reload()
    expect(visitor_messages(page)).to_have_text(["And for 1.65 m?"], timeout=WAIT)
    page.wait_for_timeout(500)
    expect(history).to_be_hidden()
    assert pages.dialogs == []
    alice.close()


def identified(pages: Pages, signed: dict[str, str]) -> Page:
    """A new device (own browser context) on which the demo page hands the widget the customer's signed identity."""
    page = pages.new()
    page.context.add_init_script(f"window.guichetContext = {json.dumps({'identity': signed})};")
    return page


def test_an_identified_customer_finds_the_conversation_and_the_history_on_another_device(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    admin = rest(url, "POST", "/auth/login", {"username": "ada", "password": DEMO_PASSWORD})["id_token"]
    secret = rest(url, "GET", "/tenants/demo/identity-secret", token=admin)["secret"]
    signed = {"external_id": "C-1234", "name": "Zoé Martin", "email": "zoe@example.org",
              "signature": identity.sign(secret, "C-1234", "Zoé Martin", "zoe@example.org")}
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")

    laptop = identified(pages, signed)
    open_widget(laptop, url)
    question = f"{XSS} Can I change my delivery address?"
    write(laptop, question)
    conversation_id = stored(laptop, CONVERSATION_KEY)
    accept(alice, conversation_id)
    alice.ask("send_message", conversation_id=conversation_id, client_message_id="a-1", text="Yes, until it ships.")

    # The phone: no storage, the same customer: the open conversation follows them.
    phone = identified(pages, signed)
    open_widget(phone, url)
    expect(agent_messages(phone)).to_have_text(["Yes, until it ships."], timeout=WAIT)
    expect(visitor_messages(phone)).to_have_text([question])
    assert visitor_id(url, stored(phone, VISITOR_KEY)) == visitor_id(url, stored(laptop, VISITOR_KEY))
    alice.ask("close_conversation", conversation_id=conversation_id, disposition="Resolved")
    expect(phone.get_by_test_id("guichet-end")).to_be_visible(timeout=WAIT)

    # A third device finds it in the history; an anonymous visitor on it would not.
    tablet = identified(pages, signed)
    open_widget(tablet, url)
    expect(tablet.get_by_test_id("guichet-history-summary")).to_have_text("Your previous conversations (1)",
                                                                           timeout=WAIT)
    tablet.get_by_test_id("guichet-history-summary").click()
    tablet.get_by_test_id("guichet-history-item").click()
    expect(tablet.get_by_test_id("guichet-history-message")).to_have_text([question, "Yes, until it ships."])
    stranger = pages.new()
    open_widget(stranger, url)
    expect(stranger.get_by_test_id("guichet-welcome")).to_have_text(WELCOME_ASYNC)
    stranger.wait_for_timeout(500)
    expect(stranger.get_by_test_id("guichet-history")).to_be_hidden()
    assert pages.dialogs == []
    alice.close()


# ---------------------------------------------------------------- the page the visitor is on


def test_a_page_loaded_with_an_open_conversation_tells_the_agent_where_the_visitor_is(
        start_stack: Callable[..., str], pages: Pages) -> None:
    url = start_stack()
    alice = agent(url, "alice")
    alice.ask("set_status", status="available")
    page = pages.new()
    frames = sent_frames(page)
    open_widget(page, url)
    write(page, "Is this bike in stock?")
    conversation_id = stored(page, CONVERSATION_KEY)
    accept(alice, conversation_id)
    expect(page.get_by_test_id("guichet-status")).to_contain_text("Alice Martin", timeout=WAIT)
    assert actions(frames, "page") == []  # the start carried the page

    page.goto(f"{url}/?lang=en&product=volta")
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible(timeout=WAIT)
    moved = alice.expect("conversation.page", lambda f: f["conversation_id"] == conversation_id)
    assert moved["page"] == {"url": f"{url}/?lang=en&product=volta", "title": "Demo Brand — Bicycles"}
    view = rest(url, "GET", f"/tenants/demo/conversations/{conversation_id}", token=stored(page, VISITOR_KEY))
    assert view["page"]["url"] == f"{url}/?lang=en&product=volta"
    page.reload()  # the same page again: nothing to tell
    expect(page.get_by_test_id("guichet-launcher")).to_be_visible(timeout=WAIT)
    page.wait_for_timeout(1000)
    assert len(actions(frames, "page")) == 1
    alice.close()
