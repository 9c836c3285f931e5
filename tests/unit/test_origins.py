"""The brand's own site (issue 11): which origins its emails may link to and its widget may be used from, table by
table, with the URLs a browser would read differently from Python (userinfo, backslashes, lookalike hosts, IDN)."""

from __future__ import annotations

import pytest

from chalicelib.domain import origins
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.settings import TenantSettings, from_json, updated

BRAND = TenantSettings(site_url="https://brand.example/help?lang=en#top",
                       site_origins=("https://brand.example", "https://shop.brand.example:8443"))
SITE_ONLY = TenantSettings(site_url="https://brand.example/help")
NOTHING = TenantSettings()


@pytest.mark.parametrize(("url", "origin"), [
    ("https://brand.example/x?y=1#z", "https://brand.example"),
    ("https://BRAND.example:443/x", "https://brand.example"),
    ("HTTPS://Brand.Example", "https://brand.example"),
    ("http://brand.example:80/", "http://brand.example"),
    ("https://brand.example:80/", "https://brand.example:80"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ("http://[::1]:8000/", "http://[::1]:8000"),
    ("http://[0:0:0:0:0:0:0:1]/", "http://[::1]"),
    ("https://brand.example:/", "https://brand.example"),
    ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example"),
    ("https://brand.example.evil.example/", "https://brand.example.evil.example"),
    # A browser may read each of these otherwise than urlsplit does, or it is no web page at all.
    ("https://brand.example@evil.example/", None),
    ("https://user:pw@brand.example/", None),
    ("https://evil.example\\@brand.example/", None),
    ("https://brand.example\\.evil.example/", None),
    ("https://bücher.example/", None),
    ("https://\u212a.example/", None),  # the Kelvin sign lowers to "k"
    ("https://brand%2eexample/", None),
    ("https://brand.example./", None),
    ("http://0x7f.1/", None),
    ("http://127.1/", None),
    ("http://[fe80::1%25eth0]/", None),
    ("https://brand.example:+443/", None),
    ("https://brand.example:65536/", None),
    ("https://brand.example:44x/", None),
    ("https://brand.example\n/", None),
    (" https://brand.example/", None),
    ("javascript:alert(document.domain)//https://brand.example", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("//evil.example/login", None),
    ("/login", None),
    ("https:brand.example", None),
    ("ftp://brand.example/", None),
    ("", None),
    (None, None),
    ("https://brand.example/" + "x" * 2048, None),
])
def test_a_urls_origin_is_the_one_a_browser_would_see_or_none(url: object, origin: str | None) -> None:
    assert origins.origin_of(url) == origin


@pytest.mark.parametrize(("value", "origin"), [
    ("https://brand.example", "https://brand.example"),
    ("https://Brand.example:443", "https://brand.example"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("https://brand.example/", None),
    ("https://brand.example/path", None),
    ("https://brand.example?", None),
    ("https://brand.example#", None),
    ("null", None),
    ("", None),
    (None, None),
])
def test_a_bare_origin_is_read_in_its_normal_form(value: object, origin: str | None) -> None:
    assert origins.parse_origin(value) == origin


@pytest.mark.parametrize(("settings", "allowed"), [
    (BRAND, ("https://brand.example", "https://shop.brand.example:8443")),
    (SITE_ONLY, ("https://brand.example",)),
    (TenantSettings(site_url="http://127.0.0.1:8000/"), ("http://127.0.0.1:8000",)),
    (NOTHING, ()),
])
def test_links_may_point_to_the_site_origins_else_the_site_urls_origin(settings: TenantSettings,
                                                                      allowed: tuple[str, ...]) -> None:
    assert origins.allowed_origins(settings) == allowed


@pytest.mark.parametrize(("page", "settings", "base"), [
    ("https://brand.example/shoes?id=7#reviews", BRAND, "https://brand.example/shoes?id=7"),
    ("https://BRAND.example:443/x", BRAND, "https://brand.example/x"),
    ("https://shop.brand.example:8443", BRAND, "https://shop.brand.example:8443/"),
    ("https://shop.brand.example/", BRAND, "https://brand.example/help?lang=en"),  # another port
    ("http://brand.example/x", BRAND, "https://brand.example/help?lang=en"),  # another scheme
    ("https://evil.example/login", BRAND, "https://brand.example/help?lang=en"),
    ("https://brand.example.evil.example/", BRAND, "https://brand.example/help?lang=en"),
    ("https://brand.example@evil.example/", BRAND, "https://brand.example/help?lang=en"),
    ("https://evil.example\\@brand.example/", BRAND, "https://brand.example/help?lang=en"),
    ("javascript:alert(1)", BRAND, "https://brand.example/help?lang=en"),
    ("//evil.example", BRAND, "https://brand.example/help?lang=en"),
    ("", BRAND, "https://brand.example/help?lang=en"),
    ("https://brand.example/deals", SITE_ONLY, "https://brand.example/deals"),
    ("https://evil.example/login", SITE_ONLY, "https://brand.example/help"),
    ("https://evil.example/login", NOTHING, None),
    ("https://brand.example/deals", NOTHING, None),
    ("", NOTHING, None),
])
def test_an_emails_link_opens_the_page_only_on_an_allowed_origin(page: str, settings: TenantSettings,
                                                                 base: str | None) -> None:
    assert origins.link_base(page, settings) == base


@pytest.mark.parametrize(("origin", "settings", "allowed"), [
    ("https://brand.example", BRAND, True),
    ("https://shop.brand.example:8443", BRAND, True),
    ("https://brand.example:443", BRAND, True),
    ("https://shop.brand.example", BRAND, False),
    ("https://evil.example", BRAND, False),
    ("https://brand.example.evil.example", BRAND, False),
    ("https://brand.example/", BRAND, False),
    ("null", BRAND, False),
    ("", BRAND, False),
    (None, BRAND, False),
    # Without site origins nothing is checked (a site URL alone only steers links).
    (None, SITE_ONLY, True),
    ("https://evil.example", SITE_ONLY, True),
    (None, NOTHING, True),
])
def test_visitors_requests_come_from_the_site_origins_when_there_are_some(origin: str | None,
                                                                          settings: TenantSettings,
                                                                          allowed: bool) -> None:
    assert origins.origin_allowed(origin, settings) is allowed


@pytest.mark.parametrize(("changes", "field"), [
    ({"site_url": "https://evil.example@brand.example/"}, "site_url"),
    ({"site_url": "javascript:alert(1)"}, "site_url"),
    ({"site_url": "brand.example"}, "site_url"),
    ({"site_url": "https://brand.example/" + "x" * 2048}, "site_url"),
    ({"site_url": None}, "site_url"),
    ({"site_origins": "https://brand.example"}, "site_origins"),
    ({"site_origins": ["https://brand.example/"]}, "site_origins"),
    ({"site_origins": ["https://brand.example/shop"]}, "site_origins"),
    ({"site_origins": ["https://Brand.example"]}, "site_origins"),
    ({"site_origins": ["https://brand.example:443"]}, "site_origins"),
    ({"site_origins": ["brand.example"]}, "site_origins"),
    ({"site_origins": ["*"]}, "site_origins"),
    ({"site_origins": ["https://bücher.example"]}, "site_origins"),
    ({"site_origins": [7]}, "site_origins"),
    ({"site_origins": [f"https://s{n}.brand.example" for n in range(21)]}, "site_origins"),
])
def test_a_bad_site_setting_names_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        updated(TenantSettings(), changes)
    assert refused.value.field == field


def test_site_settings_round_trip_through_json_and_stay_private() -> None:
    changed = updated(TenantSettings(), {"site_url": "https://brand.example/help",
                                         "site_origins": ["https://brand.example", "http://localhost:8000"]})
    assert changed.site_origins == ("https://brand.example", "http://localhost:8000")
    stored = changed.to_json()
    assert stored["site_origins"] == ["https://brand.example", "http://localhost:8000"]
    assert from_json(stored) == changed
    assert "site_url" not in changed.public() and "site_origins" not in changed.public()
    assert updated(changed, {"site_url": "", "site_origins": []}) == TenantSettings()
