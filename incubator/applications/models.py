from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Connection,
    Date,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from incubator.accounts.models import User
from incubator.applications.stages import Action, Stage
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import labelled
from incubator.programs.models import Program
from incubator.questions import models as _questions  # noqa: F401  (answers refer to questions)
from incubator.startups.models import Startup

labelled(
    Stage,
    {
        Stage.DRAFT: _l("Draft"),
        Stage.SUBMITTED: _l("Submitted"),
        Stage.SCREENING: _l("Screening"),
        Stage.ACCEPTED: _l("Accepted"),
        Stage.WAITLISTED: _l("Waitlisted"),
        Stage.REJECTED: _l("Not accepted"),
        Stage.INCUBATING: _l("Incubating"),
        Stage.DEMO_DAY: _l("Demo day"),
        Stage.GRADUATED: _l("Graduated"),
        Stage.DROPPED: _l("Dropped"),
        Stage.WITHDRAWN: _l("Withdrawn"),
    },
)
labelled(
    Action,
    {
        Action.SUBMIT: _l("Submit"),
        Action.SCREEN: _l("Start screening"),
        Action.ACCEPT: _l("Accept"),
        Action.WAITLIST: _l("Waitlist"),
        Action.REJECT: _l("Reject"),
        Action.START: _l("Start incubation"),
        Action.SELECT: _l("Select for demo day"),
        Action.DROP: _l("Drop"),
        Action.GRADUATE: _l("Graduate"),
        Action.NOT_READY: _l("Back to incubation"),
        Action.WITHDRAW: _l("Withdraw"),
    },
)


