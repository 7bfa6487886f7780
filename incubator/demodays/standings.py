"""Demo days: the results stored on each pitch (recomputed in the transaction that changes a
score), the leaderboard, and the published results as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from incubator.applications.models import Application
from incubator.db import db
from incubator.demodays import scoring
from incubator.demodays.access import (
    demo_day_by_id,
    judges_of,
    may_manage,
)
from incubator.demodays.models import (
    Certificate,
    DemoDay,
    DemoScore,
    DemoSlot,
    JudgeSheet,
    Status,
)
from incubator.errors import NotFound


def recompute(demo_day: DemoDay) -> None:
    """Store each pitch's results (scoring.results) on its slot; runs in the transaction that
    changed a score, an abstention or the status."""
    criteria = [scoring.Criterion(c.id, c.weight, c.max_score) for c in demo_day.criteria]
    pitch_ids = [slot.id for slot in demo_day.pitches]
    values: dict[tuple[int, int], dict[int, int]] = {}
    for score in db.session.scalars(select(DemoScore).where(DemoScore.slot_id.in_(pitch_ids))):
        values.setdefault((score.judge_id, score.slot_id), {})[score.criterion_id] = score.value
    abstained = {
        (sheet.judge_id, sheet.slot_id)
        for sheet in db.session.scalars(
            select(JudgeSheet).where(
                JudgeSheet.slot_id.in_(pitch_ids), JudgeSheet.abstained.is_(True)
            )
        )
    }
    sheets = {}
    for key, judge_values in values.items():
        if key in abstained:
            continue
        total = scoring.sheet_score(criteria, judge_values)
        if total is not None:
            sheets[key] = total
    results = scoring.results(sheets, pitch_ids)
    for slot in demo_day.pitches:
        result = results[slot.id]
        slot.raw_mean = None if result.raw_mean is None else round(result.raw_mean, 4)
        slot.normalized = None if result.normalized is None else round(result.normalized, 4)
        slot.judges_count = result.judges
        slot.abstentions = sum(1 for judge, pitch in abstained if pitch == slot.id)
    db.session.flush()


def leaderboard(demo_day: DemoDay, normalized: bool = False) -> list[DemoSlot]:
    """The pitches by their stored results, the best first (unscored ones last)."""
    column = DemoSlot.normalized if normalized else DemoSlot.raw_mean
    return list(
        db.session.scalars(
            select(DemoSlot)
            .where(DemoSlot.demo_day_id == demo_day.id, DemoSlot.application_id.is_not(None))
            .order_by(column.is_(None), column.desc(), DemoSlot.position)
        )
    )


@dataclass(frozen=True)
class CriterionResult:
    name: str
    weight: int
    max_score: int
    mean: float | None


@dataclass(frozen=True)
class PitchOutcome:
    rank: int
    startup_name: str
    sector: str
    raw_mean: float | None
    normalized: float | None
    judges: int
    abstentions: int
    stage: str
    criteria: list[CriterionResult] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    startup_id: int | None = None


@dataclass(frozen=True)
class DemoDayResults:
    """A published demo day's results as plain values (for reports, the API, the PDFs)."""

    id: int
    name: str
    program_name: str
    center_name: str
    starts_at: datetime
    venue: str
    published_at: datetime | None
    judges: int
    pitches: list[PitchOutcome]


def _criterion_means(demo_day: DemoDay, slot: DemoSlot) -> list[CriterionResult]:
    counted = _counted_judges(slot)
    means = dict(
        db.session.execute(
            select(DemoScore.criterion_id, func.avg(DemoScore.value))
            .where(DemoScore.slot_id == slot.id, DemoScore.judge_id.in_(counted))
            .group_by(DemoScore.criterion_id)
        ).all()
    )
    return [
        CriterionResult(
            c.name,
            c.weight,
            c.max_score,
            None if means.get(c.id) is None else round(float(means[c.id]), 2),
        )
        for c in demo_day.criteria
    ]


