"""Each demo role lands on its own home page, in Vietnamese first, then in English.

Vietnamese wording is being revised, so these tests find things by id, class and
attribute; English text is only asserted after switching to English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    LiveServer,
    fits_the_phone,
    log_in,
    log_out,
    open_phone,
    switch_language,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

# email -> the panels of its home page, in the order the app shows them
ROLE_PANELS = {
    "admin@incubator.test": ["panel-admin", "panel-manager", "panel-fablab-staff"],
    "manager@biic.test": [
        "panel-manager",
        "panel-mentoring-manager",
        "panel-demodays-manager",
        "panel-fablab-staff",
    ],
    "manager@smic.test": [
        "panel-manager",
        "panel-mentoring-manager",
        "panel-demodays-manager",
        "panel-fablab-staff",
    ],
    "mentor@biic.test": ["panel-mentor", "panel-mentoring-mentor", "panel-judge"],
    "judge@biic.test": ["panel-judge"],
    "founder@biic.test": ["panel-founder"],
    "founder@smic.test": ["panel-founder"],
}
CURRENT = re.compile(r"(^|\s)current(\s|$)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_SCREENSHOT_BYTES = 10_000  # a blank 1280x900 PNG weighs a few kB


def panel_ids(page: Any) -> list[str]:
    return page.locator("main section.panel").evaluate_all("els => els.map(e => e.id)")


def assert_screenshot(path: Path) -> None:
    assert path.is_file(), path
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    assert len(data) > MIN_SCREENSHOT_BYTES, f"{path} is suspiciously small ({len(data)} bytes)"


def expect_language(page: Any, code: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.locator(f"form.lang-switch button[value={code}]")).to_have_class(CURRENT)


@pytest.mark.parametrize("email", list(ROLE_PANELS))
def test_each_role_sees_its_home_page_in_both_languages(
    email: str,
    live_server: LiveServer,
    page: Any,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
    browser_problems: Any,
) -> None:
    name = email.replace("@", "-at-")
    response = log_in(page, live_server.url, email)
    assert response is not None and response.status == 200
    assert page.url == f"{live_server.url}/"

    # Vietnamese by default, with exactly this role's panels
    expect_language(page, "vi")
    assert panel_ids(page) == ROLE_PANELS[email]
    expect(page.locator("#logout")).to_be_visible()
    vi_shot = screenshot(page, f"home-{name}-vi")

    # The header's switch turns the page English...
    switch_language(page, "en")
    assert page.url == f"{live_server.url}/"
    expect_language(page, "en")
    expect(page.locator("#logout")).to_have_text("Log out")
    assert panel_ids(page) == ROLE_PANELS[email]
    en_shot = screenshot(page, f"home-{name}-en")

    # ...and the choice holds on reload,
    page.reload()
    expect_language(page, "en")

    # after logging out and in again,
    log_out(page)
    expect(page.locator("#logout")).to_have_count(0)
    log_in(page, live_server.url, email)
    expect_language(page, "en")
    assert panel_ids(page) == ROLE_PANELS[email]

    # and in another browser that never pressed the switch: it is in the profile.
    elsewhere = open_page()
    log_in(elsewhere, live_server.url, email)
    expect_language(elsewhere, "en")

    for shot in (vi_shot, en_shot):
        assert_screenshot(shot)
    browser_problems.assert_clean()


@pytest.mark.parametrize("email", ["manager@biic.test", "founder@biic.test"])
def test_home_page_fits_a_phone(
    email: str,
    live_server: LiveServer,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
) -> None:
    page = open_phone(open_page)
    log_in(page, live_server.url, email)
    expect(page.locator("section.panel").first).to_be_visible()
    fits, sizes = fits_the_phone(page)
    screenshot(page, f"phone-{email.replace('@', '-at-')}")
    # document.documentElement.scrollWidth <= window.innerWidth + 1, and innerWidth is the
    # phone's: a mobile browser widens the layout viewport to show content that overflows
    assert fits, sizes


def test_anonymous_home_lists_the_open_calls_of_both_centers(
    live_server: LiveServer, page: Any, screenshot: Callable[..., Path]
) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    expect_language(page, "vi")
    welcome = page.locator("section#panel-welcome")
    expect(welcome).to_be_visible()
    cards = welcome.locator(".cards article")
    badges = cards.locator("header .badge").all_inner_texts()
    assert "BIIC" in badges and "SMIC" in badges, badges
    # each card shows the time left before the deadline
    expect(cards.locator("time.countdown").first).not_to_be_empty()
    screenshot(page, "home-anonymous-vi")

    switch_language(page, "en")
    expect_language(page, "en")
    expect(
        welcome.get_by_role("link", name="BIIC Incubation Program 2027 – Intake 1")
    ).to_be_visible()
    expect(
        welcome.get_by_role("link", name="SMIC Smart Manufacturing Accelerator 2027")
    ).to_be_visible()
    expect(page.locator("header").get_by_role("link", name="Log in")).to_be_visible()
    screenshot(page, "home-anonymous-en")


def test_wrong_password_shows_an_error_next_to_the_field(
    live_server: LiveServer, page: Any
) -> None:
    page.goto("/login")
    switch_language(page, "en")
    assert page.url == f"{live_server.url}/login"
    response = log_in(page, live_server.url, "founder@biic.test", password="wrong-password")

    assert response is not None and response.status == 200
    assert page.url.startswith(f"{live_server.url}/login")
    password = page.locator("#password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "password-error")
    error = page.locator("#password-error")
    expect(error).to_be_visible()
    expect(error).to_have_text("The email or the password is not right.")
    # right after the field it describes
    assert password.evaluate("el => el.nextElementSibling && el.nextElementSibling.id") == (
        "password-error"
    )
    expect(page.locator("section.panel")).to_have_count(0)
    expect(page.locator("#logout")).to_have_count(0)
