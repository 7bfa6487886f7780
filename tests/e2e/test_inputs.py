"""The application page in the browser: answers save while typing, counters count, and a
deck too large is refused before it is sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from incubator.files import minimal_pdf
from tests.applications.fixtures import answer
from tests.e2e.conftest import LiveServer

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e


def draft_of(live_server: LiveServer, email: str) -> Any:
    from sqlalchemy import select

    from incubator.accounts.models import User
    from incubator.applications.models import Application
    from incubator.applications.stages import Stage
    from incubator.db import db
    from incubator.startups.models import Startup, StartupMember

    with live_server.app.app_context():
        return db.session.scalars(
            select(Application)
            .join(Startup)
            .join(StartupMember)
            .join(User)
            .where(User.email == email, Application.stage == Stage.DRAFT)
        ).first()


def test_the_application_saves_while_typing_and_refuses_a_deck_too_large(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    live_server.app.config["PITCH_DECK_MAX_BYTES"] = 5000
    application = draft_of(live_server, "founder@biic.test")
    page = open_page(as_user="founder@biic.test")
    page.goto(f"/applications/{application.id}/edit")

    # the counter shows what is used of the limit, live
    problem = page.locator("textarea[name=problem]")
    counter = page.locator(".counter[data-for=problem]")
    used = len(problem.input_value())
    expect(counter).to_have_text(f"{used:,} / 5.000".replace(",", "."))
    problem.press("End")
    problem.type(" Thêm một câu.")
    expect(counter).to_have_text(f"{used + 14:,} / 5.000".replace(",", "."))

    # ... and after a pause the answers are saved without a click
    saved = page.locator("#last-saved")
    expect(saved).to_have_text(re.compile(r"Đã lưu lúc \d{2}:\d{2}"), timeout=10_000)
    assert answer(live_server.app, application.id, "problem").endswith("Thêm một câu.")

    # a mistake is shown next to its field, and nothing is saved until it is fixed
    page.fill("input[name=funding_need_vnd]", "1.5")
    expect(page.locator(".autosave-error")).to_contain_text("1.500.000.000", timeout=10_000)
    expect(saved).to_contain_text("Chưa lưu")
    screenshot(page, "inputs-01-autosave-error")
    page.fill("input[name=funding_need_vnd]", "1.500.000.000")
    expect(saved).to_have_text(re.compile(r"Đã lưu lúc"), timeout=10_000)
    expect(page.locator(".autosave-error")).to_have_count(0)
    assert answer(live_server.app, application.id, "funding_need_vnd") == 1_500_000_000

    # a file over the limit never leaves the browser
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if r.url.endswith("/upload") else None)
    big = {"name": "big.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf("x") * 30}
    page.set_input_files("input[name=deck]", files=[big])
    expect(page.locator("#deck-client-error")).to_contain_text("MB")
    page.click("#upload-deck")
    page.wait_for_timeout(500)
    assert uploads == [] and page.url.endswith("/edit")
    screenshot(page, "inputs-02-deck-too-large")

    # one that fits is sent, after what was typed meanwhile is saved
    problem.type(" Gõ trước khi tải tệp.")
    page.set_input_files(
        "input[name=deck]",
        files=[{"name": "deck.html", "mimeType": "application/pdf", "buffer": minimal_pdf("x")}],
    )
    expect(page.locator("#deck-client-error")).to_have_count(0)
    with page.expect_navigation():
        page.click("#upload-deck")
    expect(page.locator("main .flash-success")).to_be_visible()
    expect(page.locator("#deck-current")).to_have_text("deck.pdf")
    assert answer(live_server.app, application.id, "problem").endswith("Gõ trước khi tải tệp.")
    screenshot(page, "inputs-03-deck-uploaded")
