"""Demo days: planning and the running order, judges, scoring, results, the decisions that
follow (through the stage machine) and the certificates of completion."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from incubator import audit
from incubator.accounts import services as accounts
from incubator.accounts.models import Role, User
from incubator.applications import services as applications
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Stage
from incubator.centers.models import Center
from incubator.db import add_unique, db, utcnow
from incubator.demodays import scoring
from incubator.demodays.models import (
    MAX_SCORE,
    Certificate,
    DemoCriterion,
    DemoDay,
    DemoJudge,
    DemoScore,
    DemoSlot,
    JudgeSheet,
    Status,
)
from incubator.errors import DomainError, NotFound
from incubator.i18n import current_language, format_time, to_local
from incubator.mail import queue_email
from incubator.programs.models import Program

COMMENT_MAX = 3000
LIST_LIMIT = 50

# ------------------------------------------------------------------ access


def may_manage(actor: Any, demo_day: DemoDay) -> bool:
    return actor.is_authenticated and actor.manages(demo_day.center_id)


def is_judge(actor: Any, demo_day: DemoDay) -> bool:
    if not actor.is_authenticated or not actor.has_role(Role.JUDGE):
        return False
    return db.session.get(DemoJudge, (demo_day.id, actor.id)) is not None


def _get(demo_day_id: int) -> DemoDay:
    demo_day = db.session.get(DemoDay, demo_day_id)
    if demo_day is None:
        raise NotFound("demo day")
    return demo_day


def managed_demo_day(actor: User, demo_day_id: int) -> DemoDay:
    demo_day = _get(demo_day_id)
    if not may_manage(actor, demo_day):
        raise NotFound("demo day")
    return demo_day


def judged_demo_day(actor: User, demo_day_id: int) -> DemoDay:
    """A demo day the actor was invited to judge."""
    demo_day = _get(demo_day_id)
    if not is_judge(actor, demo_day):
        raise NotFound("demo day")
    return demo_day


def public_demo_day(demo_day_id: int) -> DemoDay:
    """A demo day past its planning, for its public schedule (startup names and sectors
    only): one still being planned has no public page."""
    demo_day = _get(demo_day_id)
    if not demo_day.public:
        raise NotFound("demo day")
    return demo_day


def slot_of(demo_day: DemoDay, slot_id: Any) -> DemoSlot:
    slot = next((s for s in demo_day.slots if s.id == slot_id), None)
    if slot is None:
        raise NotFound("slot")
    return slot


def pitch_of(demo_day: DemoDay, slot_id: Any) -> DemoSlot:
    slot = slot_of(demo_day, slot_id)
    if slot.is_break:
        raise NotFound("pitch")
    return slot


def criterion_of(demo_day: DemoDay, criterion_id: Any) -> DemoCriterion:
    criterion = next((c for c in demo_day.criteria if c.id == criterion_id), None)
    if criterion is None:
        raise NotFound("criterion")
    return criterion


def judge_of(demo_day: DemoDay, user_id: int) -> User:
    judge = db.session.get(DemoJudge, (demo_day.id, user_id))
    if judge is None:
        raise NotFound("judge")
    return judge.user


# ------------------------------------------------------------------ lists


def center_demo_days_query(center_id: int | None) -> Select[Any]:
    statement = select(DemoDay)
    if center_id is not None:
        statement = statement.where(DemoDay.center_id == center_id)
    return statement


def judged_demo_days(actor: User) -> list[DemoDay]:
    """The demo days the judge was invited to, the latest first."""
    return list(
        db.session.scalars(
            select(DemoDay)
            .join(DemoJudge, DemoJudge.demo_day_id == DemoDay.id)
            .where(DemoJudge.user_id == actor.id)
            .order_by(DemoDay.starts_at.desc())
            .limit(LIST_LIMIT)
        )
    )


def manageable_programs(actor: User) -> list[Program]:
    statement = select(Program).order_by(Program.opens_at.desc())
    if not actor.is_admin:
        statement = statement.where(Program.center_id == actor.managed_center_id)
    return list(db.session.scalars(statement.limit(200)))


def judges_of(demo_day: DemoDay) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(DemoJudge, DemoJudge.user_id == User.id)
            .where(DemoJudge.demo_day_id == demo_day.id)
            .order_by(User.name)
        )
    )


# ------------------------------------------------------------- planning


@dataclass
class DemoDayData:
    program_id: int
    name_vi: str
    name_en: str
    starts_at: datetime
    venue: str
    pitch_minutes: int
    qa_minutes: int


def _require_manager(actor: User, demo_day: DemoDay) -> None:
    if not may_manage(actor, demo_day):
        raise NotFound("demo day")


def _require_planning(demo_day: DemoDay) -> None:
    if demo_day.status is not Status.PLANNING:
        raise DomainError(_("Judging has started: the rubric can no longer change."))


def _require_not_published(demo_day: DemoDay) -> None:
    if demo_day.status is Status.PUBLISHED:
        raise DomainError(_("The results are published: nothing can change any more."))


def create_demo_day(actor: User, data: DemoDayData) -> DemoDay:
    """A new demo day for a program the actor manages: the program's rubric is copied as its
    judging rubric, and its startups in stage `demo_day` become its pitches."""
    program = db.session.get(Program, data.program_id)
    if program is None or not actor.manages(program.center_id):
        raise DomainError(_("Choose a program of your center."), field="program_id")
    demo_day = DemoDay(program=program, center_id=program.center_id, created_by_id=actor.id)
    _apply(demo_day, data)
    for position, criterion in enumerate(program.criteria):
        demo_day.criteria.append(
            DemoCriterion(
                position=position,
                name_vi=criterion.name_vi,
                name_en=criterion.name_en,
                weight=min(max(criterion.weight, 1), 100),
                max_score=min(max(criterion.max_score, 1), MAX_SCORE),
            )
        )
    db.session.add(demo_day)
    db.session.flush()
    ready = db.session.scalars(
        select(Application)
        .where(Application.program_id == program.id, Application.stage == Stage.DEMO_DAY)
        .order_by(Application.id)
    )
    for position, application in enumerate(ready):
        db.session.add(
            DemoSlot(demo_day_id=demo_day.id, application_id=application.id, position=position)
        )
    db.session.flush()
    audit.record(actor, "demo_day.created", demo_day, program=program.id)
    return demo_day


def _apply(demo_day: DemoDay, data: DemoDayData) -> None:
    demo_day.name_vi = data.name_vi.strip()
    demo_day.name_en = data.name_en.strip()
    demo_day.starts_at = data.starts_at
    demo_day.venue = data.venue.strip()
    demo_day.pitch_minutes = data.pitch_minutes
    demo_day.qa_minutes = data.qa_minutes
    demo_day.updated_at = utcnow()


def update_demo_day(actor: User, demo_day: DemoDay, data: DemoDayData) -> DemoDay:
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    _apply(demo_day, data)
    audit.record(actor, "demo_day.updated", demo_day)
    return demo_day


def _added(demo_day: DemoDay, row: Any, relation: str) -> Any:
    """`row` inserted; the demo day's `relation` reads it from now on."""
    db.session.add(row)
    db.session.flush()
    db.session.expire(demo_day, [relation])
    return row


