"""Issue 14's journey: a founder makes an API token on the account page (shown once), a
script with only that token and the OpenAPI document creates a startup, applies, uploads the
deck, submits, books a machine and downloads the startup's report; revoked in the browser,
the token stops at once. The manager registers a webhook and publishes the open data; the
viewer shows the document."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from incubator import files
from incubator.db import db, utcnow
from incubator.fablab.common import at_local, local_day
from incubator.fablab.labs import day_info
from incubator.fablab.models import Booking, Machine
from incubator.i18n import to_local
from tests.e2e.conftest import LiveServer

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

FOUNDER = "pham.quoc.bao@demo.test"
MANAGER = "manager@biic.test"
PRINTER = "Máy in 3D Prusa MK4"


class Script:
    """What an integrator's script does: JSON over HTTP with a bearer token, nothing else."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token

    def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if raw is not None:
            headers["Content-Type"] = "application/pdf"
        url = self.base + path
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                content = answer.read()
                status = answer.status
        except urllib.error.HTTPError as error:
            content, status = error.read(), error.code
        try:
            return status, json.loads(content)
        except ValueError:
            return status, content


def _free_start(live_server: LiveServer, machine_id: int) -> Any:
    with live_server.app.app_context():
        machine = db.session.get(Machine, machine_id)
        day = local_day(utcnow()) + timedelta(days=3)
        while True:
            info = day_info(machine.lab, day)
            starts = at_local(day, info.opens) if info.open else None
            if starts is not None:
                ends = starts + timedelta(hours=2)
                taken = db.session.scalar(
                    select(Booking.id).where(
                        Booking.machine_id == machine_id,
                        Booking.starts_at < ends,
                        Booking.ends_at > starts,
                    )
                )
                if taken is None:
                    return to_local(starts)
            day += timedelta(days=1)


def test_a_script_with_a_token_applies_and_books(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Any]
) -> None:
    base = live_server.url
    page = open_page(as_user=FOUNDER)
    page.goto(f"{base}/account")
    page.fill("#token_name", "Cổng khởi nghiệp tỉnh")
    with page.expect_navigation():
        page.click("#api-tokens button[type=submit]")
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("inc_")
    screenshot(page, "api-token-created")
    page.goto(f"{base}/account")
    expect(page.locator("#api-tokens")).to_contain_text("Cổng khởi nghiệp tỉnh")
    assert token not in page.content()  # shown once only

    script = Script(base, token)
    status, document = script.call("GET", "/api/v1/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")
    status, me = script.call("GET", "/api/v1/me")
    assert me["email"] == FOUNDER
    status, startup = script.call(
        "POST",
        "/api/v1/startups",
        {
            "name": "Cảm biến Sông Bé",
            "sector": "iot_hardware",
            "description": "Cảm biến chất lượng nước",
            "founded_on": None,
            "website": "",
            "trl": 4,
            "team_size": 3,
        },
    )
    assert status == 201, startup
    status, calls = script.call("GET", "/api/v1/programs?open=true")
    assert calls["total"] >= 1
    program_id = calls["items"][0]["id"]
    status, program = script.call("GET", f"/api/v1/programs/{program_id}")
    answers = {}
    for question in program["questions"]:
        if not question["required"] or question["shown_when"]:
            continue
        kind = question["kind"]
        if kind in ("text", "long_text"):
            answers[question["key"]] = "Trả lời thử nghiệm"
        elif kind == "money":
            answers[question["key"]] = "500.000.000"
        elif kind == "number":
            answers[question["key"]] = "3"
        elif kind in ("single_choice", "multiple_choice"):
            value = question["choices"][0]["value"]
            answers[question["key"]] = [value] if kind == "multiple_choice" else value
        elif kind == "yes_no":
            answers[question["key"]] = "yes"
        elif kind == "date":
            answers[question["key"]] = "01/01/2025"
        elif kind == "url":
            answers[question["key"]] = "https://example.com"
        elif kind == "email":
            answers[question["key"]] = "team@example.com"
    status, application = script.call(
        "POST",
        "/api/v1/applications",
        {"startup_id": startup["id"], "program_id": program_id, "answers": answers},
    )
    assert status == 201, application
    path = f"/api/v1/applications/{application['id']}"
    with live_server.app.app_context():
        deck = files.minimal_pdf("Pitch deck")
    status, _ = script.call("PUT", f"{path}/pitch-deck", raw=deck)
    assert status == 200
    status, moved = script.call("POST", f"{path}/transitions", {"to": "submitted"})
    assert status == 201, moved
    status, history = script.call("GET", f"{path}/history")
    assert [t["to_stage"] for t in history["items"]] == ["draft", "submitted"]

    status, equipment = script.call("GET", "/api/v1/equipment?center=BIIC&per_page=100")
    printer = next(m for m in equipment["items"] if m["name"] == PRINTER)
    starts = _free_start(live_server, printer["id"])
    status, mine = script.call("GET", "/api/v1/startups")
    incubating = next(s for s in mine["items"] if s["name"] == "MediCare Thủ Dầu Một")
    body = {
        "equipment_id": printer["id"],
        "startup_id": incubating["id"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "purpose": "Vỏ cảm biến",
    }
    status, booking = script.call("POST", "/api/v1/bookings", body)
    assert status == 201, booking
    status, taken = script.call("POST", "/api/v1/bookings", body)
    assert status == 409 and taken["error"]["code"] == "slot_taken"

    # the startup's progress report, rendered on request
    for startup_id in (startup["id"], incubating["id"]):
        status, report = script.call("GET", f"/api/v1/startups/{startup_id}/report.pdf?lang=vi")
        assert status == 200 and report.startswith(b"%PDF"), report[:200]
    status, refused = script.call("POST", "/api/v1/reports", {"kind": "center", "center": "BIIC"})
    assert status == 403 and refused["error"]["code"] == "forbidden"

    # the web shows what the API did
    page.goto(f"{base}/fablab/bookings")
    expect(page.locator("main")).to_contain_text(PRINTER)

    page.goto(f"{base}/account")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#api-tokens form.inline-form button").first.click()
    status, refused = script.call("GET", "/api/v1/me")
    assert status == 401 and refused["error"]["code"] == "invalid_token"


def test_the_manager_registers_a_webhook_and_publishes_open_data(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Any]
) -> None:
    base = live_server.url
    page = open_page(as_user=MANAGER)
    page.goto(f"{base}/webhooks")
    page.fill("#url", f"{base}/receiver")
    page.check("input[value='application.submitted']")
    page.click("form:has(#url) button[type=submit]")
    # this server's own address is on loopback: refused, as any private network
    expect(page.locator(".field-error")).to_contain_text("mạng nội bộ")
    live_server.app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    page.check("input[value='application.submitted']")
    with page.expect_navigation():
        page.click("form:has(#url) button[type=submit]")
    expect(page.locator("main")).to_contain_text(f"{base}/receiver")
    screenshot(page, "api-webhook")
    page.goto(f"{base}/webhooks")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#open-data button")
    with live_server.app.app_context():
        from incubator.api.stats import refresh_open_data

        refresh_open_data()
    anonymous = urllib.request.urlopen(f"{base}/api/v1/stats?center=BIIC", timeout=30)  # noqa: S310
    figures = json.loads(anonymous.read())
    assert figures["center"] == "BIIC" and figures["startups_per_stage"]
    screenshot(page, "api-open-data")


def test_the_viewer_shows_the_document(
    live_server: LiveServer, page: Any, screenshot: Callable[..., Any]
) -> None:
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Incubator API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    screenshot(page, "api-docs")
