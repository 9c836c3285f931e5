"""The input boundary (chalicelib/boundary): JSON within limits, valid Unicode, and one model per body and frame,
each failure naming its field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import boundary
from chalicelib.boundary import fields
from chalicelib.domain.emails import valid_email
from chalicelib.domain.errors import InvalidInput, MissingField, Unauthorized
from chalicelib.domain.visitor_tokens import verify
from chalicelib.ws import _validated

FRAME = boundary.MAX_FRAME_BYTES


def _refused(raw: str | bytes, code: str, field: str | None = None) -> None:
    with pytest.raises(Exception) as caught:
        boundary.load_json(raw, limit=FRAME, what="frame")
    assert getattr(caught.value, "code", None) == code, caught.value
    assert getattr(caught.value, "field", None) == field


def test_five_thousand_nested_arrays_are_invalid_json_not_a_recursion_error() -> None:
    _refused("[" * 5000 + "]" * 5000, "invalid_json")
    _refused('{"a":' * 5000 + "1" + "}" * 5000, "invalid_json")


def test_nesting_is_limited_to_sixteen_levels() -> None:
    deep = "[" * boundary.MAX_DEPTH + "]" * boundary.MAX_DEPTH
    assert boundary.load_json(deep, limit=FRAME) == json.loads(deep)
    _refused("[" + deep + "]", "invalid_json")


@pytest.mark.parametrize(("raw", "field"), [
    ('{"text": "\\ud800"}', "text"),
    ('{"page": {"title": "ok \\udfff"}}', "page.title"),
    ('{"custom": {"k": ["x", "\\ud83d"]}}', "custom.k.1"),
    ('{"\\ud800": 1}', "frame"),
])
def test_a_lone_surrogate_anywhere_is_a_field_error_naming_its_path(raw: str, field: str) -> None:
    _refused(raw, "invalid_field", field)


def test_a_surrogate_pair_is_a_valid_character() -> None:
    assert boundary.load_json('{"text": "\\ud83d\\ude00"}', limit=FRAME) == {"text": "\U0001f600"}


@pytest.mark.parametrize("raw", ['{"seq": NaN}', '{"seq": Infinity}', '{"seq": -Infinity}'])
def test_json_constants_that_are_not_numbers_are_invalid_json(raw: str) -> None:
    _refused(raw, "invalid_json")


def test_a_number_too_large_for_a_float_is_out_of_range() -> None:
    _refused('{"amount": 1e400}', "invalid_field", "amount")


def test_input_over_the_size_limit_is_refused_before_parsing() -> None:
    _refused(json.dumps({"text": "x" * FRAME}), "invalid_field", "frame")


def test_bytes_that_are_not_utf8_are_invalid_json() -> None:
    _refused(b'{"text": "\xff"}', "invalid_json")


def _frame(model: str, frame: dict[str, Any]) -> Any:
    return _validated(model, frame)


def _frame_error(model: str, frame: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        _frame(model, frame)
    return caught.value


def test_a_read_mark_has_a_documented_range() -> None:
    assert _frame("Read", {"conversation_id": "c1", "seq": fields.MAX_SEQ}).seq == fields.MAX_SEQ
    error = _frame_error("Read", {"conversation_id": "c1", "seq": 10**40})
    assert (error.code, error.field) == ("invalid_field", "seq")
    assert _frame_error("Read", {"conversation_id": "c1", "seq": -1}).field == "seq"
    assert _frame_error("Read", {"conversation_id": "c1", "seq": True}).field == "seq"


def test_a_missing_required_field_is_missing_field_and_a_wrong_type_invalid_field() -> None:
    missing = _frame_error("SendMessage", {"conversation_id": "c1", "client_message_id": "m1"})
    assert isinstance(missing, MissingField) and missing.field == "text"
    wrong = _frame_error("SendMessage", {"conversation_id": "c1", "client_message_id": "m1", "text": 5})
    assert (wrong.code, wrong.field) == ("invalid_field", "text")


@pytest.mark.parametrize(("frame", "field"), [
    ({"page": {"url": "u" * 2049}}, "page.url"),
    ({"custom": {"k": "v" * 201}}, "custom.k"),
    ({"custom": {f"k{i}": "v" for i in range(21)}}, "custom"),
    ({"visitor_name": "n" * 121}, "visitor_name"),
    ({"visitor_email": "a,b@example.org"}, "visitor_email"),
    ({"message": {"client_message_id": "m 1", "text": "hi"}}, "message.client_message_id"),
    ({"skill": {"skill": "billing", "min_level": 6}}, "skill.min_level"),
    ({"consent": "yes"}, "consent"),
    ({"queue": 7}, "queue"),
])
def test_start_conversation_names_the_field_at_fault(frame: dict[str, Any], field: str) -> None:
    assert _frame_error("StartConversation", frame).field == field


def test_custom_values_may_be_numbers_or_booleans_and_are_kept_as_text() -> None:
    started = _frame("StartConversation", {"custom": {"cart": 42.5, "member": True}})
    assert started.custom == {"cart": "42.5", "member": "true"}


@pytest.mark.parametrize("address", ["a,b@example.org", "x@example.org>", "[a]@example.org", "a b@example.org",
                                     "é@example.org", "a@localhost", "a@example.invalid", "a@" + "x" * 250 + ".org"])
def test_addresses_ses_cannot_mail_are_refused(address: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        valid_email("email", address)
    assert caught.value.field == "email"
    assert _frame_error("SetNotification", {"conversation_id": "c1", "email": address}).field == "email"


def test_a_mailable_address_is_kept_as_given_and_an_idn_domain_in_ascii() -> None:
    assert valid_email("email", " Zoe@Example.org ") == "Zoe@Example.org"
    assert valid_email("email", "zoe@exämple.org") == "zoe@xn--exmple-cua.org"
    assert valid_email("email", "") == ""


def test_set_notification_tells_a_field_left_out_from_a_null_one() -> None:
    assert _frame("SetNotification", {"conversation_id": "c1", "enabled": False}).model_fields_set == {
        "conversation_id", "enabled"}
    assert "email" in _frame("SetNotification", {"conversation_id": "c1", "email": None}).model_fields_set


def test_a_query_gathers_custom_parameters_and_converts_numbers() -> None:
    query = boundary.rest_query("AvailabilityQuery", {"level": "3", "skill": "billing", "custom.plan": "gold"})
    assert (query.level, query.skill, query.custom) == (3, "billing", {"plan": "gold"})
    with pytest.raises(InvalidInput) as caught:
        boundary.rest_query("AvailabilityQuery", {"custom.plan": "g" * 300})
    assert caught.value.field == "custom.plan"
    with pytest.raises(InvalidInput) as caught:
        boundary.rest_query("MessagesQuery", {"after_seq": str(10**40)})
    assert caught.value.field == "after_seq"


def test_settings_bodies_keep_every_field_for_the_domain_and_refuse_what_is_not_an_object() -> None:
    body = boundary.rest_body("DomainChecked", b'{"acceptance_seconds": 20, "texts": {"en": {"title": "Hi"}}}')
    assert body.model_extra == {"acceptance_seconds": 20, "texts": {"en": {"title": "Hi"}}}
    with pytest.raises(InvalidInput) as caught:
        boundary.rest_body("DomainChecked", b"[1]")
    assert caught.value.field == "body"


@pytest.mark.parametrize(("name", "value"), [("tenant", "x" * 65), ("tenant", "a/b"), ("tenant", "dé"),
                                             ("conversation_id", "c" * 129), ("agent_id", "a b")])
def test_path_parameters_have_a_shape(name: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        boundary.path_parameter(name, value)
    assert caught.value.field == name


def test_scrub_makes_any_stored_lone_surrogate_encodable() -> None:
    assert boundary.scrub("ok \ud800!").encode("utf-8") == "ok \ufffd!".encode()
    assert boundary.scrub("plain") == "plain"


def test_a_visitor_token_with_non_ascii_characters_is_unauthorized_not_a_crash() -> None:
    from datetime import UTC, datetime

    with pytest.raises(Unauthorized):
        verify(b"k", "v1.é.x", datetime.now(UTC))


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:59Z"])
def test_a_time_outside_the_years_2000_to_2199_is_a_field_error_not_an_overflow(moment: str) -> None:
    from chalicelib.domain.moments import parse_moment

    with pytest.raises(InvalidInput) as caught:
        parse_moment("until", moment)
    assert caught.value.field == "until"


def test_an_email_built_from_text_stored_with_a_lone_surrogate_still_encodes() -> None:
    from chalicelib.adapters.mail import mime
    from chalicelib.ports import Email

    raw = mime(Email(to="zoe@example.org", subject="Ann \ud800 answered", text="hi \udfff", html="<p>\ud800</p>",
                     sender_name="Brand \ud800"), "noreply@example.org")
    assert "\ufffd".encode() in raw or b"=EF=BF=BD" in raw or b"77+9" in raw  # U+FFFD, in whichever encoding


def test_every_websocket_action_has_a_model_at_the_boundary() -> None:
    from pydantic import BaseModel

    from chalicelib.boundary import frames as models
    from chalicelib.ws import ACTIONS

    for action, (model_name, _) in ACTIONS.items():
        model = getattr(models, model_name, None)
        assert isinstance(model, type) and issubclass(model, BaseModel), action


BOUNDARY_READS = ("request_body(", "domain_checked_body(", "request_query(")  # chalicelib/rest/http.py


def test_every_rest_route_that_reads_a_body_or_query_reads_it_through_the_boundary() -> None:
    import inspect

    import app as lambda_app

    unchecked, checked = [], 0
    for path, methods in lambda_app.app.routes.items():
        for method, entry in methods.items():
            source = inspect.getsource(inspect.unwrap(entry.view_function))
            through_boundary = any(read in source for read in BOUNDARY_READS)
            checked += through_boundary
            for raw in ("raw_body", "json_body", "query_params", ".get(\""):
                if raw in source and not through_boundary:
                    unchecked.append(f"{method} {path}: {raw}")
    assert unchecked == []
    assert checked >= 15  # the routes with a body or a query


def test_a_report_is_cut_to_stay_under_lambdas_response_limit_and_says_so() -> None:
    from chalicelib.services.frames import rows_that_fit, size

    rows = [{"id": n, "text": "\U00020000" * 1940} for n in range(20)]
    kept, truncated = rows_that_fit(rows, budget=50_000)
    assert truncated and 0 < len(kept) < 20 and kept == rows[:len(kept)]
    assert sum(size(r) + 2 for r in kept) <= 50_000
    assert rows_that_fit(rows[:2], budget=50_000) == (rows[:2], False)


@pytest.mark.parametrize("frame", [
    '{"action": "set_status", "id": "r1", "status": "\\ud800"}',
    '{"id": "r1", "action": "transfer", "conversation_id": "c1", "to_agent": "\\udfff"}',
    '{"action": "send_message", "id": "r1", "\\ud800": 1}',
    '{"action": "ping", "id": "r1", "x": ' + "[" * 20 + "]" * 20 + "}",
])
def test_a_frame_refused_for_its_unicode_or_nesting_still_echoes_its_id(frame: str) -> None:
    from chalicelib.domain.model import Principal, PrincipalKind
    from chalicelib.ws import handle

    answer = handle(None, Principal("t", "v", PrincipalKind.VISITOR), "c", frame)  # type: ignore[arg-type]
    assert answer["type"] == "error" and answer["id"] == "r1", answer