def _counted_judges(slot: DemoSlot) -> list[int]:
    abstained = select(JudgeSheet.judge_id).where(
        JudgeSheet.slot_id == slot.id, JudgeSheet.abstained.is_(True)
    )
    return list(
        db.session.scalars(
            select(DemoScore.judge_id)
            .where(DemoScore.slot_id == slot.id, DemoScore.judge_id.not_in(abstained))
            .distinct()
        )
    )


def _comments(slot: DemoSlot) -> list[str]:
    return list(
        db.session.scalars(
            select(JudgeSheet.comment)
            .where(JudgeSheet.slot_id == slot.id, JudgeSheet.comment != "")
            .order_by(JudgeSheet.id)
        )
    )


def _outcome(demo_day: DemoDay, slot: DemoSlot, rank: int) -> PitchOutcome:
    application = slot.application
    return PitchOutcome(
        rank=rank,
        startup_name=application.startup.name,
        sector=application.startup.sector.label,
        raw_mean=slot.raw_mean,
        normalized=slot.normalized,
        judges=slot.judges_count,
        abstentions=slot.abstentions,
        stage=application.stage.value,
        criteria=_criterion_means(demo_day, slot),
        comments=_comments(slot),
        startup_id=application.startup_id,
    )


def outcome_of(demo_day: DemoDay, slot: DemoSlot, rank: int) -> PitchOutcome:
    """A pitch's outcome as plain values (only for a published demo day's stored results)."""
    return _outcome(demo_day, slot, rank)


def published_results(demo_day_id: int) -> DemoDayResults:
    """The published results of a demo day, ranked by the normalized score, as plain values;
    NotFound while they are not published."""
    demo_day = demo_day_by_id(demo_day_id)
    if not demo_day.published:
        raise NotFound("results")
    ranked = leaderboard(demo_day, normalized=True)
    return DemoDayResults(
        id=demo_day.id,
        name=demo_day.name,
        program_name=demo_day.program.name,
        center_name=demo_day.program.center.name,
        starts_at=demo_day.starts_at,
        venue=demo_day.venue,
        published_at=demo_day.published_at,
        judges=len(judges_of(demo_day)),
        pitches=[_outcome(demo_day, slot, rank) for rank, slot in enumerate(ranked, start=1)],
    )


def readable_results(actor: Any, demo_day_id: int) -> DemoDayResults:
    """The published results as the web shows them: every pitch to the center's managers
    (and admins), a founder's own pitches to the members of a startup that pitched;
    NotFound for anyone else and while they are not published."""
    demo_day = demo_day_by_id(demo_day_id)
    if not demo_day.published or not actor.is_authenticated:
        raise NotFound("results")
    results = published_results(demo_day.id)
    if may_manage(actor, demo_day):
        return results
    members_of = {
        slot.application.startup_id
        for slot in leaderboard(demo_day, normalized=True)
        if slot.application.startup.has_member(actor)
    }
    own = [outcome for outcome in results.pitches if outcome.startup_id in members_of]
    if not own:
        raise NotFound("results")
    return replace(results, pitches=own)


@dataclass(frozen=True)
class FounderResult:
    demo_day: DemoDay
    outcome: PitchOutcome
    certificate: Certificate | None


def founder_results(actor: Any, startup: Any) -> list[FounderResult]:
    """A startup's published demo-day results, for its members (and its center's managers)."""
    if not actor.is_authenticated:
        return []
    slots = db.session.scalars(
        select(DemoSlot)
        .join(DemoDay, DemoDay.id == DemoSlot.demo_day_id)
        .join(Application, Application.id == DemoSlot.application_id)
        .where(Application.startup_id == startup.id, DemoDay.status == Status.PUBLISHED)
        .order_by(DemoDay.starts_at.desc())
        .limit(10)
    ).all()
    shown = []
    for slot in slots:
        demo_day = slot.demo_day
        if not (startup.has_member(actor) or may_manage(actor, demo_day)):
            continue
        ranked = [s.id for s in leaderboard(demo_day, normalized=True)]
        certificate = db.session.scalar(
            select(Certificate).where(Certificate.application_id == slot.application_id)
        )
        shown.append(
            FounderResult(
                demo_day, _outcome(demo_day, slot, ranked.index(slot.id) + 1), certificate
            )
        )
    return shown
