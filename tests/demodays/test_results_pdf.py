"""The demo-day results in print: the PDF (exact Vietnamese, the one font, who may download
it, not before publication) and the sections the reports ask for through
`signals.report_sections` (published results only, never draft scores)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask_babel import force_locale
from pypdf import PdfReader

from incubator import signals
from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.db import db, utcnow
from incubator.demodays import access, judging, planning
from incubator.demodays.models import DemoDay
from incubator.i18n import to_local
from tests.demodays.fixtures import Planned, score
from tests.test_pdf import text_and_fonts

NAMES = ["Công ty Đổi Mới Sáng Tạo", "Nông Trại Số Bình Dương"]
COMMENT = "Sản phẩm rõ ràng, cần thêm số liệu khách hàng."


def _publish(app: Flask, planned: Planned) -> None:
    with app.app_context(), db.transaction():
        planning.change_status(
            db.session.get(User, planned.manager.id),
            db.session.get(DemoDay, planned.demo_day_id),
            planning.Change.PUBLISH,
        )


@pytest.fixture
def scored(app: Flask, make_demo_day: Callable[..., Planned]) -> Callable[..., Planned]:
    """scored(publish=True): two pitches scored by two judges (the first one ahead), with a
    judge's comment on the first pitch; published unless told otherwise."""

    def make(publish: bool = True) -> Planned:
        planned = make_demo_day(pitches=2, judges=2, status="judging", names=NAMES)
        for judge, values in zip(planned.judges, ((9, 5), (8, 6)), strict=True):
            for slot, value in zip(planned.slot_ids, values, strict=True):
                for criterion in planned.criterion_ids:
                    score(app, planned, judge, slot, criterion, value)
        with app.app_context(), db.transaction():
            demo_day = db.session.get(DemoDay, planned.demo_day_id)
            judging.save_sheet(
                db.session.get(User, planned.judges[0].id),
                demo_day,
                access.pitch_of(demo_day, planned.slot_ids[0]),
                comment=COMMENT,
            )
        if publish:
            _publish(app, planned)
        return planned

    return make


def _pdf_path(planned: Planned, lang: str = "vi") -> str:
    return f"/demo-days/{planned.demo_day_id}/results.pdf?lang={lang}"


# ------------------------------------------------------------------ PDF


