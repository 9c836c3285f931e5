"""Emails about a visitor's callback (issue 13), to the address they gave with it, if any.

- `confirm`: the callback is booked, for its time in the tenant's zone (or "shortly" for an immediate one), to the
  masked number, with a link to cancel it or change its time.
- `not_reached`: every attempt failed (CB-8), with a link to book a new time.

Both come from the brand (its name as sender, its logo) in plain text and HTML, everything the visitor typed
escaped. The link is a signed callback link (domain/links.py) in the fragment of the brand's page, as notification
emails do (services/notifications.py): the page of the chat the callback was asked from when it is on one of the
brand's origins, else the tenant's `site_url`, else no link. The widget on that page opens on the callback.

A failed email is logged (never the address or the number) and does not fail the caller: the callback stands.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.domain import links, origins
from chalicelib.domain.callbacks import numbers
from chalicelib.domain.callbacks.model import Callback, CallbackMode
from chalicelib.domain.settings import TenantSettings
from chalicelib.ports import Deps, Email
from chalicelib.services import tenants

__all__ = ["confirm", "not_reached"]

log = logging.getLogger("guichet")

LINK_PARAMETER = "guichet_callback"  # the widget opens the callback the link names

_WEEKDAYS = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
             "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")}
_MONTHS = {"en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"),
           "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre")}


@dataclass(frozen=True)
class _Words:
    subject: str
    lines: tuple[str, ...]  # paragraphs, before the link
    action: str  # what the link does
    no_link: str  # said instead when there is no page to link to


def confirm(deps: Deps, callback: Callback, *, language: str = "") -> bool:
    """The booking's confirmation, when the visitor gave an email; True if one was sent. `language`: the widget's
    ("fr" or "en"; anything else is English)."""
    return _send(deps, callback, "confirm", language)


def not_reached(deps: Deps, callback: Callback, *, language: str = "") -> bool:
    """Every attempt failed: the visitor may book a new time from the link; True if an email was sent."""
    return _send(deps, callback, "not_reached", language)


def _send(deps: Deps, callback: Callback, kind: str, language: str) -> bool:
    if not callback.email or deps.mailer is None or deps.secrets is None:
        return False
    try:
        deps.mailer.send(_compose(deps, callback, kind, "fr" if language.lower().startswith("fr") else "en"))
    except Exception as exc:  # the callback stands; the email is the visitor's convenience
        log.warning("callback email not sent", extra={"tenant": callback.tenant, "callback_id": callback.id,
                                                      "email_kind": kind, "error_type": type(exc).__name__})
        return False
    deps.metrics.count("EmailsSent")
    return True


def _compose(deps: Deps, callback: Callback, kind: str, lang: str) -> Email:
    assert deps.secrets is not None
    tenant = deps.tenants.get(callback.tenant)
    brand = tenant.name if tenant else callback.tenant
    settings = tenants.settings_of(deps, callback.tenant)
    token = links.callback_token(deps.secrets.visitor_token_key(),
                                 links.CallbackLink(callback.tenant, callback.visitor_id, callback.id),
                                 links.callback_link_expiry(callback))
    base = origins.link_base(_chat_page(deps, callback), settings)
    link = _callback_url(base, token) if base is not None else None
    words = _words(callback, kind, lang, brand, settings)
    greeting = f"Bonjour {callback.name}," if lang == "fr" else f"Hello {callback.name},"
    text = [greeting, "", *words.lines, ""]
    if link:
        text.append(f"{words.action}: {link}" if lang == "en" else f"{words.action} : {link}")
    elif words.no_link:
        text.append(words.no_link)
    e = html.escape
    logo = f'<img src="{e(settings.logo_url)}" alt="{e(brand)}" height="40"><br>' if settings.logo_url else ""
    action = (f'<p><a href="{e(link)}">{e(words.action)}</a></p>' if link
              else f"<p>{e(words.no_link)}</p>" if words.no_link else "")
    body = (f'<!doctype html><html lang="{lang}"><body>{logo}<p>{e(greeting)}</p>'
            + "".join(f"<p>{e(line)}</p>" for line in words.lines) + action + "</body></html>")
    return Email(to=callback.email, subject=words.subject, text="\n".join(text) + "\n", html=body,
                 sender_name=brand)


def _words(callback: Callback, kind: str, lang: str, brand: str, settings: TenantSettings) -> _Words:
    number = numbers.masked(callback.phone)
    fr = lang == "fr"
    if kind == "not_reached":
        tries = max(callback.attempt, 1)
        if fr:
            return _Words(f"{brand} n'a pas pu vous joindre",
                          (f"Nous avons essayé de vous appeler {tries} fois au {number}, sans parvenir à vous "
                           "joindre.",),
                          "Choisir une nouvelle heure", "Vous pouvez demander un nouvel appel sur notre site.")
        times = "once" if tries == 1 else f"{tries} times"
        return _Words(f"{brand} could not reach you",
                      (f"We tried to call you {times} at {number} and could not reach you.",),
                      "Book a new time", "You can ask for a new call on our site.")
    if callback.mode is CallbackMode.IMMEDIATE or callback.at is None:
        if fr:
            return _Words(f"{brand} vous rappelle", (f"Nous vous rappelons dans quelques instants au {number}.",),
                          "Annuler l'appel", "")
        return _Words(f"{brand} is calling you back", (f"We are calling you back shortly at {number}.",),
                      "Cancel the call", "")
    when = _call_time(callback.at, settings.callback.slots.zone, lang)
    if fr:
        return _Words(f"Votre rappel par {brand} est réservé", (f"Votre rappel est prévu {when} au {number}.",),
                      "Annuler ou changer l'heure", "")
    return _Words(f"Your callback from {brand} is booked", (f"Your callback is booked for {when} to {number}.",),
                  "Cancel or change the time", "")


def _call_time(at: datetime, zone: ZoneInfo, lang: str) -> str:
    """ "Monday 7 December 2026 at 9:10 (Paris time)", "le lundi 7 décembre 2026 à 9h10 (heure de Paris)"."""
    local = at.astimezone(zone)
    place = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    day = f"{_WEEKDAYS[lang][local.weekday()]} {local.day} {_MONTHS[lang][local.month - 1]} {local.year}"
    if lang == "fr":
        return f"le {day} à {local.hour}h{local.minute:02d} (heure de {place})"
    return f"{day} at {local.hour}:{local.minute:02d} ({place} time)"


def _chat_page(deps: Deps, callback: Callback) -> str:
    """The page of the chat the callback was asked from (its visitor's), else ""."""
    if not callback.conversation_id:
        return ""
    chat = deps.conversations.get(callback.tenant, callback.conversation_id)
    if chat is None or chat.visitor_id != callback.visitor_id or chat.page is None:
        return ""
    return chat.page.url


def _callback_url(base: str, token: str) -> str:
    """`base` (a page of the brand's site) with the callback link's token in the fragment."""
    return f"{base.split('#', 1)[0]}#{LINK_PARAMETER}={token}"