class Application(Base):
    """A startup's application to a program; its stage carries the startup through the program."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("startup_id", "program_id", name="one_per_program"),
        # the board's columns and the ranking read these in score order, a page at a time
        Index("ix_applications_program_stage_score", "program_id", "stage", "score_mean"),
        Index("ix_applications_program_score", "program_id", "score_mean"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    # active_history: the stage a change replaces is known even when it was not loaded, so
    # that the stored counts (StageCount) are shifted from the right stage
    stage: Mapped[Stage] = mapped_column(
        enum_column(Stage, "stage"), default=Stage.DRAFT, index=True, active_history=True
    )
    deck_file: Mapped[str | None] = mapped_column(String(80))
    deck_filename: Mapped[str | None] = mapped_column(String(255))
    deck_size: Mapped[int | None]
    deck_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The submitted reviews summed up, kept by the reviews domain in the transaction that
    # changes a review (reviews/scoring.py): weighted mean 0–100, rounded as shown, and the
    # gap between the highest and the lowest review. No mean until a review is submitted,
    # nor once the application is withdrawn.
    score_mean: Mapped[float | None] = mapped_column(Float)
    review_count: Mapped[int] = mapped_column(default=0)
    score_spread: Mapped[float | None] = mapped_column(Float)

    startup: Mapped[Startup] = relationship(lazy="joined", innerjoin=True)
    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)
    transitions: Mapped[list[StageTransition]] = relationship(
        back_populates="application", order_by="StageTransition.id", lazy="selectin"
    )

    @property
    def editable(self) -> bool:
        return self.stage is Stage.DRAFT

    answers: Mapped[list[Answer]] = relationship(
        back_populates="application", cascade="all, delete-orphan", passive_deletes=True
    )


# PostgreSQL sorts NULLs first in a descending scan of an ascending index, so the board's "best
# first, unscored last" order (score_mean DESC NULLS LAST) needs an index of its own there to be
# an index range scan with LIMIT per column; SQLite's DESC already puts NULLs last.
Index(
    "ix_applications_program_stage_best",
    Application.program_id,
    Application.stage,
    Application.score_mean.desc().nulls_last(),
    Application.id,
).ddl_if(dialect="postgresql")


class StageCount(Base):
    """How many applications of a program are at a stage, kept in the transaction that changes
    them (`shift_stage_count`): the board's columns, a program's page and the manager's home
    read these rows instead of counting the program's or the center's applications."""

    __tablename__ = "stage_counts"
    __table_args__ = (CheckConstraint("count >= 0", name="not_negative"),)

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "stage"), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


def shift_stage_count(
    connection: Connection, program_id: int, leaving: Stage | None, entering: Stage | None
) -> None:
    """One application of the program leaves a stage and/or enters one. The two rows are
    written in stage order, so that concurrent moves take their locks in the same order."""
    table = StageCount.__table__
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for stage, delta in sorted(
        ((s, d) for s, d in ((leaving, -1), (entering, 1)) if s is not None),
        key=lambda item: item[0].value,
    ):
        if delta > 0:
            connection.execute(
                insert(table)
                .values(program_id=program_id, stage=stage, count=1)
                .on_conflict_do_update(
                    index_elements=[table.c.program_id, table.c.stage],
                    set_={"count": table.c.count + 1},
                )
            )
        else:
            connection.execute(
                update(table)
                .where(table.c.program_id == program_id, table.c.stage == stage)
                .values(count=table.c.count - 1)
            )


# Applications inserted or changed through the ORM (a new draft, the demo data) keep the counts
# here; a move (services.move) is a conditional UPDATE and shifts them itself. Applications
# are never deleted (their stage history is append-only).
@event.listens_for(Application, "after_insert")
def _counted(_mapper: object, connection: Connection, target: Application) -> None:
    shift_stage_count(connection, target.program_id, None, target.stage or Stage.DRAFT)


@event.listens_for(Application, "after_update")
def _recounted(_mapper: object, connection: Connection, target: Application) -> None:
    history = inspect(target).attrs.stage.history
    if history.deleted and history.added and history.deleted[0] != history.added[0]:
        shift_stage_count(connection, target.program_id, history.deleted[0], history.added[0])


class Answer(Base):
    """A founder's answer to one question of the call's form, typed: the column that holds it
    follows the question's kind (text, URL and email in value_text; number and money in
    value_number; yes/no in value_bool; a file's stored name in file_name, its original name
    in value_text). Choices made are rows of AnswerChoice."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("application_id", "question_id", name="one_per_question"),
        # the ranking's filters on numbers and yes/no answers
        Index("ix_answers_question_number", "question_id", "value_number"),
        Index("ix_answers_question_bool", "question_id", "value_bool"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[float | None] = mapped_column(Numeric(20, 4, asdecimal=False))
    value_date: Mapped[date | None] = mapped_column(Date)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    file_name: Mapped[str | None] = mapped_column(String(80))
    file_size: Mapped[int | None] = mapped_column(BigInteger)

    application: Mapped[Application] = relationship(back_populates="answers")
    selected: Mapped[list[AnswerChoice]] = relationship(
        back_populates="answer",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def choice_ids(self) -> set[int]:
        return {s.choice_id for s in self.selected}


class AnswerChoice(Base):
    """A choice made in a choice question; the ranking filters on (choice_id, application_id)."""

    __tablename__ = "answer_choices"
    __table_args__ = (
        UniqueConstraint("answer_id", "choice_id", name="one_per_choice"),
        Index("ix_answer_choices_choice_application", "choice_id", "application_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    choice_id: Mapped[int] = mapped_column(ForeignKey("question_choices.id", ondelete="CASCADE"))

    answer: Mapped[Answer] = relationship(back_populates="selected")


class StageTransition(Base):
    """One step of an application's history; rows are only ever added."""

    __tablename__ = "stage_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, "from_stage"))
    to_stage: Mapped[Stage] = mapped_column(enum_column(Stage, "to_stage"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship(lazy="joined")


@event.listens_for(StageTransition, "before_update")
def _history_is_not_rewritten(
    _mapper: object, _connection: object, target: StageTransition
) -> None:
    # before_update also fires for objects merely marked dirty; only real changes are refused
    session = object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        raise RuntimeError(f"stage history is append-only (transition {target.id})")


@event.listens_for(StageTransition, "before_delete")
def _history_is_not_deleted(_mapper: object, _connection: object, target: StageTransition) -> None:
    raise RuntimeError(f"stage history is append-only (transition {target.id})")
