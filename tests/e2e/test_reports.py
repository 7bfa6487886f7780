"""Issue 13's journey in Chromium: a manager asks for the cohort report, watches the progress
bar move (the job runs in the background, its chunks in worker processes) and downloads a
PDF in Vietnamese with continuous "Trang X / Y"; the founder downloads their own progress
report from their startup's page; the reports page fits a 390 px phone."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from incubator.db import db
from incubator.programs.models import Program
from incubator.startups.models import Startup
from tests.e2e.conftest import LiveServer, fits_the_phone

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

MANAGER = "manager@biic.test"
FOUNDER = "pham.quoc.bao@demo.test"
PROGRAM = "Chương trình Ươm tạo BIIC 2026"
STARTUP = "MediCare Thủ Dầu Một"


def _texts(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def _as_png(pdf: Path, keep: Callable[..., Any]) -> None:
    """The pages as PNG beside the screenshots, to look at (pdftoppm, when installed)."""
    if shutil.which("pdftoppm") is None:
        return
    out = Path(os.environ.get("E2E_SCREENSHOTS") or pdf.parent) / pdf.stem
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(out)], check=True)  # noqa: S603, S607


def test_the_manager_watches_the_cohort_report_and_downloads_it(
    live_server: LiveServer,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    app = live_server.app
    # the background as in `make run`: a thread runs the job, worker processes the chunks;
    # each startup's step waits a little, so that the bar is seen moving
    app.config.update(JOBS_BACKEND="thread", REPORTS_STEP_DELAY=0.6, REPORTS_PROCESSES=2)
    with app.app_context():
        program_id = db.session.scalar(select(Program.id).where(Program.name_vi == PROGRAM))
    page = open_page(as_user=MANAGER)
    page.click("text=Báo cáo")
    expect(page.locator("h1")).to_have_text("Báo cáo")
    row = page.locator("#cohort-reports li", has_text=PROGRAM)
    with page.expect_navigation():
        row.get_by_role("button", name="Tạo báo cáo khóa").click()
    bar = page.locator("#job-progress")
    expect(bar).to_be_visible()
    # the bar moves: a value strictly between 0 and 100 while the job runs
    seen = set()
    for _ in range(200):
        value = int(float(bar.get_attribute("value") or 0))
        seen.add(value)
        if 0 < value < 100:
            break
        page.wait_for_timeout(100)
    assert any(0 < value < 100 for value in seen), seen
    expect(page.locator("#job-status")).to_have_text("Đang chạy")
    screenshot(page, "reports-progress")
    expect(page.locator("#job-download")).to_be_visible(timeout=120_000)
    expect(page.locator("#job-status")).to_have_text("Hoàn thành")
    expect(page.locator("#job-percent")).to_have_text("100 %")
    screenshot(page, "reports-done")
    with page.expect_download() as download:
        page.click("#job-download-link")
    pdf = tmp_path / "cohort.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename == f"bao-cao-khoa-{program_id}.pdf"
    texts = _texts(pdf)
    total = len(texts)
    assert "Báo cáo khóa ươm tạo" in texts[0] and PROGRAM in texts[0]
    assert "Mục lục" in texts[1] and STARTUP in texts[1]
    for number, text in enumerate(texts, start=1):
        assert f"Trang {number} / {total}" in text
    whole = " ".join(texts)
    for heading in ("Phễu tuyển chọn", "Tổng hợp KPI", "Lịch sử giai đoạn", "Sử dụng Fablab"):
        assert heading in whole
    _as_png(pdf, screenshot)


def test_the_founder_downloads_their_progress_report_from_the_startup_page(
    live_server: LiveServer,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    with live_server.app.app_context():
        startup_id = db.session.scalar(select(Startup.id).where(Startup.name == STARTUP))
    page = open_page(as_user=FOUNDER)
    page.goto(f"/startups/{startup_id}")
    section = page.locator("#progress-report")
    expect(section).to_contain_text("Báo cáo tiến độ")
    screenshot(page, "reports-startup-section")
    with page.expect_download() as download:
        section.get_by_role("button", name="Tải về (tiếng Việt)").click()
    pdf = tmp_path / "progress.pdf"
    download.value.save_as(pdf)
    texts = _texts(pdf)
    assert f"Báo cáo tiến độ: {STARTUP}" in texts[0] and "BÁO CÁO TIẾN ĐỘ DỰ ÁN" in texts[0]
    assert f"Trang 1 / {len(texts)}" in texts[0]
    _as_png(pdf, screenshot)


def test_the_reports_page_fits_a_phone(
    live_server: LiveServer, open_page: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    from tests.e2e.conftest import PHONE

    page = open_page(
        as_user=MANAGER, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page.goto("/reports")
    fits, sizes = fits_the_phone(page)
    screenshot(page, "reports-phone")
    assert fits, sizes