def test_the_results_pdf_prints_exact_vietnamese_in_the_vendored_font(
    app: Flask, scored: Callable[..., Planned], login: Any
) -> None:
    planned = scored()
    response = login(planned.manager).get(_pdf_path(planned))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text, fonts = text_and_fonts(response.data)
    for expected in (
        *NAMES,
        "Kết quả Demo Day",  # the kicker
        "Demo Day thử",
        "Hội trường BIIC",
        "Xếp hạng",
        "Điểm trung bình có trọng số",
        "Điểm chuẩn hóa",
        "Điểm trung bình theo tiêu chí",
        "Sản phẩm",
        "Đội ngũ",
        "Trang 1 /",
    ):
        assert expected in text, expected
    assert text.index(NAMES[0]) < text.index(NAMES[1])  # ranked
    assert COMMENT not in text  # the judges' comments stay with the startup's own report
    assert fonts and all(f.startswith("Be-Vietnam-Pro") for f in fonts), fonts
    reader = PdfReader(io.BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842  # A4


def test_the_results_pdf_follows_the_chosen_language(
    app: Flask, scored: Callable[..., Planned], login: Any
) -> None:
    planned = scored()
    text, _fonts = text_and_fonts(login(planned.manager).get(_pdf_path(planned, "en")).data)
    assert "Demo day results" in text and "Test demo day" in text and "Page 1 /" in text
    assert NAMES[0] in text  # names are never translated


def test_the_centers_manager_and_an_admin_may_download_it(
    app: Flask, scored: Callable[..., Planned], login: Any, make_user: Any
) -> None:
    planned = scored()
    assert login(planned.manager).get(_pdf_path(planned)).status_code == 200
    assert login(make_user(Role.ADMIN)).get(_pdf_path(planned)).status_code == 200


def test_nobody_else_may_download_it(
    app: Flask, scored: Callable[..., Planned], login: Any, manager_of: Any
) -> None:
    planned = scored()
    path = _pdf_path(planned)
    assert login(manager_of("SMIC")).get(path).status_code == 404
    assert login(planned.founders[0]).get(path).status_code == 404
    assert login(planned.judges[0]).get(path).status_code == 404
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert login(planned.manager).get("/demo-days/999999/results.pdf").status_code == 404


def test_before_publication_there_is_no_pdf_nor_link(
    app: Flask, scored: Callable[..., Planned], login: Any
) -> None:
    planned = scored(publish=False)
    manager = login(planned.manager)
    assert manager.get(_pdf_path(planned)).status_code == 404
    board = f"/demo-days/{planned.demo_day_id}/leaderboard"
    assert "results.pdf" not in manager.get(board).get_data(as_text=True)
    _publish(app, planned)
    page = manager.get(board).get_data(as_text=True)
    assert f"/demo-days/{planned.demo_day_id}/results.pdf?lang=vi" in page


def test_an_unknown_language_falls_back_to_the_page_language(
    app: Flask, scored: Callable[..., Planned], login: Any
) -> None:
    planned = scored()
    response = login(planned.manager).get(_pdf_path(planned, "fr%01"))
    assert response.status_code == 200
    assert "Kết quả Demo Day" in text_and_fonts(response.data)[0]


def test_the_cli_writes_the_results(app: Flask, scored: Callable[..., Planned], tmp_path) -> None:
    planned = scored()
    out = tmp_path / "results.pdf"
    runner = CliRunner()
    from incubator.reports.cli import report

    with app.app_context():
        result = runner.invoke(
            report, ["demo-day", str(planned.demo_day_id), "-o", str(out)], obj=None
        )
    assert result.exit_code == 0, result.output
    assert NAMES[0] in text_and_fonts(out.read_bytes())[0]
    with app.app_context():
        missing = runner.invoke(report, ["demo-day", "999999", "-o", str(out)])
    assert missing.exit_code != 0 and "No demo day" in missing.output


# ------------------------------------------------------------ report sections


def _sections(app: Flask, kind: str, object_id: int, **kwargs: Any) -> list[dict[str, Any]]:
    with app.app_context(), app.test_request_context(), force_locale("vi"):
        found = []
        for _receiver, answer in signals.report_sections.send(kind, object_id=object_id, **kwargs):
            found.extend(answer or ())
        return found


def _program_and_startup(app: Flask, planned: Planned) -> tuple[int, int, int]:
    with app.app_context():
        demo_day = db.session.get(DemoDay, planned.demo_day_id)
        startup_id = db.session.get(Application, planned.application_ids[0]).startup_id
        return demo_day.program_id, startup_id, demo_day.center_id


def test_a_cohort_report_gets_the_published_ranking(
    app: Flask, scored: Callable[..., Planned]
) -> None:
    planned = scored()
    program_id, _startup, _center = _program_and_startup(app, planned)
    sections = _sections(app, "cohort", program_id)
    assert len(sections) == 1
    section = sections[0]
    assert section["title"].startswith("Kết quả Demo Day: Demo Day thử")
    assert section["headers"] == [
        "Xếp hạng",
        "Dự án khởi nghiệp",
        "Điểm trung bình có trọng số",
        "Điểm chuẩn hóa",
        "Giám khảo",
        "Không chấm",
    ]
    first, second = section["rows"]
    assert first[:2] == ["1", NAMES[0]] and second[:2] == ["2", NAMES[1]]
    # sheets of 90 and 80: raw weighted mean 85,0; two judges, no abstention
    assert first[2] == "85,0" and first[4:] == ["2", "0"]
    assert float(first[3].replace(",", ".")) > 0 > float(second[3].replace(",", "."))
    assert all(isinstance(cell, str) for row in section["rows"] for cell in row)
    assert "z" in section["note"]


def test_draft_scores_never_reach_a_report(app: Flask, scored: Callable[..., Planned]) -> None:
    planned = scored(publish=False)
    program_id, startup_id, center_id = _program_and_startup(app, planned)
    assert _sections(app, "cohort", program_id) == []
    assert _sections(app, "startup", startup_id) == []
    today = to_local(utcnow()).date()
    assert _sections(app, "center", center_id, first=today, last=today) == []


def test_a_startup_report_gets_its_own_outcome_and_comments(
    app: Flask, scored: Callable[..., Planned]
) -> None:
    planned = scored()
    _program, startup_id, _center = _program_and_startup(app, planned)
    sections = _sections(app, "startup", startup_id)
    outcome, comments = sections
    assert outcome["headers"] == ["Tiêu chí", "Trọng số", "Điểm trung bình"]
    assert outcome["rows"] == [["Sản phẩm", "2", "8,5 / 10"], ["Đội ngũ", "1", "8,5 / 10"]]
    assert "Hạng 1 / 2" in outcome["note"]
    assert comments["rows"] == [[COMMENT]]
    # the other startup sees its own rank, not the first one's comments
    with app.app_context():
        other = db.session.get(Application, planned.application_ids[1]).startup_id
    (own,) = _sections(app, "startup", other)
    assert "Hạng 2 / 2" in own["note"]


def test_a_center_report_gets_the_demo_days_published_in_the_period(
    app: Flask, scored: Callable[..., Planned]
) -> None:
    planned = scored()
    _program, _startup, center_id = _program_and_startup(app, planned)
    today = to_local(utcnow()).date()
    (section,) = _sections(app, "center", center_id, first=today, last=today)
    (row,) = section["rows"]
    assert row[0] == "Demo Day thử" and row[3] == "2"
    assert row[4] == f"1. {NAMES[0]}, 2. {NAMES[1]}"
    earlier = today - timedelta(days=40)
    assert _sections(app, "center", center_id, first=earlier, last=earlier + timedelta(1)) == []


def test_the_startup_report_prints_its_demo_day_outcome(
    app: Flask, scored: Callable[..., Planned]
) -> None:
    from incubator.reports import render

    planned = scored()
    _program, startup_id, _center = _program_and_startup(app, planned)
    with app.app_context():
        pdf, _name = render.startup_pdf(startup_id, "vi")
    text, _fonts = text_and_fonts(pdf)
    assert "Kết quả Demo Day: Demo Day thử" in text
    assert "Hạng 1 / 2" in text
    assert COMMENT in text
