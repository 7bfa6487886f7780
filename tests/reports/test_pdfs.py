"""The reports' PDFs, without HTTP: exact Vietnamese (pypdf), the one embedded font, user text
escaped and never fetched, the cohort's chunks merged with continuous page numbers and a
table of contents that links, PDF/A for the center report."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from incubator.db import db, utcnow
from incubator.i18n import to_local
from incubator.pdf import CHUNK_LINK
from incubator.reports import render
from incubator.startups.models import Startup
from tests.reports.fixtures import FOUNDER_NAME, MENTOR_NAME, STARTUP_NAME, Reported
from tests.test_pdf import CountingHandler, outside_server, text_and_fonts  # noqa: F401


def _pages_text(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_the_startup_report_prints_exact_vietnamese_in_the_vendored_font(
    app: Flask, reported: Callable[..., Reported]
) -> None:
    world = reported()
    with app.app_context():
        pdf, name = render.startup_pdf(world.startup_id, "vi")
    text, fonts = text_and_fonts(pdf)
    for expected in (
        STARTUP_NAME,
        FOUNDER_NAME,
        MENTOR_NAME,
        "Gọi vốn hạt giống",
        "Chương trình Ươm tạo 2026",
        "Báo cáo tiến độ",  # the kicker, in Vietnamese
        "Lịch sử giai đoạn",
        "Chỉ số chính (KPI)",
        "Trang 1 /",
        "Tạo lúc",
    ):
        assert expected in text, expected
    assert fonts and all(f.startswith("Be-Vietnam-Pro") for f in fonts), fonts
    assert name.endswith(".pdf")
    # the charts are the mentoring page's inline SVG, drawn as vectors (no image embedded)
    assert b"/Subtype /Image" not in pdf


def test_the_report_language_follows_the_requesters_choice(
    app: Flask, reported: Callable[..., Reported]
) -> None:
    world = reported()
    with app.app_context():
        pdf, _name = render.startup_pdf(world.startup_id, "en")
    text, _fonts = text_and_fonts(pdf)
    assert "Stage history" in text and "Page 1 /" in text and "Generated" in text
    assert STARTUP_NAME in text  # names stay as typed


def test_hostile_user_text_is_printed_as_text_and_fetches_nothing(
    app: Flask,
    reported: Callable[..., Reported],
    outside_server: str,  # noqa: F811
) -> None:
    world = reported()
    hostile = (
        '<img src="file:///etc/passwd"> <link rel="stylesheet" href="'
        f'{outside_server}/evil.css"><img src="{outside_server}/tracker.svg">'
    )
    with app.app_context():
        db.session.get(Startup, world.startup_id).description = hostile
        db.session.commit()
        pdf, _name = render.startup_pdf(world.startup_id, "vi")
    text, _fonts = text_and_fonts(pdf)
    assert 'src="file:///etc/passwd"' in text  # escaped: shown, not obeyed
    assert "root:" not in text
    assert CountingHandler.hits == []
    assert b"/JavaScript" not in pdf
    assert "/EmbeddedFiles" not in PdfReader(io.BytesIO(pdf)).trailer["/Root"].get("/Names", {})


def test_print_values_hold_no_orm_object(app: Flask, reported: Callable[..., Reported]) -> None:
    from incubator.pdf import refuse_orm_objects

    world = reported()
    with app.app_context():
        values = render.startup_values(world.startup_id)
        assert values.name == STARTUP_NAME
        refuse_orm_objects(values)  # raises TypeError on an ORM object anywhere inside
        with pytest.raises(TypeError, match="ORM object"):  # and it would see one
            refuse_orm_objects({"report": values, "startup": db.session.get(Startup, values.id)})


@pytest.mark.parametrize("processes", [1, 2])
def test_the_cohort_report_is_merged_with_continuous_numbers_and_a_linked_contents(
    app: Flask,
    reported: Callable[..., Reported],
    make_program: Callable[..., Any],
    tmp_path: Path,
    processes: int,
) -> None:
    program = make_program(name="Chương trình Ươm tạo 2026")
    names = ["Công nghệ Sông Bé", "Đồng Xoài AgriTech", STARTUP_NAME]
    for name in names:
        reported(name=name, program=program)
    out = tmp_path / "cohort.pdf"
    steps: list[tuple[int, str]] = []
    with app.app_context():
        result = render.cohort_pdf(
            program.id, "vi", str(out), processes, progress=lambda p, s: steps.append((p, s))
        )
    reader = PdfReader(str(out))
    total = len(reader.pages)
    assert result.pages == total > 4
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    for number, text in enumerate(texts, start=1):
        assert f"Trang {number} / {total}" in text, (number, text[-80:])
        assert text.count(f"/ {total}") == 1  # no chunk's own numbering left
    assert "Báo cáo khóa ươm tạo" in texts[0]
    whole = " ".join(texts)
    for heading in ("Mục lục", "Phễu tuyển chọn", "Nộp hồ sơ", "Tổng hợp KPI", *names):
        assert heading in whole, heading
    # the contents link to the page where each section starts, and say its number
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    targets = {}
    for page in reader.pages[:2]:
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object()["/A"]
            assert action["/S"] == "/GoTo" and CHUNK_LINK not in str(action)
            targets[pages[action["/D"][0].idnum]] = True
    assert len(targets) == len(names) + 1  # the summary and each startup
    for name in names:
        first = next(
            n for n, text in enumerate(texts) if name in text[:300] and "Lịch sử giai đoạn" in text
        )
        assert first in targets, (name, first, sorted(targets))
        assert re.search(re.escape(name) + r"[ .]*" + str(first + 1) + r"\b", texts[1]), texts[1]
    assert [item.title for item in reader.outline][1:] == sorted(names)
    assert steps[-1][0] == 100 and all(0 <= p <= 100 for p, _s in steps)


def test_the_center_report_gathers_the_period_and_can_be_pdf_a(
    app: Flask, reported: Callable[..., Reported]
) -> None:
    reported()
    today = to_local(utcnow()).date()
    with app.app_context():
        center_id = _biic(app)
        plain, name = render.center_pdf(center_id, today - timedelta(days=120), today, "vi")
        archival, _name = render.center_pdf(
            center_id, today - timedelta(days=120), today, "vi", archival=True
        )
    text, fonts = text_and_fonts(plain)
    for expected in ("Báo cáo trung tâm", "Mục lục", "Số giờ cố vấn", STARTUP_NAME):
        assert expected in text, expected
    assert all(f.startswith("Be-Vietnam-Pro") for f in fonts), fonts
    assert name.endswith(".pdf") and "BIIC" in name
    metadata = PdfReader(io.BytesIO(archival)).xmp_metadata
    assert metadata is not None
    xml = metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xml and 'pdfaid:conformance="B"' in xml
    assert b"pdfaid" not in plain


def _biic(app: Flask) -> int:
    from tests.centers.fixtures import center_id

    return center_id(app, "BIIC")


def test_a_period_backwards_or_too_long_is_refused_clearly(app: Flask) -> None:
    from incubator.errors import DomainError
    from incubator.reports.services import check_period

    with app.app_context():
        with pytest.raises(DomainError, match=r"after the start|sau"):
            check_period(date(2026, 5, 1), date(2026, 4, 1))
        with pytest.raises(DomainError):
            check_period(date(2020, 1, 1), date(2026, 1, 1))
        with pytest.raises(DomainError):
            check_period(None, date(2026, 1, 1))