def add_criterion(
    actor: User, demo_day: DemoDay, name_vi: str, name_en: str, weight: int, max_score: int
) -> DemoCriterion:
    _require_manager(actor, demo_day)
    _require_planning(demo_day)
    criterion = DemoCriterion(
        demo_day_id=demo_day.id,
        position=max((c.position for c in demo_day.criteria), default=-1) + 1,
        name_vi=name_vi.strip(),
        name_en=name_en.strip(),
        weight=weight,
        max_score=max_score,
    )
    return _added(demo_day, criterion, "criteria")


def remove_criterion(actor: User, demo_day: DemoDay, criterion: DemoCriterion) -> None:
    _require_manager(actor, demo_day)
    _require_planning(demo_day)
    if len(demo_day.criteria) <= 1:
        raise DomainError(_("A demo day needs at least one criterion."))
    db.session.delete(criterion)
    db.session.flush()
    db.session.expire(demo_day, ["criteria"])


# ------------------------------------------------------------- schedule


@dataclass
class ScheduleRow:
    slot: DemoSlot
    starts_at: datetime
    ends_at: datetime

    @property
    def hours(self) -> str:
        return f"{format_time(self.starts_at)}–{format_time(self.ends_at)}"


def schedule(demo_day: DemoDay) -> list[ScheduleRow]:
    """The running order with each slot's start and end, from the order and the lengths."""
    rows = []
    moment = demo_day.starts_at
    for slot in demo_day.slots:
        minutes = slot.break_minutes if slot.is_break else demo_day.slot_minutes
        end = moment + timedelta(minutes=minutes or 0)
        rows.append(ScheduleRow(slot, moment, end))
        moment = end
    return rows


