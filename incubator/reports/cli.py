"""`flask --app incubator report startup|cohort|center ...`: the reports from the command line,
with a progress bar on a terminal. The operator may print everything."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

LANG = click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
OUT = click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The PDF file to write.",
)


@click.group("report")
def report() -> None:
    """Print a startup's progress report, a cohort report, a center report or a demo day's
    results as PDF."""


class _Bar:
    """A click progress bar on a terminal; plain lines otherwise."""

    def __init__(self, label: str) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = 0
        self.bar = click.progressbar(length=100, label=label, file=sys.stderr) if self.tty else None

    def __enter__(self) -> _Bar:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __call__(self, percent: int, step: str) -> None:
        if self.bar is not None:
            self.bar.label = step[:40].ljust(40)
            self.bar.update(max(0, percent - self.shown))
        elif percent >= self.shown + 10 or percent == 100:
            click.echo(f"{percent:3d} % {step}", err=True)
        self.shown = max(self.shown, percent)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@report.command("startup")
@click.argument("startup_id", type=int)
@OUT
@LANG
@with_appcontext
def startup(startup_id: int, output: Path, lang: str) -> None:
    """The progress report of STARTUP_ID."""
    from incubator.db import db
    from incubator.reports import render
    from incubator.startups.models import Startup

    if db.session.get(Startup, startup_id) is None:
        raise click.ClickException(f"No startup {startup_id}.")
    with _Bar("startup") as bar:
        bar(10, "rendering")
        pdf, _name = render.startup_pdf(startup_id, lang)
        output.write_bytes(pdf)
        bar(100, "done")
    click.echo(f"Wrote {output} ({len(pdf):,} bytes).")


@report.command("cohort")
@click.argument("program_id", type=int)
@OUT
@LANG
@click.option("--processes", type=int, default=None, help="Rendering processes (default: cores).")
@with_appcontext
def cohort(program_id: int, output: Path, lang: str, processes: int | None) -> None:
    """The cohort report of PROGRAM_ID, rendered in chunks by worker processes."""
    from incubator.db import db
    from incubator.programs.models import Program
    from incubator.reports import render

    if db.session.get(Program, program_id) is None:
        raise click.ClickException(f"No program {program_id}.")
    db.session.close()
    with _Bar("cohort") as bar:
        result = render.cohort_pdf(program_id, lang, str(output), processes, progress=bar)
    click.echo(f"Wrote {output} ({result.pages} pages).")


@report.command("center")
@click.argument("center_code")
@click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", required=True, help="Last day, YYYY-MM-DD.")
@OUT
@LANG
@click.option("--pdfa", is_flag=True, help="PDF/A-3b, for the archives.")
@with_appcontext
def center(center_code: str, first: str, last: str, output: Path, lang: str, pdfa: bool) -> None:
    """The report of CENTER_CODE (BIIC, SMIC) for a period."""
    from incubator.centers.models import Center
    from incubator.db import db
    from incubator.errors import DomainError
    from incubator.reports import render, services

    found = db.session.scalar(select(Center).where(Center.code == center_code.upper()))
    if found is None:
        raise click.ClickException(f"No center {center_code}.")
    try:
        period = services.check_period(_day(first, "--from"), _day(last, "--to"))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    with _Bar("center") as bar:
        bar(10, "gathering")
        pdf, _name = render.center_pdf(found.id, period.first, period.last, lang, pdfa)
        output.write_bytes(pdf)
        bar(100, "done")
    click.echo(f"Wrote {output} ({len(pdf):,} bytes).")


@report.command("demo-day")
@click.argument("demo_day_id", type=int)
@OUT
@LANG
@with_appcontext
def demo_day(demo_day_id: int, output: Path, lang: str) -> None:
    """The published results of DEMO_DAY_ID."""
    from incubator.db import db
    from incubator.demodays import results
    from incubator.demodays.models import DemoDay

    found = db.session.get(DemoDay, demo_day_id)
    if found is None:
        raise click.ClickException(f"No demo day {demo_day_id}.")
    if not found.published:
        raise click.ClickException(f"The results of demo day {demo_day_id} are not published.")
    with _Bar("demo day") as bar:
        bar(10, "rendering")
        pdf, _name = results.results_pdf(demo_day_id, lang)
        output.write_bytes(pdf)
        bar(100, "done")
    click.echo(f"Wrote {output} ({len(pdf):,} bytes).")


def _day(text: str, option: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from error
