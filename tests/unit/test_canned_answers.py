"""Canned answers (issue 16): an optional shortcut, unique in the tenant, and texts that may use {visitor_name} and
{agent_name} only; each refusal names the answer's field."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.settings import CannedAnswer, TenantSettings, from_json, updated


def test_shortcuts_and_variables_are_kept_and_round_trip() -> None:
    changed = updated(TenantSettings(), {"canned_answers": [
        {"title": "Hello", "text": "Hello {visitor_name}, I am {agent_name}.", "shortcut": "hello"},
        {"title": "Bye", "text": "Goodbye!"},
        {"title": "Wait", "text": "One moment.", "shortcut": ""}]})
    assert changed.canned_answers == (CannedAnswer("Hello", "Hello {visitor_name}, I am {agent_name}.", "hello"),
                                      CannedAnswer("Bye", "Goodbye!"), CannedAnswer("Wait", "One moment."))
    assert changed.to_json()["canned_answers"] == [
        {"title": "Hello", "text": "Hello {visitor_name}, I am {agent_name}.", "shortcut": "hello"},
        {"title": "Bye", "text": "Goodbye!"}, {"title": "Wait", "text": "One moment."}]
    assert from_json(changed.to_json()) == changed


@pytest.mark.parametrize(("answers", "field"), [
    ([{"title": "A", "text": "x", "shortcut": "Hello"}], "canned_answers.0.shortcut"),
    ([{"title": "A", "text": "x", "shortcut": "a" * 21}], "canned_answers.0.shortcut"),
    ([{"title": "A", "text": "x", "shortcut": "hi there"}], "canned_answers.0.shortcut"),
    ([{"title": "A", "text": "x", "shortcut": 7}], "canned_answers.0.shortcut"),
    ([{"title": "A", "text": "x", "shortcut": "hi"}, {"title": "B", "text": "y", "shortcut": "hi"}],
     "canned_answers.1.shortcut"),
    ([{"title": "A", "text": "x"}, {"title": "B", "text": "Dear {customer}"}], "canned_answers.1.text"),
    ([{"title": "A", "text": "Dear {Visitor_Name}"}], "canned_answers.0.text"),
    ([{"title": "A", "text": "x", "colour": "red"}], "canned_answers"),
])
def test_a_bad_canned_answer_names_its_field_and_changes_nothing(answers: list[object], field: str) -> None:
    before = TenantSettings()
    with pytest.raises(InvalidInput) as refused:
        updated(before, {"canned_answers": answers})
    assert refused.value.field == field
    assert before.canned_answers == TenantSettings().canned_answers


def test_braces_that_are_not_a_variable_are_plain_text() -> None:
    kept = updated(TenantSettings(), {"canned_answers": [{"title": "A", "text": "Use { and } freely: {}x{ {1a}"}]})
    assert kept.canned_answers[0].text == "Use { and } freely: {}x{ {1a}"


def test_settings_stored_before_the_variables_rule_still_load() -> None:
    stored = {"canned_answers": [{"title": "Old", "text": "Dear {customer}"}]}
    assert from_json(stored).canned_answers == (CannedAnswer("Old", "Dear {customer}"),)