def move_slot(actor: User, demo_day: DemoDay, slot: DemoSlot, position: int, up: bool) -> None:
    """Swap the slot with its neighbour above (or below). `position` is where the page showed
    it: when the order changed meanwhile (the same click sent twice), nothing moves."""
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    _lock(demo_day)
    db.session.refresh(slot)
    if slot.position != position:
        raise DomainError(_("The order changed meanwhile; please check it again."))
    ordered = sorted(demo_day.slots, key=lambda s: (s.position, s.id))
    index = next(i for i, s in enumerate(ordered) if s.id == slot.id)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(ordered):
        raise DomainError(_("This slot cannot move further."))
    ordered[index], ordered[other_index] = ordered[other_index], ordered[index]
    for number, item in enumerate(ordered):
        item.position = number
    db.session.flush()
    db.session.expire(demo_day, ["slots"])


def reorder(actor: User, demo_day: DemoDay, slot_ids: list[int]) -> None:
    """The whole running order at once (dragged on the page): every slot, each once."""
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    _lock(demo_day)
    db.session.expire(demo_day, ["slots"])
    current = {slot.id: slot for slot in demo_day.slots}
    if len(slot_ids) != len(current) or set(slot_ids) != set(current):
        raise DomainError(_("The order changed meanwhile; please check it again."))
    for position, slot_id in enumerate(slot_ids):
        current[slot_id].position = position
    db.session.flush()
    db.session.expire(demo_day, ["slots"])


def add_break(actor: User, demo_day: DemoDay, minutes: int, label: str) -> DemoSlot:
    """A break at the end of the running order (then moved where it belongs)."""
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    slot = DemoSlot(
        demo_day_id=demo_day.id,
        position=max((s.position for s in demo_day.slots), default=-1) + 1,
        break_minutes=minutes,
        break_label=label.strip(),
    )
    return _added(demo_day, slot, "slots")


def remove_break(actor: User, demo_day: DemoDay, slot: DemoSlot) -> None:
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    if not slot.is_break:
        raise DomainError(_("Only breaks can be removed from the running order."))
    db.session.delete(slot)
    db.session.flush()
    db.session.expire(demo_day, ["slots"])


def set_current(actor: User, demo_day: DemoDay, slot: DemoSlot | None) -> None:
    """The pitch on stage now ("now pitching"), or none."""
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    demo_day.current_slot_id = slot.id if slot is not None else None
    demo_day.updated_at = utcnow()


def next_pitch(demo_day: DemoDay) -> DemoSlot | None:
    """The pitch after the current one (the first when none is on stage)."""
    pitches = demo_day.pitches
    if demo_day.current_slot_id is None:
        return pitches[0] if pitches else None
    ids = [p.id for p in pitches]
    if demo_day.current_slot_id not in ids:
        return pitches[0] if pitches else None
    index = ids.index(demo_day.current_slot_id)
    return pitches[index + 1] if index + 1 < len(pitches) else None


# --------------------------------------------------------------- judges


def invite_judge(actor: User, demo_day: DemoDay, email: str, name: str) -> User:
    """Invite a judge: a user with the judge role, or a new person by email, who gets an
    account with the judge role through the invitation flow."""
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    email = accounts.normalise_email(email)
    user = accounts.find_user_by_email(email)
    if user is None:
        if not name.strip():
            raise DomainError(_("Give the new judge's name."), field="name")
        user = accounts.invited_judge(email, name.strip())
    elif not user.has_role(Role.JUDGE):
        raise DomainError(
            _(
                "%(name)s has no judge role. An administrator can give it on the users page.",
                name=user.name,
            ),
            field="email",
        )
    else:
        queue_email(user, "demo_day_judge", demo_day=demo_day)
    add_unique(
        DemoJudge(demo_day_id=demo_day.id, user_id=user.id),
        DomainError(_("%(name)s is already invited.", name=user.name), field="email"),
    )
    audit.record(actor, "demo_day.judge_invited", demo_day, judge=user.id)
    return user


