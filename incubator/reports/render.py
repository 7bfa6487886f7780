"""Turning the reports' plain values into PDFs: the startup and center reports in one piece,
the cohort report in chunks rendered by worker processes and merged (incubator/pdf.py)."""

from __future__ import annotations

import contextlib
import ctypes
import math
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from incubator.centers.models import Center
from incubator.db import db, run
from incubator.pdf import (
    CHUNK_LINK,
    merge_chunks,
    number_pages_file,
    numbering_ranges,
    page_frame,
    render_pdf_file,
    render_print_template,
    render_template_pdf,
)
from incubator.programs.models import Program
from incubator.reports import data
from incubator.startups.models import Startup

Progress = Callable[[int, str], None]
TOC_LINES_PER_PAGE = 32
PDF_A = "pdf/a-3b"


def _quiet(_percent: int, _step: str) -> None:
    pass


# ------------------------------------------------------------------ startup


def startup_values(startup_id: int) -> data.StartupReport:
    return data.startup_report(db.session.get(Startup, startup_id))


def startup_pdf(startup_id: int, lang: str) -> tuple[bytes, str]:
    """The progress report of one startup (small: rendered on request); bytes and file name.
    The figures are read in one short transaction, the PDF rendered after it."""
    with force_locale(lang):
        report, center = run(lambda: (startup_values(startup_id), _center_of(startup_id)))
        title = _("Progress report: %(name)s", name=report.name)
        pdf = render_template_pdf("report_startup.html", report=report, **page_frame(center, title))
        stem = _("progress-report")
    return pdf, f"{stem}-{startup_id}.pdf"


def _center_of(startup_id: int) -> str:
    from incubator.mentoring.models import MentoredStartup

    mentored = db.session.get(MentoredStartup, startup_id)
    if mentored is not None:
        center = db.session.get(Center, mentored.center_id)
        if center is not None:
            return center.name
    return _("Innovation centers of Bình Dương")


# ------------------------------------------------------------------ center


@dataclass
class CenterValues:
    report: data.CenterReport
    frame: dict
    name: str


def center_values(center_id: int, first: date, last: date, lang: str) -> CenterValues:
    """What the center report prints (read in one short transaction; rendered after it)."""
    with force_locale(lang):
        center = db.session.get(Center, center_id)
        report = data.center_report(center, first, last)
        title = _("Center report %(period)s", period=report.period)
        stem = _("center-report")
        return CenterValues(
            report,
            page_frame(report.center, title),
            f"{stem}-{center.code}-{first:%Y%m%d}-{last:%Y%m%d}.pdf",
        )


def render_center(values: CenterValues, lang: str, archival: bool = False) -> bytes:
    with force_locale(lang):
        return render_template_pdf(
            "report_center.html",
            report=values.report,
            pdf_variant=PDF_A if archival else None,
            **values.frame,
        )


def center_pdf(
    center_id: int, first: date, last: date, lang: str, archival: bool = False
) -> tuple[bytes, str]:
    values = run(center_values, center_id, first, last, lang)
    return render_center(values, lang, archival), values.name


# ------------------------------------------------------------------ cohort

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def worker_pool(processes: int) -> ProcessPoolExecutor:
    """This process's pool of rendering processes (spawned: no fork of a threaded process);
    kept warm between reports."""
    global _pool, _pool_size
    if _pool is None or _pool_size != processes:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
        _pool_size = processes
    return _pool


def warm_pool(processes: int) -> None:
    """Each worker imports WeasyPrint and loads the fonts once (a server does it at its first
    report; the benchmark before the clock starts)."""
    pool = worker_pool(processes)
    html = '<link rel="stylesheet" href="css/pdf.css"><p>Trang</p>'
    with tempfile.TemporaryDirectory() as work:
        paths = [os.path.join(work, f"{n}.pdf") for n in range(2 * processes)]
        for future in [pool.submit(render_pdf_file, html, path) for path in paths]:
            future.result()


