"""Callback links (issue 13): a signed token that opens the widget on one callback for its visitor, until a day
after the call time (a week after an immediate request), and that never passes for a resume link or the reverse."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import links
from chalicelib.domain.callbacks.model import Callback, CallbackMode
from chalicelib.domain.errors import Unauthorized

KEY = b"secret-key-for-tests"
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
LINK = links.CallbackLink("demo", "v-1", "cb-1")


def _callback(mode: CallbackMode, at: datetime | None) -> Callback:
    return Callback(tenant="demo", id="cb-1", visitor_id="v-1", phone="+33612345678", name="Zoé", mode=mode,
                    created_at=NOW, at=at)


def test_a_link_names_its_tenant_visitor_and_callback() -> None:
    token = links.callback_token(KEY, LINK, NOW + timedelta(days=1))
    assert token.startswith("b1.")
    assert links.verify_callback_link(KEY, token, NOW) == LINK


def test_a_booking_link_lasts_a_day_after_the_call_and_an_immediate_one_a_week() -> None:
    at = NOW + timedelta(days=3, hours=2)
    assert links.callback_link_expiry(_callback(CallbackMode.SCHEDULED, at)) == at + timedelta(days=1)
    assert links.callback_link_expiry(_callback(CallbackMode.IMMEDIATE, None)) == NOW + timedelta(days=7)


def test_an_expired_link_is_refused() -> None:
    expires_at = NOW + timedelta(days=1)
    token = links.callback_token(KEY, LINK, expires_at)
    assert links.verify_callback_link(KEY, token, expires_at - timedelta(seconds=1)) == LINK
    with pytest.raises(Unauthorized, match="expired"):
        links.verify_callback_link(KEY, token, expires_at)


def test_a_forged_link_is_refused() -> None:
    token = links.callback_token(KEY, LINK, NOW + timedelta(days=1))
    with pytest.raises(Unauthorized, match="signature"):
        links.verify_callback_link(b"another key", token, NOW)
    other = links.callback_token(KEY, links.CallbackLink("demo", "v-2", "cb-1"), NOW + timedelta(days=1))
    prefix, _, signature = token.split(".")
    with pytest.raises(Unauthorized, match="signature"):
        links.verify_callback_link(KEY, ".".join([prefix, other.split(".")[1], signature]), NOW)


def test_a_resume_link_is_no_callback_link_and_the_reverse() -> None:
    resume = links.resume_token(KEY, links.Resume("demo", "v-1", "cb-1"), NOW)
    with pytest.raises(Unauthorized, match="malformed"):
        links.verify_callback_link(KEY, resume, NOW)
    callback = links.callback_token(KEY, LINK, NOW + timedelta(days=1))
    with pytest.raises(Unauthorized, match="malformed"):
        links.verify_resume(KEY, callback, NOW)
    # The same claims under the other prefix do not verify either: the prefix is signed.
    relabelled = "r1." + callback.split(".", 1)[1]
    with pytest.raises(Unauthorized):
        links.verify_resume(KEY, relabelled, NOW)


@pytest.mark.parametrize("token", ["", "b1", "b1.a", "b1.!!!.###", "b2.a.b", "b1.a.b.c", "v1.a.b"])
def test_malformed_links_are_refused(token: str) -> None:
    with pytest.raises(Unauthorized):
        links.verify_callback_link(KEY, token, NOW)
