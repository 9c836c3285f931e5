import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.settings import DEFAULT_TEXTS, TenantSettings, from_json, updated


@pytest.mark.parametrize(("changes", "field"), [
    ({"acceptance_seconds": 0}, "acceptance_seconds"),
    ({"acceptance_seconds": "30"}, "acceptance_seconds"),
    ({"reject_allowed": "no"}, "reject_allowed"),
    ({"dispositions": []}, "dispositions"),
    ({"canned_answers": [{"title": "x"}]}, "canned_answers"),
    ({"accent_colour": "red"}, "accent_colour"),
    ({"logo_url": "http://insecure"}, "logo_url"),
    ({"texts": {"de": {}}}, "texts"),
    ({"texts": {"fr": {"nope": "x"}}}, "texts.fr"),
    ({"colour": "#000000"}, "colour"),
])
def test_a_bad_setting_names_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        updated(TenantSettings(), changes)
    assert refused.value.field == field


def test_changing_one_text_keeps_the_others() -> None:
    first = updated(TenantSettings(), {"texts": {"fr": {"title": "Parlons-en"}}})
    second = updated(first, {"texts": {"en": {"title": "Let's talk"}}})
    assert second.texts["fr"]["title"] == "Parlons-en" and second.texts["en"]["title"] == "Let's talk"
    assert second.texts["fr"]["welcome"] == DEFAULT_TEXTS["fr"]["welcome"]


def test_settings_round_trip_through_json() -> None:
    changed = updated(TenantSettings(), {"acceptance_seconds": 12, "reject_allowed": False,
                                         "canned_answers": [{"title": "Hi", "text": "Hello!"}]})
    assert from_json(changed.to_json()) == changed
    assert "reject_allowed" not in changed.public() and changed.public()["max_message_chars"] == 1940
