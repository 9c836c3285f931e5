"""A tenant's settings: every default of the reference is a setting (acceptance interval, right to reject, maximum
wait, dispositions, canned answers, the widget's look and texts). Validation names the field at fault."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from chalicelib.domain import origins
from chalicelib.domain import rate_limits as limits
from chalicelib.domain.callbacks.settings import (
    CallbackSettings,
    callback_settings_from_json,
    callback_settings_public,
    callback_settings_to_json,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.opening_hours import OpeningHours, hours_from_json, hours_to_json

LANGUAGES = ("en", "fr")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Chat with us",
        "welcome": "Hello! Ask us anything, an agent will answer.",
        "waiting": "Waiting for an agent…",
        "unavailable": "Our agents are not available right now.",
        "dissuasion": "All our agents are busy. Please come back a little later.",
        "ended": "This conversation has ended. Thank you!",
        "welcome_async": "Hello! Leave us a message and we will answer as soon as we can. If nobody answers at once,"
                         " come back later: our agents usually reply within a few hours.",
        "consent": "To answer you, we store what you write in this conversation. Do you agree?",
        "closed": "We are closed right now.",
    },
    "fr": {
        "title": "Discutez avec nous",
        "welcome": "Bonjour ! Posez-nous votre question, un conseiller vous répond.",
        "waiting": "En attente d'un conseiller…",
        "unavailable": "Nos conseillers ne sont pas disponibles pour le moment.",
        "dissuasion": "Tous nos conseillers sont occupés. Merci de revenir un peu plus tard.",
        "ended": "Cette conversation est terminée. Merci !",
        "welcome_async": "Bonjour ! Laissez-nous un message et nous vous répondrons dès que possible. Si vous n'avez"
                         " pas de réponse immédiate, revenez plus tard : nos conseillers répondent en quelques heures.",
        "consent": "Pour vous répondre, nous conservons ce que vous écrivez dans cette conversation. D'accord ?",
        "closed": "Nous sommes fermés pour le moment.",
    },
}


#: A canned answer's shortcut: the agent types "/" and it, then Tab, in the desk's composer (issue 16).
SHORTCUT = re.compile(r"^[a-z0-9_-]{1,20}$")
#: The variables a canned answer's text may use; the desk fills them when it inserts the answer.
CANNED_VARIABLES = ("visitor_name", "agent_name")
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")  # a name in braces; other braces are text


@dataclass(frozen=True)
class CannedAnswer:
    title: str
    text: str
    shortcut: str = ""  # "" for none

    def to_json(self) -> dict[str, str]:
        out = {"title": self.title, "text": self.text}
        if self.shortcut:
            out["shortcut"] = self.shortcut
        return out


@dataclass(frozen=True)
class TenantSettings:
    acceptance_seconds: int = 30  # CHAT-7
    reject_allowed: bool = True  # CHAT-7
    max_wait_seconds: int = 300  # CHAT-2 dissuasion
    disposition_required: bool = False  # CHAT-11
    dispositions: tuple[str, ...] = ("Resolved", "Follow-up needed", "Not resolved")
    canned_answers: tuple[CannedAnswer, ...] = (
        CannedAnswer("Greeting", "Hello, thank you for contacting us. How can I help you?"),
        CannedAnswer("One moment", "One moment please, I am checking that for you."),
        CannedAnswer("Goodbye", "Thank you for your visit, have a nice day!"),
    )
    average_handle_seconds: int = 180  # for the waiting screen's estimate
    accent_colour: str = "#1f6feb"
    logo_url: str = ""
    #: GDPR (ASYNC-6): the visitor agrees before the first message, and nothing is stored before. A brand whose
    #: site already collects that consent may switch it off.
    consent_required: bool = True
    #: An email tells an away visitor of answers this long after the last of a burst (ASYNC-2).
    notify_delay_seconds: int = 120
    #: A snoozed or transferred conversation waits this long for its agent, then for its group (ASYNC-13).
    reservation_hours: int = 24
    #: A sale is credited to the last agent who wrote to the visitor at most this long before it (ASYNC-12).
    sale_attribution_hours: int = 48
    #: Per-visitor limits (docs/limits.md): new sessions per hour (a new visitor counts against its network address,
    #: which a NAT shares: generous), conversations started per hour and messages per minute (a fast typist sends
    #: about 10). Going over answers 429 / `rate_limited` and stores nothing.
    visitor_sessions_per_hour: int = 200
    visitor_conversations_per_hour: int = 20
    visitor_messages_per_minute: int = 30
    #: The brand's site: where an email's link goes when the visitor's page is not on an allowed origin (issue 11).
    site_url: str = ""
    #: The brand's site origins (`scheme://host[:port]`): emails link only to them (else to `site_url`), and when set,
    #: visitors' requests must come from one of them (`Origin`). See chalicelib/domain/origins.py.
    site_origins: tuple[str, ...] = ()
    #: The widget's end screen asks the Net Promoter Score question (0 to 10, "How likely are you to recommend <the
    #: brand> to a friend or colleague?") after the rating (issue 15, docs/widget.md). A chat closed while it is on asks
    #: it; the change applies to chats closed afterwards.
    nps_enabled: bool = False
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_TEXTS)
    #: Web callback (issue 13): chalicelib/domain/callbacks/settings.py. A PUT changes only the keys it gives.
    callback: CallbackSettings = field(default_factory=CallbackSettings)
    #: Opening hours (issue 16): domain/opening_hours.py. Outside them a live chat is refused (`closed`) and
    #: immediate callback is not offered. Not enabled by default: always open.
    hours: OpeningHours = field(default_factory=OpeningHours)

    def to_json(self) -> dict[str, Any]:
        # The callback's and the hours' own JSON forms replace asdict's.
        out = asdict(replace(self, callback=CallbackSettings(), hours=OpeningHours()))
        out["dispositions"] = list(self.dispositions)
        out["site_origins"] = list(self.site_origins)
        out["canned_answers"] = [c.to_json() for c in self.canned_answers]
        out["texts"] = {lang: dict(t) for lang, t in self.texts.items()}
        out["callback"] = callback_settings_to_json(self.callback)
        out["hours"] = hours_to_json(self.hours)
        return out

    def public(self) -> dict[str, Any]:
        """What the widget may see: its look and texts, and which callbacks to offer; nothing about agents."""
        return {"accent_colour": self.accent_colour, "logo_url": self.logo_url,
                "consent_required": self.consent_required,
                "texts": {lang: dict(t) for lang, t in self.texts.items()}, "max_message_chars": 1940,
                "callback": callback_settings_public(self.callback)}


_INT_RANGES = {"acceptance_seconds": (5, 600), "max_wait_seconds": (5, 7200), "average_handle_seconds": (10, 7200),
               "notify_delay_seconds": (5, 3600), "reservation_hours": (1, 168), "sale_attribution_hours": (1, 720),
               "visitor_sessions_per_hour": limits.SESSIONS_PER_HOUR,
               "visitor_conversations_per_hour": limits.CONVERSATIONS_PER_HOUR,
               "visitor_messages_per_minute": limits.MESSAGES_PER_MINUTE}


def updated(current: TenantSettings, changes: object, *, stored: bool = False) -> TenantSettings:
    """`current` with the given fields changed; unknown fields and bad values raise InvalidInput naming the field.
    `stored`: settings read back from the table, written before a rule was added (a canned answer's variables), are
    not refused for it."""
    if not isinstance(changes, dict):
        raise InvalidInput("settings must be a JSON object", field="body")
    known = {f.name for f in fields(TenantSettings)}
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in known:
            raise InvalidInput(f"unknown setting '{name}'", field=name)
        values[name] = _canned(value, stored) if name == "canned_answers" else _parse(name, value, current)
    return replace(current, **values)


def from_json(data: Mapping[str, Any]) -> TenantSettings:
    return updated(TenantSettings(), dict(data), stored=True)


def _parse(name: str, value: Any, current: TenantSettings) -> Any:
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidInput(f"'{name}' must be an integer from {low} to {high}", field=name)
        return value
    if name in ("reject_allowed", "disposition_required", "consent_required", "nps_enabled"):
        if not isinstance(value, bool):
            raise InvalidInput(f"'{name}' must be true or false", field=name)
        return value
    if name == "dispositions":
        if not isinstance(value, list) or not value or not all(_short_text(v, 80) for v in value):
            raise InvalidInput("'dispositions' must be a non-empty list of texts of 1-80 characters", field=name)
        # Kept trimmed, as an agent's choice is when a chat is closed: " Resolved" could never be chosen.
        return tuple(v.strip() for v in value)
    if name == "hours":
        return hours_from_json(value, current.hours)
    if name == "accent_colour":
        if not isinstance(value, str) or not _COLOUR.match(value):
            raise InvalidInput("'accent_colour' must look like #1f6feb", field=name)
        return value
    if name in ("site_url", "site_origins"):
        return _site(name, value)
    if name == "callback":
        return callback_settings_from_json(value, current.callback)
    if name == "logo_url":
        if not isinstance(value, str) or (value and not value.startswith("https://")) or len(value) > 1024:
            raise InvalidInput("'logo_url' must be empty or an https:// URL", field=name)
        return value
    # texts: per language, the keys of the defaults
    if not isinstance(value, dict) or not set(value) <= set(LANGUAGES):
        raise InvalidInput(f"'texts' must map {', '.join(LANGUAGES)} to texts", field=name)
    texts = {lang: dict(current.texts.get(lang, DEFAULT_TEXTS[lang])) for lang in LANGUAGES}  # keys not given stay
    for lang, entries in value.items():
        if not isinstance(entries, dict) or not set(entries) <= set(DEFAULT_TEXTS[lang]) or not all(
                _short_text(v, 500) for v in entries.values()):
            raise InvalidInput(f"'texts.{lang}' has unknown keys or texts over 500 characters", field=f"texts.{lang}")
        texts[lang].update(entries)
    return texts


def _canned(value: Any, stored: bool) -> tuple[CannedAnswer, ...]:
    """A list of {title, text, shortcut?}: shortcuts unique, texts using only the known variables."""
    if not isinstance(value, list) or not all(
        isinstance(c, dict) and _short_text(c.get("title"), 80) and _short_text(c.get("text"), 1940)
        and set(c) <= {"title", "text", "shortcut"} for c in value
    ):
        raise InvalidInput("'canned_answers' must be a list of {title, text, shortcut?}", field="canned_answers")
    seen: set[str] = set()
    for i, answer in enumerate(value):
        shortcut = answer.get("shortcut") or ""
        if shortcut and (not isinstance(shortcut, str) or not SHORTCUT.match(shortcut)):
            raise InvalidInput("a shortcut is 1 to 20 of a-z, 0-9, _ and -", field=f"canned_answers.{i}.shortcut")
        if shortcut in seen:
            raise InvalidInput(f"another canned answer has the shortcut '{shortcut}'",
                               field=f"canned_answers.{i}.shortcut")
        if shortcut:
            seen.add(shortcut)
        unknown = [v for v in _VARIABLE.findall(answer["text"]) if v not in CANNED_VARIABLES]
        if unknown and not stored:
            raise InvalidInput(f"unknown variable {{{unknown[0]}}}; use "
                               + ", ".join(f"{{{v}}}" for v in CANNED_VARIABLES), field=f"canned_answers.{i}.text")
    return tuple(CannedAnswer(c["title"], c["text"], c.get("shortcut") or "") for c in value)


def _short_text(value: object, limit: int) -> bool:
    return isinstance(value, str) and len(value.strip()) > 0 and len(value) <= limit


def _site(name: str, value: Any) -> Any:
    if name == "site_url":
        if not isinstance(value, str) or (value and origins.origin_of(value) is None):
            raise InvalidInput("'site_url' must be empty or an absolute http(s) URL of at most 2048 characters, "
                               "with no user name and an ASCII host (its xn-- form)", field=name)
        return value
    if not isinstance(value, list) or len(value) > origins.MAX_ORIGINS or not all(
            isinstance(v, str) and origins.parse_origin(v) == v for v in value):
        raise InvalidInput(f"'site_origins' must be a list of at most {origins.MAX_ORIGINS} origins written as "
                           "browsers send them: scheme://host[:port], http or https, a lowercase (xn--) host, no "
                           "default port, no path and no trailing slash", field=name)
    return tuple(value)
