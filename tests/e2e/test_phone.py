"""Issue 7 item 15: phone layouts at 390 px. The header menu folds (also without JavaScript),
list pages show their key column without sideways scrolling, the rubric editor adds and
removes rows in place, the bulk-assign loads sit beside their boxes, and a 200-letter name
widens neither the board nor the startup page. Screenshots go to tmp_path/screenshots (and
to $E2E_SCREENSHOTS when set)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.programs.models import Program
from incubator.startups.models import Startup
from tests.e2e.conftest import LiveServer, open_menu

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

WIDTH = 390
PHONE_390 = {"width": WIDTH, "height": 844}
LONG_NAME = "Khởi" + "NghiệpRấtDài" * 16 + "X" * 4  # 200 letters, no space to break at


def phone(open_page: Callable[..., Any], **options: Any) -> Any:
    return open_page(
        viewport=PHONE_390, is_mobile=True, has_touch=True, device_scale_factor=2, **options
    )


def overflow(page: Any) -> dict[str, Any]:
    """The document's width and what sticks out on the right of the screen, scrolling
    containers (the board's columns) left aside."""
    return page.evaluate(
        """(limit) => ({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            wide: [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > limit + 1)
                .filter(e => !e.closest('.board'))
                .filter(e => e.getClientRects().length > 0)
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + '.' + String(e.className)
                     + ' ' + Math.round(e.getBoundingClientRect().width) + 'px'),
        })""",
        WIDTH,
    )


def assert_fits(page: Any) -> None:
    sizes = overflow(page)
    assert sizes["innerWidth"] == WIDTH, sizes
    assert sizes["scrollWidth"] <= WIDTH, sizes
    assert sizes["wide"] == [], sizes


def in_view(page: Any, selector: str) -> None:
    """Visible, and inside the screen's width."""
    element = page.locator(selector).first
    expect(element).to_be_visible()
    box = element.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 1, box


def biic_program(live_server: LiveServer, *stages: Stage) -> int:
    """The demo's BIIC program with the most submitted applications (in `stages`)."""
    in_stages = Application.stage.in_(stages) if stages else Application.stage != Stage.DRAFT
    with live_server.app.app_context():
        return db.session.scalar(
            select(Program.id)
            .join(Application)
            .where(Program.center.has(code="BIIC"), in_stages)
            .group_by(Program.id)
            .order_by(func.count().desc())
            .limit(1)
        )


def give_a_long_name(live_server: LiveServer, program_id: int) -> int:
    """Rename the startup of one of the program's submitted applications; its id."""
    with live_server.app.app_context():
        startup = db.session.scalar(
            select(Startup)
            .join(Application)
            .where(Application.program_id == program_id, Application.stage != Stage.DRAFT)
            .limit(1)
        )
        startup.name = LONG_NAME
        db.session.commit()
        return startup.id


# ------------------------------------------------------------------ the menu


def test_the_menu_folds_on_a_phone_even_without_javascript(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    page = phone(open_page, java_script_enabled=False, as_user="manager@biic.test")
    page.goto("/")
    header = page.locator("header.site-header").bounding_box()
    assert header is not None and header["height"] < 100, header  # was about 200 px
    expect(page.locator("#site-menu > summary")).to_be_visible()
    expect(page.locator("#logout")).to_be_hidden()
    expect(page.locator(".main-nav a").first).to_be_hidden()
    assert_fits(page)
    screenshot(page, "phone-menu-closed", full_page=False)

    page.click("#site-menu > summary")
    expect(page.locator("#logout")).to_be_visible()
    in_view(page, ".main-nav a")
    in_view(page, "form.lang-switch button[value=en]")
    assert_fits(page)
    screenshot(page, "phone-menu-open", full_page=False)
    with page.expect_navigation():
        page.locator(".main-nav a").last.click()
    expect(page.locator("main")).to_be_visible()


def test_the_menu_shows_open_on_a_desktop(
    live_server: LiveServer, open_page: Callable[..., Any]
) -> None:
    page = open_page(as_user="manager@biic.test")
    page.goto("/")
    expect(page.locator("#site-menu > summary")).to_be_hidden()
    expect(page.locator(".main-nav a").first).to_be_visible()
    expect(page.locator("#logout")).to_be_visible()
    open_menu(page)  # nothing to unfold
    expect(page.locator("#logout")).to_be_visible()


# ------------------------------------------------------------------ lists


def test_the_ranking_shows_cards_with_the_startup_on_a_phone(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    program_id = biic_program(live_server)
    give_a_long_name(live_server, program_id)
    page = phone(open_page, as_user="manager@biic.test")
    page.goto(f"/manage/programs/{program_id}/applications")
    in_view(page, "table.list tbody td.title-sm a")  # the startup, the card's title
    in_view(page, "table.list tbody td[data-label]:not(.title-sm)")
    expect(page.locator("table.list tbody td.hide-sm").first).to_be_hidden()
    wrap = page.locator(".table-wrap").first.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wrap[0] <= wrap[1], wrap  # nothing scrolls sideways inside either
    assert_fits(page)
    screenshot(page, "phone-ranking")


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("admin@incubator.test", "/admin/users"),
        ("manager@biic.test", "/manage/programs"),
        ("founder@biic.test", "/applications"),
        ("mentor@biic.test", "/reviews"),
    ],
)
def test_list_pages_show_their_key_column_on_a_phone(
    email: str,
    path: str,
    live_server: LiveServer,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
) -> None:
    page = phone(open_page, as_user=email)
    page.goto(path)
    in_view(page, "table.list tbody td.title-sm")
    assert_fits(page)
    screenshot(page, "phone-list-" + path.strip("/").replace("/", "-"), full_page=False)


# ------------------------------------------------------------------ long names


def test_a_200_letter_name_widens_neither_the_board_nor_the_startup_page(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    program_id = biic_program(live_server)
    startup_id = give_a_long_name(live_server, program_id)
    page = phone(open_page, as_user="manager@biic.test")
    page.goto(f"/manage/programs/{program_id}/board")
    card = page.locator(".board-card", has_text=LONG_NAME[:30]).first
    expect(card).to_be_visible()
    in_view(page, ".board-column")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.board-column, .board-card')].map(
            e => [e.scrollWidth, e.clientWidth])"""
    )
    assert all(scroll <= client + 1 for scroll, client in sizes), sizes
    column = page.locator(".board-column").first.bounding_box()
    assert column is not None and column["width"] <= WIDTH, column
    assert_fits(page)
    screenshot(page, "phone-board")

    page.goto(f"/startups/{startup_id}")
    in_view(page, "main h1")
    assert_fits(page)
    screenshot(page, "phone-startup-long-name", full_page=False)


def test_a_200_letter_name_keeps_the_desktop_board_narrow(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    program_id = biic_program(live_server)
    give_a_long_name(live_server, program_id)
    page = open_page(as_user="manager@biic.test")
    page.goto(f"/manage/programs/{program_id}/board")
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.board-column')].map(e => e.scrollWidth)"
    )
    assert max(widths) < 400, widths  # 15rem columns, were 5,000 px with the name
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "desktop-board-long-name", full_page=False)


# ------------------------------------------------------------------ rubric editor


def _program_fields(page: Any) -> None:
    day = datetime.now() + timedelta(days=2)

    def fmt(moment: datetime, with_time: bool = True) -> str:
        return moment.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")

    page.fill("#name_vi", "Ươm tạo trên điện thoại")
    page.fill("#name_en", "Incubation from a phone")
    page.fill("#opens_at", fmt(day))
    page.fill("#closes_at", fmt(day + timedelta(days=30)))
    page.fill("#starts_on", fmt(day + timedelta(days=40), with_time=False))
    page.fill("#ends_on", fmt(day + timedelta(days=200), with_time=False))
    page.fill("#capacity", "12")


def test_the_rubric_editor_adds_and_removes_rows_in_place_on_a_phone(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    page = phone(open_page, as_user="manager@biic.test")
    page.goto("/manage/programs/new")
    rows = page.locator("#criteria [data-criterion]:visible")
    expect(rows).to_have_count(1)  # one blank row is enough with the script
    expect(page.locator(".no-script-note")).to_be_hidden()
    _program_fields(page)
    names = ["Đội ngũ", "Thị trường", "Sẽ bỏ", "Sản phẩm"]
    for index, name in enumerate(names):
        if index:
            page.click("#add-criterion")
        expect(rows).to_have_count(index + 1)
        row = rows.nth(index)
        row.locator("input[name$='-name_vi']").fill(name)
        row.locator("input[name$='-weight']").fill(str(index + 1))
        row.locator("input[name$='-max_score']").fill("10")
    in_view(page, "#criteria [data-criterion]:visible >> nth=3")
    assert_fits(page)
    rows.nth(2).locator("[data-remove-criterion]").click()
    expect(rows).to_have_count(3)
    in_view(page, "#add-criterion")
    assert_fits(page)
    screenshot(page, "phone-rubric-editor")
    with page.expect_navigation():
        page.click("form button[type=submit]:not(#add-criterion) >> text=/Lưu|Save/")
    with live_server.app.app_context():
        program = db.session.scalar(
            select(Program).where(Program.name_vi == "Ươm tạo trên điện thoại")
        )
        assert program is not None, page.content()[:3000]
        assert [(c.name_vi, c.weight) for c in program.criteria] == [
            ("Đội ngũ", 1),
            ("Thị trường", 2),
            ("Sản phẩm", 4),
        ]


def test_the_rubric_editor_still_works_without_javascript(
    live_server: LiveServer, open_page: Callable[..., Any]
) -> None:
    page = phone(open_page, java_script_enabled=False, as_user="manager@biic.test")
    page.goto("/manage/programs/new")
    expect(page.locator("#add-criterion")).to_be_hidden()
    expect(page.locator(".no-script-note")).to_be_visible()
    expect(page.locator("#criteria [data-criterion]")).to_have_count(3)  # blank rows
    assert_fits(page)


# ------------------------------------------------------------------ bulk assign


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_bulk_assign_loads_do_not_overlap_the_boxes(
    viewport: str,
    live_server: LiveServer,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
) -> None:
    program_id = biic_program(live_server, Stage.SUBMITTED, Stage.SCREENING)
    give_a_long_name(live_server, program_id)
    manager = "manager@biic.test"
    page = phone(open_page, as_user=manager) if viewport == "phone" else open_page(as_user=manager)
    page.goto(f"/manage/programs/{program_id}/assign")
    labels = page.locator("#bulk-reviewers label")
    assert labels.count() > 0
    for index in range(labels.count()):
        label = labels.nth(index)
        box = label.locator("input").bounding_box()
        load = label.locator(".load").bounding_box()
        text = label.locator(".check-text").bounding_box()
        assert box and load and text
        for other in (load, text):
            apart = (
                other["x"] >= box["x"] + box["width"]
                or other["y"] >= box["y"] + box["height"]
                or other["y"] + other["height"] <= box["y"]
            )
            assert apart, (box, other)
        assert load["x"] >= text["x"] + text["width"] - 1 or load["y"] >= text["y"], (text, load)
    if viewport == "phone":
        assert_fits(page)
    screenshot(page, f"bulk-assign-{viewport}", full_page=False)


# ------------------------------------------------------------------ resubmitting (item 11)


def test_back_and_save_again_in_the_browser_creates_one_startup(
    live_server: LiveServer, open_page: Callable[..., Any]
) -> None:
    page = phone(open_page, as_user="founder@biic.test")
    page.goto("/startups/new")
    page.fill("#name", "Quay Lại Rồi Lưu")
    page.fill("#description", "Thử nút Quay lại của trình duyệt")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    first = page.url
    page.go_back()
    expect(page.locator("#name")).to_have_value("Quay Lại Rồi Lưu")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == first
    with live_server.app.app_context():
        count = db.session.scalar(select(func.count()).where(Startup.name == "Quay Lại Rồi Lưu"))
    assert count == 1