def remove_judge(actor: User, demo_day: DemoDay, judge: User) -> None:
    _require_manager(actor, demo_day)
    _require_not_published(demo_day)
    scored = db.session.scalar(
        select(func.count())
        .select_from(DemoScore)
        .join(DemoSlot, DemoSlot.id == DemoScore.slot_id)
        .where(DemoSlot.demo_day_id == demo_day.id, DemoScore.judge_id == judge.id)
    )
    if scored:
        raise DomainError(_("This judge has already scored; they cannot be removed."))
    db.session.execute(
        delete(DemoJudge).where(DemoJudge.demo_day_id == demo_day.id, DemoJudge.user_id == judge.id)
    )
    audit.record(actor, "demo_day.judge_removed", demo_day, judge=judge.id)


# --------------------------------------------------------------- status


class Change:
    OPEN = "open"
    CLOSE = "close"
    PUBLISH = "publish"
    REOPEN = "reopen"


_CHANGES = {
    Change.OPEN: ((Status.PLANNING, Status.CLOSED), Status.JUDGING),
    Change.CLOSE: ((Status.JUDGING,), Status.CLOSED),
    Change.PUBLISH: ((Status.JUDGING, Status.CLOSED), Status.PUBLISHED),
    Change.REOPEN: ((Status.PUBLISHED,), Status.JUDGING),
}


