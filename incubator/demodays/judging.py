"""Demo days: the judges invited and removed, their scores, comments and abstentions while
judging is open."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from incubator import audit
from incubator.accounts import services as accounts
from incubator.accounts.models import Role, User
from incubator.db import add_unique, db, utcnow
from incubator.demodays.access import (
    is_judge,
    require_manager,
    require_not_published,
)
from incubator.demodays.models import (
    DemoCriterion,
    DemoDay,
    DemoJudge,
    DemoScore,
    DemoSlot,
    JudgeSheet,
    Status,
)
from incubator.demodays.standings import (
    recompute,
)
from incubator.errors import DomainError, NotFound
from incubator.mail import queue_email

COMMENT_MAX = 3000


def invite_judge(actor: User, demo_day: DemoDay, email: str, name: str) -> User:
    """Invite a judge: a user with the judge role, or a new person by email, who gets an
    account with the judge role through the invitation flow."""
    require_manager(actor, demo_day)
    require_not_published(demo_day)
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
    require_manager(actor, demo_day)
    require_not_published(demo_day)
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
