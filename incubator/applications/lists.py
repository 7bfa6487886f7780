"""The founder's applications and the manager's ranking of a program's applications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from incubator.applications import answers, ranking
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.forms import parse_date, parse_vnd
from incubator.i18n import format_date, format_datetime, format_number
from incubator.lists import Column, Filter, ListSpec
from incubator.questions.models import YES_NO_LABELS, Kind, Question
from incubator.questions.services import CallForm
from incubator.startups.models import Sector, Startup


def score_from_text(text: str) -> float | None:
    """A minimum score typed in a filter ("72,5" or "72.5"), None if it is no number."""
    try:
        return float(text.replace(",", ".")) if text else None
    except ValueError:
        return None


MINE = ListSpec(
    name="applications",
    columns=(
        Column(
            "startup",
            _l("Startup"),
            value=lambda a: a.startup.name,
            sort=Startup.name,
            priority="title",
        ),
        Column("program", _l("Program"), csv=lambda a: a.program.name, cell="program"),
        Column("center", _l("Center"), value=lambda a: a.program.center.code, only="csv"),
        Column(
            "stage",
            _l("Stage"),
            csv=lambda a: a.stage.label,
            cell="stage",
            sort=Application.stage,
        ),
        Column("deadline", _l("Deadline"), cell="deadline", only="html", priority="hide-sm"),
        Column(
            "updated",
            _l("Last saved"),
            value=lambda a: format_datetime(a.updated_at),
            sort=Application.updated_at,
            only="html",
            priority="hide-sm",
        ),
        Column(
            "submitted",
            _l("Submitted"),
            value=lambda a: format_datetime(a.submitted_at),
            only="csv",
        ),
    ),
    filters=(
        Filter(
            "stage",
            _l("Stage"),
            choices=Stage,
            all_label=_l("All stages"),
            apply=ranking.applications_in_stage,
        ),
    ),
    default_sort="-updated",
    tiebreak=Application.id,
    empty=_l("No application yet."),
    cells="applications/_macros.html",
)


def _score(value: float | None) -> str:
    return format_number(value) if value is not None else ""


# Rows of (Application, rank): ranking.program_applications_query
RANKING = ListSpec(
    name="ranking",
    columns=(
        Column(
            "rank", _l("Rank"), value=lambda r: r[1] or "–", csv=lambda r: r[1] or "", css="num"
        ),
        Column(
            "startup",
            _l("Startup"),
            value=lambda r: r[0].startup.name,
            sort=Startup.name,
            link=lambda r: url_for("applications.manage", application_id=r[0].id),
            priority="title",
        ),
        Column(
            "sector", _l("Sector"), value=lambda r: r[0].startup.sector.label, priority="hide-sm"
        ),
        Column(
            "stage",
            _l("Stage"),
            csv=lambda r: r[0].stage.label,
            cell="ranked_stage",
            sort=Application.stage,
        ),
        Column(
            "score",
            _l("Score"),
            csv_label=_l("Weighted mean"),
            csv=lambda r: _score(r[0].score_mean),
            cell="ranked_score",
            sort=Application.score_mean,
            css="num",
        ),
        Column(
            "reviews",
            _l("Reviews"),
            value=lambda r: r[0].review_count,
            sort=Application.review_count,
            css="num",
        ),
        Column(
            "spread",
            _l("Spread"),
            csv=lambda r: _score(r[0].score_spread),
            cell="ranked_spread",
            css="num",
            priority="hide-sm",
        ),
        Column(
            "submitted",
            _l("Submitted"),
            value=lambda r: format_date(r[0].submitted_at),
            csv=lambda r: format_datetime(r[0].submitted_at),
            sort=Application.submitted_at,
            priority="hide-sm",
        ),
    ),
    filters=(
        Filter("q", _l("Startup name"), apply=ranking.applications_of_startup_named),
        Filter(
            "stage",
            _l("Stage"),
            choices=lambda _actor: [(s.value, s.label) for s in Stage if s is not Stage.DRAFT],
            all_label=_l("All submitted"),
            apply=lambda statement, value: ranking.applications_in_stage(statement, Stage(value)),
        ),
        Filter(
            "sector",
            _l("Sector"),
            choices=Sector,
            all_label=_l("All sectors"),
            apply=ranking.applications_in_sector,
        ),
        Filter(
            "min_score",
            _l("Min. score"),
            parse=score_from_text,
            inputmode="decimal",
            apply=ranking.applications_scored_at_least,
        ),
    ),
    default_sort="-score",
    tiebreak=Application.id,
    empty=_l("No submitted application matches these filters."),
    cells="applications/_macros.html",
)


def _answer_column(question: Question, shown: bool) -> Column:
    def text(row: Any) -> str:
        answer = next((a for a in row[0].answers if a.question_id == question.id), None)
        return answers.answer_text(question, answer)

    return Column(f"q_{question.key}", question.label, value=text, only=None if shown else "csv")


def answer_filter_options(form: CallForm) -> list[tuple[str, str]]:
    """The answers the ranking can filter by: each choice of a choice question, yes or no."""
    pairs = []
    for question in form.questions:
        if question.kind.has_choices:
            pairs += [(f"c{c.id}", f"{question.label}: {c.label}") for c in question.choices]
        elif question.kind is Kind.YES_NO:
            pairs += [
                (f"{value[0]}{question.id}", f"{question.label}: {label}")
                for value, label in YES_NO_LABELS.items()
            ]
    return pairs


def _parsed_or_none(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        try:
            return parse(text.strip())
        except ValueError:
            return None  # like the minimum score: a filter that is no value is ignored

    return read


AT_LEAST: dict[Kind, tuple[Callable[[Any], str], Callable[[str], Any]]] = {
    Kind.NUMBER: (lambda q: _("%(question)s: at least", question=q), score_from_text),
    Kind.MONEY: (lambda q: _("%(question)s: at least (₫)", question=q), _parsed_or_none(parse_vnd)),
    Kind.DATE: (
        lambda q: _("%(question)s: on or after (dd/mm/yyyy)", question=q),
        _parsed_or_none(parse_date),
    ),
}


def _at_least_filter(question: Question) -> Filter:
    """A text box per number, money or date question: answers at least the value typed."""
    label, parse = AT_LEAST[question.kind]
    return Filter(
        f"min_{question.key}",
        label(question.label),
        parse=parse,
        inputmode="numeric" if question.kind is not Kind.NUMBER else "decimal",
        apply=lambda statement, value: ranking.applications_answered_at_least(
            statement, question.id, value
        ),
    )


def ranking_for(form: CallForm, shown: list[str]) -> ListSpec:
    """The ranking of one call: its answers as columns (those in `shown` on the page, every
    question in the CSV), a filter by a choice or a yes/no answer, and one by the least
    value of each number, money or date question."""
    answer_filter = Filter(
        "answer",
        _l("Answer"),
        choices=lambda _actor: answer_filter_options(form),
        all_label=_("Any answer"),
        apply=ranking.applications_with_answer,
    )
    return replace(
        RANKING,
        columns=(
            *RANKING.columns,
            *(_answer_column(q, q.key in shown) for q in form.questions),
        ),
        filters=(
            *RANKING.filters,
            answer_filter,
            *(_at_least_filter(q) for q in form.questions if q.kind in AT_LEAST),
        ),
        keep=("cols",),
    )