def change_status(actor: User, demo_day: DemoDay, change: str, reason: str = "") -> DemoDay:
    """Open or close judging, publish the results, or reopen them (with a reason, audited).

    A conditional UPDATE on the status read: of two simultaneous requests one changes it,
    the other is refused; a score being saved holds the row, so the publication waits for
    it and every later score sees the new status."""
    _require_manager(actor, demo_day)
    if change not in _CHANGES:
        raise DomainError(_("Not a valid choice."))
    sources, target = _CHANGES[change]
    reason = reason.strip()
    if change == Change.REOPEN and not reason:
        raise DomainError(_("Please give a reason."), field="reason")
    if change == Change.OPEN and not demo_day.criteria:
        raise DomainError(_("A demo day needs at least one criterion."))
    # first take the row on the condition of its status (waiting for the scores being
    # saved), then stamp the change: no score is saved after the time published_at says
    taken = db.session.execute(
        update(DemoDay)
        .where(DemoDay.id == demo_day.id, DemoDay.status.in_(sources))
        .values(updated_at=DemoDay.updated_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.refresh(demo_day)
        raise DomainError(
            _(
                "This cannot be done now: the demo day is at “%(status)s”.",
                status=demo_day.status.label,
            )
        )
    now = utcnow()
    values: dict[str, Any] = {"status": target, "updated_at": now}
    if target is Status.PUBLISHED:
        values["published_at"] = now
    if change == Change.REOPEN:
        values["published_at"] = None
    db.session.execute(
        update(DemoDay)
        .where(DemoDay.id == demo_day.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        set_committed_value(demo_day, name, value)
    if target is Status.PUBLISHED:
        recompute(demo_day)
    audit.record(actor, f"demo_day.{change}", demo_day, status=target.value, reason=reason)
    return demo_day


def _lock(demo_day: DemoDay) -> None:
    """Hold the demo day's row until the end of the transaction."""
    db.session.execute(
        update(DemoDay)
        .where(DemoDay.id == demo_day.id)
        .values(updated_at=DemoDay.updated_at)
        .execution_options(synchronize_session=False)
    )


def _judging(demo_day: DemoDay, planning: bool = False) -> None:
    """Take the demo day's row on the condition that judging is open (or, with `planning`,
    not yet started): a publication or a closing cannot slip between this check and the
    score written after it."""
    open_states = [Status.JUDGING, Status.PLANNING] if planning else [Status.JUDGING]
    changed = db.session.execute(
        update(DemoDay)
        .where(DemoDay.id == demo_day.id, DemoDay.status.in_(open_states))
        .values(updated_at=DemoDay.updated_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.refresh(demo_day)
        if demo_day.status is Status.PUBLISHED:
            raise DomainError(_("The results are published: scores can no longer change."))
        if demo_day.status is Status.CLOSED:
            raise DomainError(_("Judging is closed: scores can no longer change."))
        raise DomainError(_("Judging has not started yet."))


# -------------------------------------------------------------- scoring


def _require_judge(actor: User, demo_day: DemoDay) -> None:
    if not is_judge(actor, demo_day):
        raise NotFound("demo day")


def _sheet(slot: DemoSlot, judge: User) -> JudgeSheet | None:
    return db.session.scalar(
        select(JudgeSheet).where(JudgeSheet.slot_id == slot.id, JudgeSheet.judge_id == judge.id)
    )


def save_score(
    actor: User, demo_day: DemoDay, slot: DemoSlot, criterion: DemoCriterion, value: int
) -> DemoScore:
    """A judge's score of a pitch on a criterion: written, or corrected, while judging is open.
    The same score sent again (a retry after a lost answer) changes nothing."""
    _require_judge(actor, demo_day)
    if slot.demo_day_id != demo_day.id or slot.is_break or criterion.demo_day_id != demo_day.id:
        raise NotFound("pitch")
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 0 <= value <= criterion.max_score
    ):
        raise DomainError(
            _("A score is a whole number from 0 to %(max)d.", max=criterion.max_score),
            field="value",
        )
    _judging(demo_day)
    sheet = _sheet(slot, actor)
    if sheet is not None and sheet.abstained:
        raise DomainError(_("You abstained on this pitch; withdraw the abstention to score it."))
    now = utcnow()
    score = db.session.scalar(
        select(DemoScore).where(
            DemoScore.slot_id == slot.id,
            DemoScore.judge_id == actor.id,
            DemoScore.criterion_id == criterion.id,
        )
    )
    if score is None:
        score = DemoScore(
            slot_id=slot.id,
            judge_id=actor.id,
            criterion_id=criterion.id,
            value=value,
            updated_at=now,
        )
        if not add_unique(score):
            # a simultaneous copy of this request inserted it first: correct that row
            score = db.session.scalar(
                select(DemoScore).where(
                    DemoScore.slot_id == slot.id,
                    DemoScore.judge_id == actor.id,
                    DemoScore.criterion_id == criterion.id,
                )
            )
            score.value = value
    elif score.value != value:
        score.value = value
        score.updated_at = now
    db.session.flush()
    recompute(demo_day)
    return score


def save_sheet(
    actor: User,
    demo_day: DemoDay,
    slot: DemoSlot,
    *,
    comment: str | None = None,
    abstained: bool | None = None,
) -> JudgeSheet:
    """A judge's comment on a pitch, or their abstention (a conflict of interest)."""
    _require_judge(actor, demo_day)
    if slot.demo_day_id != demo_day.id or slot.is_break:
        raise NotFound("pitch")
    if comment is not None and len(comment) > COMMENT_MAX:
        raise DomainError(_("At most %(count)d characters.", count=COMMENT_MAX), field="comment")
    # a conflict of interest may be declared before judging starts; a comment needs judging
    _judging(demo_day, planning=comment is None)
    sheet = _sheet(slot, actor)
    if sheet is None:
        sheet = JudgeSheet(slot_id=slot.id, judge_id=actor.id)
        if not add_unique(sheet):
            sheet = _sheet(slot, actor)
    if comment is not None:
        sheet.comment = comment.strip()
    if abstained is not None:
        sheet.abstained = abstained
    sheet.updated_at = utcnow()
    db.session.flush()
    recompute(demo_day)
    return sheet


@dataclass
class JudgePitch:
    """What a judge sees of one pitch: their own scores and comment, nothing of others'."""

    slot: DemoSlot
    scores: dict[int, int]
    comment: str
    abstained: bool

    @property
    def complete(self) -> bool:
        return self.abstained or len(self.scores) == len(self.slot.demo_day.criteria)


def judge_pitches(actor: User, demo_day: DemoDay) -> list[JudgePitch]:
    _require_judge(actor, demo_day)
    scores: dict[int, dict[int, int]] = {}
    for score in db.session.scalars(
        select(DemoScore)
        .join(DemoSlot, DemoSlot.id == DemoScore.slot_id)
        .where(DemoSlot.demo_day_id == demo_day.id, DemoScore.judge_id == actor.id)
    ):
        scores.setdefault(score.slot_id, {})[score.criterion_id] = score.value
    sheets = {
        sheet.slot_id: sheet
        for sheet in db.session.scalars(
            select(JudgeSheet)
            .join(DemoSlot, DemoSlot.id == JudgeSheet.slot_id)
            .where(DemoSlot.demo_day_id == demo_day.id, JudgeSheet.judge_id == actor.id)
        )
    }
    return [
        JudgePitch(
            slot,
            scores.get(slot.id, {}),
            sheets[slot.id].comment if slot.id in sheets else "",
            sheets[slot.id].abstained if slot.id in sheets else False,
        )
        for slot in demo_day.pitches
    ]


def declare_conflict(actor: User, demo_day: DemoDay, slot: DemoSlot, conflict: bool) -> JudgeSheet:
    """A conflict of interest declared (or withdrawn) before or during judging: abstention."""
    return save_sheet(actor, demo_day, slot, abstained=conflict)


# -------------------------------------------------------------- results


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
    demo_day = _get(demo_day_id)
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
    demo_day = _get(demo_day_id)
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


# ------------------------------------------------------------ decisions


class Decision:
    GRADUATE = "graduate"
    NOT_READY = "not_ready"


def decide(actor: User, demo_day: DemoDay, slot_ids: list[int], decision: str) -> int:
    """Graduate the chosen pitches' startups, or send them back to incubation ("not ready"),
    through the stage machine; only after publication. Those no longer at the stage
    `demo_day` are left as they are. The number of startups moved."""
    _require_manager(actor, demo_day)
    if not demo_day.published:
        raise DomainError(_("Publish the results before deciding who graduates."))
    target = {Decision.GRADUATE: Stage.GRADUATED, Decision.NOT_READY: Stage.INCUBATING}.get(
        decision
    )
    if target is None:
        raise DomainError(_("Not a valid choice."))
    if not slot_ids:
        raise DomainError(_("Choose at least one startup."))
    moved = 0
    for slot_id in slot_ids:
        slot = pitch_of(demo_day, slot_id)
        application = slot.application
        db.session.refresh(application)
        if application.stage is not Stage.DEMO_DAY:
            continue
        applications.move(actor, application, target)
        moved += 1
    if not moved:
        raise DomainError(_("These startups were already decided."))
    return moved


# ------------------------------------------------------------ certificates


def _new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def issue_certificate(application: Application, demo_day: DemoDay, on: date) -> Certificate:
    """The certificate of a graduated startup (once per application)."""
    existing = db.session.scalar(
        select(Certificate).where(Certificate.application_id == application.id)
    )
    if existing is not None:
        return existing
    startup = application.startup
    program = application.program
    center = db.session.get(Center, program.center_id)
    certificate = Certificate(
        code=_new_code(),
        application_id=application.id,
        demo_day_id=demo_day.id,
        startup_name=startup.name,
        founders=[m.user.name for m in startup.members],
        program_name_vi=program.name_vi,
        program_name_en=program.name_en,
        center_name=center.name_vi,
        issued_on=on,
    )
    if not add_unique(certificate):
        return db.session.scalar(
            select(Certificate).where(Certificate.application_id == application.id)
        )
    return certificate


def follow_stage(application: Application, *, transition: StageTransition, actor: Any) -> None:
    """signals.stage_changed: a startup selected for demo day becomes a pitch of its program's
    demo days still in planning; one graduating after a published demo day gets its
    certificate; one leaving before any score leaves the running order."""
    if transition.to_stage is Stage.DEMO_DAY:
        for demo_day in db.session.scalars(
            select(DemoDay).where(
                DemoDay.program_id == application.program_id,
                DemoDay.status.in_([Status.PLANNING, Status.JUDGING]),
            )
        ):
            last = db.session.scalar(
                select(func.max(DemoSlot.position)).where(DemoSlot.demo_day_id == demo_day.id)
            )
            add_unique(
                DemoSlot(
                    demo_day_id=demo_day.id,
                    application_id=application.id,
                    position=(last if last is not None else -1) + 1,
                )
            )
            db.session.expire(demo_day, ["slots"])
    elif transition.to_stage is Stage.GRADUATED:
        demo_day = db.session.scalar(
            select(DemoDay)
            .join(DemoSlot, DemoSlot.demo_day_id == DemoDay.id)
            .where(DemoSlot.application_id == application.id, DemoDay.status == Status.PUBLISHED)
            .order_by(DemoDay.starts_at.desc())
            .limit(1)
        )
        if demo_day is not None:
            issue_certificate(application, demo_day, to_local(transition.at).date())
    elif transition.from_stage is Stage.DEMO_DAY and transition.to_stage is not Stage.INCUBATING:
        for slot in db.session.scalars(
            select(DemoSlot)
            .join(DemoDay, DemoDay.id == DemoSlot.demo_day_id)
            .where(DemoSlot.application_id == application.id, DemoDay.status == Status.PLANNING)
        ):
            db.session.delete(slot)


_CODE = re.compile(r"[A-Z0-9]{1,16}")


class CertificateState:
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


def certificate_by_code(code: str) -> Certificate | None:
    code = (code or "").strip().upper()
    if not _CODE.fullmatch(code):
        return None  # not a code we issue (NUL bytes and the like never reach the database)
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def readable_certificate(actor: Any, code: str) -> Certificate:
    """A certificate its startup's members and the center's managers may download."""
    certificate = certificate_by_code(code)
    if certificate is None:
        raise NotFound("certificate")
    application = certificate.application
    if not (application.startup.has_member(actor) or actor.manages(application.program.center_id)):
        raise NotFound("certificate")
    return certificate


def certificate_values(certificate: Certificate, verify_url: str) -> dict[str, Any]:
    """The plain values of the certificate's print template."""
    import segno

    qr = segno.make(verify_url, error="m")
    return {
        "lang": current_language(),
        "title": _("Certificate of completion"),
        "heading": _("Certificate of completion"),
        "certifies": _("is awarded to the startup"),
        "founders_label": _("Founders"),
        "completed": _("for completing the program %(program)s.", program=certificate.program_name),
        "issued_label": _("Issued on"),
        "code_label": _("Verification code"),
        "verify_label": _("Verify at"),
        "code": certificate.code,
        "startup_name": certificate.startup_name,
        "founders": list(certificate.founders),
        "program_name": certificate.program_name,
        "center_name": certificate.center_name,
        "issued_on": certificate.issued_on.strftime("%d/%m/%Y"),
        "verify_url": verify_url,
        "qr_svg": qr.svg_inline(scale=3, dark="#1b1b1b", omitsize=False),
        "revoked": certificate.revoked_at is not None,
    }


def revoke_certificate(actor: User, certificate: Certificate, reason: str) -> Certificate:
    if not actor.manages(certificate.application.program.center_id):
        raise NotFound("certificate")
    if certificate.revoked_at is not None:
        raise DomainError(_("This certificate is already revoked."))
    if not reason.strip():
        raise DomainError(_("Please give a reason."), field="reason")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason.strip()
    audit.record(actor, "certificate.revoked", certificate, reason=reason.strip())
    return certificate


def certificates_of(demo_day: DemoDay) -> dict[int, Certificate]:
    """The certificates of a demo day, by application id."""
    return {
        c.application_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.demo_day_id == demo_day.id)
        )
    }


# ------------------------------------------------------------- panels


def upcoming_for_judge(actor: User) -> list[DemoDay]:
    return [d for d in judged_demo_days(actor) if d.status is not Status.PUBLISHED][:5]


def upcoming_for_center(center_id: int) -> list[DemoDay]:
    return list(
        db.session.scalars(
            select(DemoDay)
            .where(DemoDay.center_id == center_id, DemoDay.status != Status.PUBLISHED)
            .order_by(DemoDay.starts_at)
            .limit(5)
        )
    )
