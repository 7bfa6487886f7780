"""Applications: the lists of a program's applications (filters, rank, stored counts per
stage) and its board."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Select,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload, lazyload, selectinload

from incubator.accounts.models import User
from incubator.applications.models import (
    Answer,
    AnswerChoice,
    Application,
    StageCount,
)
from incubator.applications.stages import (
    Stage,
)
from incubator.db import contains_text, db
from incubator.enums import parse_enum
from incubator.programs.models import Program
from incubator.startups.models import Sector, Startup, StartupMember


def founder_applications_query(actor: User) -> Select[Any]:
    return (
        select(Application)
        .join(Startup, Application.startup_id == Startup.id)
        .where(Startup.members.any(StartupMember.user_id == actor.id))
    )


# A row of a list shows the startup and the moves the viewer may make (membership decides):
# load the members, not their accounts nor the stage history.
LIST_LOADING = (
    lazyload(Application.transitions),
    joinedload(Application.startup).selectinload(Startup.members).lazyload(StartupMember.user),
)


def rank_column() -> Any:
    """An application's rank in its program: 1 + the number of applications scored higher.

    Computed per row shown (an index range count on the stored means), so that a page of
    the ranking never reads the whole program; equal means share a rank. None until scored.
    """
    higher = aliased(Application)
    above = (
        select(func.count())
        .where(
            higher.program_id == Application.program_id, higher.score_mean > Application.score_mean
        )
        .correlate(Application)
        .scalar_subquery()
    )
    return case((Application.score_mean.is_(None), None), else_=above + 1).label("rank")


def program_applications_query(
    program: Program,
    stage: str = "",
    sector: str = "",
    search: str = "",
    min_score: float | None = None,
    include_drafts: bool = False,
) -> Select[Any]:
    """Rows of (Application, rank) of the program, filtered."""
    statement = (
        select(Application, rank_column())
        .join(Startup, Application.startup_id == Startup.id)
        .where(Application.program_id == program.id)
        .options(*LIST_LOADING)
    )
    parsed_stage = parse_enum(Stage, stage)
    if parsed_stage is not None and parsed_stage is not Stage.DRAFT:
        statement = applications_in_stage(statement, parsed_stage)
    elif not include_drafts:
        statement = statement.where(Application.stage != Stage.DRAFT)
    if parsed_sector := parse_enum(Sector, sector):
        statement = applications_in_sector(statement, parsed_sector)
    if search:
        statement = applications_of_startup_named(statement, search)
    if min_score is not None:
        statement = applications_scored_at_least(statement, min_score)
    return statement


def applications_in_stage(statement: Select[Any], stage: Stage) -> Select[Any]:
    return statement.where(Application.stage == stage)


def applications_in_sector(statement: Select[Any], sector: Sector) -> Select[Any]:
    """For a statement joined to Startup."""
    return statement.where(Startup.sector == sector)


def applications_of_startup_named(statement: Select[Any], search: str) -> Select[Any]:
    """For a statement joined to Startup: the startup's name contains `search`."""
    return statement.where(contains_text(Startup.name, search))


def applications_with_answer(statement: Select[Any], value: str) -> Select[Any]:
    """The ranking's answer filter: "c<choice id>" a choice made, "y<question id>" or
    "n<question id>" a yes or a no (index scans on answer_choices and answers)."""
    mark, ident = value[:1], int(value[1:])
    if mark == "c":
        return statement.where(
            exists().where(
                AnswerChoice.application_id == Application.id, AnswerChoice.choice_id == ident
            )
        )
    return statement.where(
        exists().where(
            Answer.application_id == Application.id,
            Answer.question_id == ident,
            Answer.value_bool.is_(mark == "y"),
        )
    )


def applications_answered_at_least(
    statement: Select[Any], question_id: int, least: float | date
) -> Select[Any]:
    """The ranking's filter by a number, money or date answer of at least `least`."""
    column = Answer.value_date if isinstance(least, date) else Answer.value_number
    return statement.where(
        exists().where(
            Answer.application_id == Application.id,
            Answer.question_id == question_id,
            column >= least,
        )
    )


def with_answers(statement: Select[Any]) -> Select[Any]:
    """Load the answers of the rows fetched: one query for a page (or the CSV), not one per row."""
    return statement.options(selectinload(Application.answers))


def applications_scored_at_least(statement: Select[Any], min_score: float) -> Select[Any]:
    return statement.where(Application.score_mean >= min_score)


def rank_of(application: Application) -> int | None:
    return db.session.scalar(select(rank_column()).where(Application.id == application.id))


def stage_counts(program: Program) -> dict[Stage, int]:
    """The program's applications per stage (the stored counts: no count of the program)."""
    rows = db.session.execute(
        select(StageCount.stage, StageCount.count).where(StageCount.program_id == program.id)
    )
    counts = dict.fromkeys(Stage, 0)
    counts.update(dict(rows.all()))
    return counts


def recount_stages(program_id: int) -> None:
    """Count the program's applications per stage from scratch into the stored counts: for
    applications inserted in bulk, past the ORM (bench/page_queries.py's seed)."""
    db.session.execute(delete(StageCount).where(StageCount.program_id == program_id))
    db.session.execute(
        insert(StageCount).from_select(
            ["program_id", "stage", "count"],
            select(Application.program_id, Application.stage, func.count())
            .where(Application.program_id == program_id)
            .group_by(Application.program_id, Application.stage),
        )
    )


BOARD_STAGES = [stage for stage in Stage if stage is not Stage.DRAFT]


# the best cards of each column; the column's "show all" link opens its paginated list (a
# column of 50 cards with their move buttons made the board cost ~150 ms of rendering)
BOARD_COLUMN_LIMIT = 12


def board(
    program: Program, sector: str = "", min_score: float | None = None
) -> dict[Stage, dict[str, Any]]:
    """Columns by stage: the count and up to BOARD_COLUMN_LIMIT cards (applications), best
    score first.

    One count query, and one query for the cards: the union of one index range scan with
    LIMIT per column.
    """
    statement = program_applications_query(program, sector=sector, min_score=min_score)
    if parse_enum(Sector, sector) or min_score is not None:  # filtered: count what it shows
        counted = statement.with_only_columns(Application.stage, func.count()).group_by(
            Application.stage
        )
        counts = dict(db.session.execute(counted).all())
    else:
        counts = stage_counts(program)
    best_first = (Application.score_mean.desc().nulls_last(), Application.id)
    per_column = [
        statement.with_only_columns(Application.id)
        .where(Application.stage == stage)
        .order_by(*best_first)
        .limit(BOARD_COLUMN_LIMIT)
        .subquery()
        for stage in BOARD_STAGES
        if counts.get(stage)
    ]
    columns: dict[Stage, dict[str, Any]] = {
        stage: {"count": counts.get(stage, 0), "cards": []} for stage in BOARD_STAGES
    }
    if per_column:
        shown = union_all(*(select(column.c.id) for column in per_column))
        # the cards show no rank: counting the applications above each card would read a
        # good part of the program's index per card
        cards = statement.with_only_columns(Application).options(*LIST_LOADING)
        cards = cards.where(Application.id.in_(shown))
        for application in db.session.scalars(cards.order_by(*best_first)):
            columns[application.stage]["cards"].append(application)
    return columns
