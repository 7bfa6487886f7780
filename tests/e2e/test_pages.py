"""Every page of the header menu loads cleanly in the browser and fits a phone.

"Cleanly": a 200, no JavaScript error, no console error (CSP violations among them)
and no 5xx for any resource; the page fixtures check that after each test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE, LiveServer, fits_the_phone, open_phone

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

ACCOUNTS = [
    None,  # anonymous
    "admin@incubator.test",
    "manager@biic.test",
    "mentor@biic.test",
    "judge@biic.test",
    "founder@biic.test",
]


def header_links(page: Any) -> list[str]:
    hrefs = page.locator("header.site-header a[href^='/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return list(dict.fromkeys(hrefs))  # in order, once each


@pytest.mark.parametrize("email", ACCOUNTS, ids=lambda e: e or "anonymous")
def test_header_pages_load_cleanly_and_fit_a_phone(
    email: str | None,
    live_server: LiveServer,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
) -> None:
    page = open_phone(open_page, as_user=email)  # logged in: on the home page already
    if not email:
        page.goto("/")
    links = header_links(page)
    assert "/" in links and "/calls" in links, links

    too_wide = {}
    for href in links:
        response = page.goto(href)
        assert response is not None and response.status == 200, (href, response)
        expect(page.locator("main")).to_be_visible()
        fits, sizes = fits_the_phone(page)
        if not fits:
            too_wide[href] = sizes
            screenshot(page, f"too-wide-{href.strip('/').replace('/', '_') or 'home'}")
    assert not too_wide, f"pages wider than a {PHONE['width']} px phone: {too_wide}"


def test_open_calls_page_fits_a_phone(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    page = open_phone(open_page)
    page.goto("/calls")
    expect(page.locator("main .cards article").first).to_be_visible()
    fits, sizes = fits_the_phone(page)
    screenshot(page, "calls-phone", full_page=False)
    assert fits, sizes


def test_the_site_has_a_favicon(live_server: LiveServer, page: Any) -> None:
    """Without one, browsers ask for /favicon.ico on every page and log the 404 as an error."""
    page.goto("/")
    icon = page.locator("link[rel~=icon]")
    href = icon.first.get_attribute("href") if icon.count() else "/favicon.ico"
    response = page.request.get(href)
    assert response.status == 200, f"{href}: {response.status}"
