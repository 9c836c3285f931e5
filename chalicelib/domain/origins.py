"""The brand's own site: where the links of its emails may point, and which pages may use its widget (issue 11).

An *origin* is ``scheme://host[:port]`` as a browser writes it in an ``Origin`` header: scheme http or https, the
host in lowercase ASCII (an internationalised name in its ``xn--`` form), no default port, nothing after.

A tenant's allowed origins are its ``site_origins``, else the origin of its ``site_url``, else none. An email's link
goes to the page the visitor wrote from only when that page is on an allowed origin; else to ``site_url``; else there
is no link: a visitor could otherwise name any page (``https://evil.example/login``) and any address, and have the
brand email that person a link to it.

Parsing refuses anything a browser could read differently from Python's ``urlsplit``: userinfo (``a@b``),
backslashes, whitespace and control characters, percent-encoded or non-ASCII hosts (IDNA 2003, which Python
implements, and the UTS 46 mapping browsers use differ: ``faß.example``), so that a URL allowed here is the URL a
browser opens.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

if TYPE_CHECKING:
    from chalicelib.domain.settings import TenantSettings

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_CHARS = 2048
MAX_ORIGINS = 20
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_NUMERIC = re.compile(r"[0-9]+|0x[0-9a-f]*")
_PORT = re.compile(r"[0-9]{0,5}")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def _split(url: object) -> tuple[SplitResult, str] | None:
    """The parts of an absolute http(s) URL and its normalised origin, or None when a browser might read its origin
    differently (or it has none)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or "@" in parts.netloc:
        return None
    authority = _authority(parts.netloc)
    if authority is None:
        return None
    host, port = authority
    shown = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return parts, f"{scheme}://{shown}"


def _authority(netloc: str) -> tuple[str, int | None] | None:
    """The host of `netloc` in its normal form (a lowercase name, or a compressed IPv6 literal in brackets) and its
    port (None when absent or empty), or None when either is malformed (Python's own port parsing takes "+80")."""
    if netloc.startswith("["):
        literal, bracket, rest = netloc[1:].partition("]")
        try:
            host = f"[{ipaddress.IPv6Address(literal).compressed}]" if bracket and "%" not in literal else ""
        except ValueError:
            return None
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:]
    else:
        name, _, port_text = netloc.partition(":")
        host = _name(name)
    if not host or not _PORT.fullmatch(port_text) or (port_text and int(port_text) > 65535):
        return None
    return host, int(port_text) if port_text else None


def _name(name: str) -> str:
    """A host name in lowercase, or "" when a browser might read it otherwise: not ASCII (the Kelvin sign lowers to
    "k"), percent-encoded, or ending in a number without being a plain dotted IPv4 address ("0x7f.1" is 127.0.0.1)."""
    lowered = name.lower()
    if not name.isascii() or len(name) > 253 or not _HOST.fullmatch(lowered):
        return ""
    if _NUMERIC.fullmatch(lowered.rsplit(".", 1)[-1]):
        try:
            return lowered if str(ipaddress.IPv4Address(lowered)) == lowered else ""
        except ValueError:
            return ""
    return lowered


def origin_of(url: object) -> str | None:
    """The normalised origin of an absolute http(s) URL, or None (not a URL, another scheme, userinfo...)."""
    found = _split(url)
    return found[1] if found is not None else None


def parse_origin(value: object) -> str | None:
    """`value` read as a bare origin (an ``Origin`` header, a ``site_origins`` entry): its normalised form, or None
    when it is not one (a path, a query, a fragment, even a lone trailing slash)."""
    found = _split(value)
    if found is None:
        return None
    parts, origin = found
    if parts.path or parts.query or parts.fragment or str(value).endswith(("?", "#")):
        return None
    return origin


def allowed_origins(settings: TenantSettings) -> tuple[str, ...]:
    """Where the brand's links may point: its site origins, else its site URL's origin, else nowhere."""
    if settings.site_origins:
        return tuple(settings.site_origins)
    site = origin_of(settings.site_url)
    return (site,) if site is not None else ()


def link_base(page_url: str, settings: TenantSettings) -> str | None:
    """The URL an email's link opens (without fragment): the visitor's page when it is on an allowed origin, else the
    brand's site URL, else None (no link)."""
    page = _split(page_url)
    if page is not None and page[1] in allowed_origins(settings):
        return _rebuilt(*page)
    site = _split(settings.site_url)
    return _rebuilt(*site) if site is not None else None


def _rebuilt(parts: SplitResult, origin: str) -> str:
    """The URL from its normalised origin, path and query: its authority is exactly the origin that was checked."""
    return origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def origin_allowed(origin: str | None, settings: TenantSettings) -> bool:
    """Whether a visitor's request with this ``Origin`` header may use the widget: always when the brand lists no
    site origins; else only from one of them (a request without the header is refused)."""
    if not settings.site_origins:
        return True
    return parse_origin(origin) in settings.site_origins
