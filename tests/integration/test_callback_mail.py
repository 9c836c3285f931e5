"""Callback emails (issue 13) through the real SES adapter on moto, and the session their link opens through the REST
handler: a booking with an address gets one confirmation whose link names that callback, on the brand's page; a
callback not reached gets its email; no address, no email; a mail failure fails nothing and logs neither the
address nor the number."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.mail import SesMailer
from chalicelib.domain import links
from chalicelib.domain.callbacks.model import Callback
from chalicelib.domain.errors import InvalidInput, Unauthorized
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind, Role
from chalicelib.ports import Deps, Email
from chalicelib.services import callback_mail, callbacks, conversations, tenants
from chalicelib.services.callbacks import CallbackRequest
from chalicelib.services.conversations import ChatRequest
from tests.integration.callback_tenant import set_callback_slots
from tests.integration.mailbox import part, sent_to

ROOT = Path(__file__).resolve().parents[2]
MONDAY_8AM_PARIS = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
SLOT = "2026-12-07T09:00-10:00"
BRAND = "https://brand.example"
LINK = re.compile(r"(\S*)#guichet_callback=([A-Za-z0-9_.\-]+)")


class _Clock:
    def now(self) -> datetime:
        return MONDAY_8AM_PARIS


@pytest.fixture
def deps(tenant: str) -> Deps:
    real = bootstrap.container().deps
    assert isinstance(real.mailer, SesMailer)  # the real adapter, on moto
    set_callback_slots(real, tenant, capacity=6)
    tenants.change_settings(real, Principal(tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN})),
                            {"site_url": f"{BRAND}/help"})
    return replace(real, clock=_Clock())


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def _address() -> str:
    return f"cb-{uuid.uuid4().hex[:8]}@example.com"


def _book(deps: Deps, tenant: str, email: str, when: str | None = SLOT, *, name: str = "Zoé",
          conversation_id: str | None = None, visitor: str = "v-1") -> Callback:
    """Books without mailing (these tests send each email themselves; the next test shows booking sends one)."""
    return callbacks.request_callback(replace(deps, mailer=None), Principal(tenant, visitor, PrincipalKind.VISITOR),
                                      CallbackRequest(phone="06 12 34 56 78", name=name, email=email, when=when,
                                                      conversation_id=conversation_id))


def test_asking_for_a_callback_sends_its_confirmation(deps: Deps, tenant: str) -> None:
    address = _address()
    visitor = Principal(tenant, "v-2", PrincipalKind.VISITOR)
    booked = callbacks.request_callback(deps, visitor, CallbackRequest(phone="06 12 34 56 79", name="Ada",
                                                                       email=address, when=SLOT))
    [mail] = sent_to(address)
    _, named = _link(deps, part(mail, "plain"))
    assert named == links.CallbackLink(tenant, "v-2", booked.id)


def _link(deps: Deps, text: str) -> tuple[str, links.CallbackLink]:
    """The page the email links to, and what its token names (verified now)."""
    found = LINK.search(text)
    assert found is not None, text
    assert deps.secrets is not None
    return found.group(1), links.verify_callback_link(deps.secrets.visitor_token_key(), found.group(2),
                                                      deps.clock.now())


def _token(text: str) -> str:
    found = LINK.search(text)
    assert found is not None, text
    return found.group(2)


def _sent_count() -> int:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_a_booking_with_an_email_gets_one_confirmation_with_its_link(deps: Deps, tenant: str) -> None:
    address = _address()
    booked = _book(deps, tenant, address)
    assert callback_mail.confirm(deps, booked) is True

    [mail] = sent_to(address)
    assert "Test Brand" in str(mail["From"]) and "booked" in str(mail["Subject"])
    text, body = part(mail, "plain"), part(mail, "html")
    for shown in (text, body):
        assert "Monday 7 December 2026 at 9:00 (Paris time)" in shown  # 08:00 UTC on the tenant's clock
        assert "+33 6 •• •• •• 78" in shown and "0612345678" not in shown and "+33612345678" not in shown
    page, named = _link(deps, text)
    assert page == f"{BRAND}/help" and named == links.CallbackLink(tenant, "v-1", booked.id)
    assert f'href="{BRAND}/help#guichet_callback=' in body
    # The link lasts until a day after the call.
    assert deps.secrets is not None and booked.at is not None
    token, key = _token(text), deps.secrets.visitor_token_key()
    assert links.verify_callback_link(key, token, booked.at + timedelta(hours=23)) == named
    with pytest.raises(Unauthorized, match="expired"):
        links.verify_callback_link(key, token, booked.at + timedelta(days=1))


def test_an_immediate_callback_is_confirmed_in_french_from_the_chats_page(deps: Deps, tenant: str) -> None:
    tenants.change_settings(deps, Principal(tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN})),
                            {"site_origins": [BRAND]})
    deps.agents.put(Agent(tenant=tenant, id="ann", name="Ann", status=AgentStatus.AVAILABLE))
    chat = conversations.start_conversation(deps, Principal(tenant, "v-1", PrincipalKind.VISITOR), None, ChatRequest(
        consent=True, page={"url": f"{BRAND}/shoes?size=40#reviews", "title": "Shoes"}))
    address = _address()
    now = _book(deps, tenant, address, None, conversation_id=chat.id)
    assert callback_mail.confirm(deps, now, language="fr-FR") is True

    [mail] = sent_to(address)
    text, body = part(mail, "plain"), part(mail, "html")
    assert "Nous vous rappelons dans quelques instants au +33 6 •• •• •• 78." in text
    assert 'lang="fr"' in body and "Annuler l'appel" in text
    page, named = _link(deps, text)
    assert page == f"{BRAND}/shoes?size=40" and named.callback_id == now.id


def test_not_reached_says_how_many_times_and_links_to_a_new_booking(deps: Deps, tenant: str) -> None:
    address = _address()
    booked = _book(deps, tenant, address, name='<b>Zoé</b> & "co"')
    ended = replace(booked, attempt=5)
    assert callback_mail.not_reached(deps, ended) is True

    [mail] = sent_to(address)
    text, body = part(mail, "plain"), part(mail, "html")
    assert "could not reach you" in str(mail["Subject"])
    assert "We tried to call you 5 times at +33 6 •• •• •• 78 and could not reach you." in text
    assert '<a href="https://brand.example/help#guichet_callback=' in body and "Book a new time" in body
    assert "<b>Zoé</b>" not in body and "&lt;b&gt;Zoé&lt;/b&gt; &amp; &quot;co&quot;" in body
    assert _link(deps, text)[1] == links.CallbackLink(tenant, "v-1", booked.id)


def test_no_address_no_email(deps: Deps, tenant: str) -> None:
    before = _sent_count()
    booked = _book(deps, tenant, "")
    assert callback_mail.confirm(deps, booked) is False
    assert callback_mail.not_reached(deps, replace(booked, attempt=5)) is False
    assert _sent_count() == before


def test_without_a_brand_page_the_email_has_no_link(deps: Deps, tenant: str) -> None:
    tenants.change_settings(deps, Principal(tenant, "boss", PrincipalKind.AGENT, roles=frozenset({Role.ADMIN})),
                            {"site_url": ""})
    address = _address()
    assert callback_mail.not_reached(deps, replace(_book(deps, tenant, address), attempt=1)) is True
    [mail] = sent_to(address)
    text = part(mail, "plain")
    assert "We tried to call you once" in text and "guichet_callback" not in text
    assert "You can ask for a new call on our site." in text


class _BrokenMailer:
    def send(self, email: Email) -> str:
        raise RuntimeError(f"SES refused {email.to}")


def test_a_mail_failure_fails_nothing_and_logs_no_address_or_number(deps: Deps, tenant: str,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    address = _address()
    booked = _book(deps, tenant, address)
    with caplog.at_level(logging.DEBUG, logger="guichet"):
        assert callback_mail.confirm(replace(deps, mailer=_BrokenMailer()), booked) is False
    [record] = [r for r in caplog.records if "callback email" in r.getMessage()]
    logged = json.dumps({**record.__dict__, "msg": record.getMessage()}, default=str)
    assert booked.id in logged and address not in logged and "612345678" not in logged and "Zoé" not in logged


# ---------------------------------------------------------------------------------------------------------------
# The link opens a session: POST /tenants/{t}/visitors {"callback_link": token}


def _post(http: Any, tenant: str, body: dict[str, Any]) -> tuple[int, Any]:
    answer = http.post(f"/tenants/{tenant}/visitors", headers={"Content-Type": "application/json"},
                       body=json.dumps(body))
    return answer.status_code, answer.json_body


def test_a_callback_link_opens_a_session_for_its_visitor_and_callback(http: Any, deps: Deps, tenant: str) -> None:
    address = _address()
    booked = _book(deps, tenant, address, visitor="v-booker")
    assert callback_mail.confirm(deps, booked)
    token = _token(part(sent_to(address)[0], "plain"))

    status, session = _post(http, tenant, {"callback_link": token})
    assert status == 201, session
    assert (session["visitor_id"], session["callback_id"], session["conversation_id"]) == (
        "v-booker", booked.id, None)
    # The session is the booker's: they may cancel the callback with it.
    answer = http.delete(f"/tenants/{tenant}/callbacks/{booked.id}",
                         headers={"Authorization": f"Bearer {session['visitor_token']}"})
    assert answer.status_code in (200, 204), answer.json_body
    assert _post(http, tenant, {})[1]["callback_id"] is None

    key = bootstrap.container().secrets.visitor_token_key()
    later = datetime.now(UTC) + timedelta(days=1)
    resume = links.resume_token(key, links.Resume(tenant, "v-booker", booked.id), datetime.now(UTC))
    for bad in (token[:-2] + "xx", resume,
                links.callback_token(key, links.CallbackLink("another", "v-booker", booked.id), later),
                links.callback_token(key, links.CallbackLink(tenant, "v-booker", booked.id),
                                     datetime.now(UTC) - timedelta(seconds=1))):
        status, refused = _post(http, tenant, {"callback_link": bad})
        assert status == 401, refused
    status, refused = _post(http, tenant, {"callback_link": token, "resume": resume})
    assert status == 400 and refused["field"] == "callback_link"
    status, refused = _post(http, tenant, {"callback_link": 7})
    assert status == 400 and refused["field"] == "callback_link"


def test_a_callback_asked_from_a_french_widget_is_confirmed_in_french(deps: Deps, tenant: str) -> None:
    address = _address()
    visitor = Principal(tenant, "v-3", PrincipalKind.VISITOR)
    booked = callbacks.request_callback(deps, visitor, CallbackRequest(phone="06 12 34 56 77", name="Zoé",
                                                                       email=address, when=SLOT, language="fr"))
    assert booked.language == "fr" and deps.callbacks is not None
    assert deps.callbacks.get(tenant, booked.id).language == "fr"  # type: ignore[union-attr]  # kept for later mail
    [mail] = sent_to(address)
    assert "Votre rappel est prévu" in part(mail, "plain")
    with pytest.raises(InvalidInput) as refused:
        callbacks.request_callback(deps, visitor, CallbackRequest(phone="06 12 34 56 76", name="Zoé", when=SLOT,
                                                                  language="<script>"))
    assert refused.value.field == "language"