def shutdown_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def die_with_parent() -> None:
    """In a rendering process: end when the process that started it ends, even by `kill -9`
    (Linux's PR_SET_PDEATHSIG; elsewhere nothing happens)."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent was already gone
        os._exit(1)


@contextlib.contextmanager
def _rendering_pool(processes: int) -> Iterator[ProcessPoolExecutor | None]:
    """The processes of one report: the warm pool when one was started (the benchmark), else
    a pool of its own, shut down when the report ends, however it ends (an RQ job's process
    exits at once after its job: a pool left running there is orphaned)."""
    if processes <= 1:
        yield None
    elif _pool is not None and _pool_size == processes:
        yield _pool
    else:
        pool = ProcessPoolExecutor(
            processes, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent
        )
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class CohortResult:
    path: str
    pages: int
    name: str


def cohort_pdf(
    program_id: int,
    lang: str,
    out_path: str,
    processes: int | None = None,
    progress: Progress = _quiet,
) -> CohortResult:
    """The cohort report of a program, written to `out_path`.

    Each startup's section is gathered in a short transaction of its own, rendered to HTML
    here and to PDF by a worker process while the next ones are gathered; at most two chunks
    per process wait, so memory does not grow with the cohort."""
    processes = processes or current_app.config["REPORTS_PROCESSES"]
    delay = current_app.config.get("REPORTS_STEP_DELAY", 0)
    with (
        force_locale(lang),
        tempfile.TemporaryDirectory(prefix="cohort-") as work,
        _rendering_pool(processes) as pool,
    ):
        program, ids = run(_cohort_start, program_id)
        title = _("Cohort report: %(program)s", program=program.name)
        frame = page_frame(program.center.name, title, numbered=False)
        total_steps = len(ids) + 3
        progress(1, _("Gathering the figures"))
        pending: dict[int, Future[int] | int] = {}
        rows = []
        names = []

        def render(index: int, html: str) -> None:
            path = os.path.join(work, f"{index:05d}.pdf")
            if pool is None:
                pending[index] = render_pdf_file(html, path)
            else:
                pending[index] = pool.submit(render_pdf_file, html, path)

        def done_count() -> int:
            return sum(1 for p in pending.values() if not isinstance(p, Future) or p.done())

        for number, startup_id in enumerate(ids):
            report, score = run(_startup_with_score, startup_id, program_id)
            rows.append(data.table_row(report, score))
            names.append(report.name)
            html = render_print_template(
                "report_cohort_startup.html", report=report, number=number + 1, **frame
            )
            render(number + 2, html)
            while pool is not None and _in_flight(pending) >= 2 * processes:
                time.sleep(0.02)
            progress(
                min(90, 2 + int(88 * done_count() / total_steps)),
                _(
                    "Startup %(number)d of %(count)d: %(name)s",
                    number=number + 1,
                    count=len(ids),
                    name=report.name,
                ),
            )
            if delay:
                time.sleep(delay)
        summary = run(_cohort_summary, program_id, ids)
        summary.table = rows
        render(
            1,
            render_print_template("report_cohort_summary.html", summary=summary, **frame),
        )
        while _in_flight(pending):
            progress(
                min(90, 2 + int(88 * done_count() / total_steps)),
                _("Laying out the pages"),
            )
            time.sleep(0.05)
        counts = {i: (p.result() if isinstance(p, Future) else p) for i, p in pending.items()}
        progress(92, _("Table of contents"))
        entries = [(_("Cohort summary"), 1)] + [(name, i + 2) for i, name in enumerate(names)]
        cover_path = os.path.join(work, "00000.pdf")
        guess = 1 + math.ceil(len(entries) / TOC_LINES_PER_PAGE)
        for _attempt in range(3):  # the contents' own length decides where the rest starts
            html = _cover_html(summary, entries, counts, guess, frame)
            if pool is None:
                pages = render_pdf_file(html, cover_path)
            else:  # its layout grows with the cohort: keep it out of the main process
                pages = pool.submit(render_pdf_file, html, cover_path).result()
            if pages == guess:
                break
            guess = pages
        counts[0] = pages
        progress(94, _("Merging the pages"))
        chunks = [(os.path.join(work, f"{i:05d}.pdf"), counts[i]) for i in sorted(counts)]
        total = sum(counts.values())
        numbering = [
            (first, last, total, _("Page"), os.path.join(work, f"numbers-{first}.pdf"))
            for first, last in numbering_ranges(total)
        ]
        if pool is None:
            numbers = [number_pages_file(*job) for job in numbering]
        else:
            numbers = [f.result() for f in [pool.submit(number_pages_file, *j) for j in numbering]]
        merge_chunks(
            chunks,
            out_path,
            _("Page"),
            outline=[(name, index) for name, index in entries],
            title=title,
            numbers=numbers,
        )
        progress(100, _("Done"))
        stem = _("cohort-report")
        name = f"{stem}-{program_id}.pdf"
    return CohortResult(out_path, total, name)


def _in_flight(pending: dict[int, Future[int] | int]) -> int:
    return sum(1 for p in pending.values() if isinstance(p, Future) and not p.done())


def _cohort_start(program_id: int) -> tuple[Program, list[int]]:
    program = db.session.get(Program, program_id)
    return program, data.cohort_startup_ids(program)


def _startup_with_score(startup_id: int, program_id: int) -> tuple[data.StartupReport, str]:
    from sqlalchemy import select

    from incubator.applications.models import Application

    report = data.startup_report(db.session.get(Startup, startup_id))
    mean = db.session.scalar(
        select(Application.score_mean).where(
            Application.startup_id == startup_id, Application.program_id == program_id
        )
    )
    return report, "–" if mean is None else data.format_number(mean, 1)


def _cohort_summary(program_id: int, ids: list[int]) -> data.CohortSummary:
    return data.cohort_summary(db.session.get(Program, program_id), ids)


def _cover_html(
    summary: data.CohortSummary,
    entries: list[tuple[str, int]],
    counts: dict[int, int],
    cover_pages: int,
    frame: dict,
) -> str:
    starts = {}
    page = cover_pages + 1
    for index in sorted(i for i in counts if i > 0):
        starts[index] = page
        page += counts[index]
    toc = [(label, f"{CHUNK_LINK}{index}", starts[index]) for label, index in entries]
    return render_print_template("report_cohort_cover.html", summary=summary, toc=toc, **frame)


def report_key(file_name: str) -> str:
    """The storage key of a report job's file."""
    return f"reports/{file_name}"
