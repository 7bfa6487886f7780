"""A call's application form: sections, typed questions, their choices and conditions.

The rows belong to a program; the founders' answers are rows of the applications domain.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.db import Base, enum_column
from incubator.enums import LabelledEnum, labelled
from incubator.i18n import localized, localized_marked
from incubator.programs.models import Program


class Kind(LabelledEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    URL = "url"
    EMAIL = "email"
    FILE = "file"

    @property
    def has_choices(self) -> bool:
        return self in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)

    @property
    def can_be_condition(self) -> bool:
        """Questions others may depend on: "show only when X is Y"."""
        return self.has_choices or self is Kind.YES_NO

    @property
    def has_limit(self) -> bool:
        return self in (Kind.SHORT_TEXT, Kind.LONG_TEXT)


labelled(
    Kind,
    {
        Kind.SHORT_TEXT: _l("Short text"),
        Kind.LONG_TEXT: _l("Long text"),
        Kind.NUMBER: _l("Number"),
        Kind.MONEY: _l("Money (VND)"),
        Kind.DATE: _l("Date"),
        Kind.SINGLE_CHOICE: _l("Single choice"),
        Kind.MULTIPLE_CHOICE: _l("Multiple choice"),
        Kind.YES_NO: _l("Yes / no"),
        Kind.URL: _l("Web address (URL)"),
        Kind.EMAIL: _l("Email"),
        Kind.FILE: _l("File (PDF)"),
    },
)

# The limits a question may set, and the default of each text kind.
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 20000
DEFAULT_LIMITS = {Kind.SHORT_TEXT: 200, Kind.LONG_TEXT: 5000}


class _Labelled:
    @property
    def label(self) -> str:
        return localized(self, "label")

    @property
    def label_marked(self) -> str:
        """The label, with "(Tiếng Việt)" when it falls back to the other language."""
        return localized_marked(self, "label")


class FormSection(Base):
    """A heading of the form, with its questions in order."""

    __tablename__ = "form_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    help_vi: Mapped[str] = mapped_column(Text, default="")
    help_en: Mapped[str] = mapped_column(Text, default="")

    program: Mapped[Program] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="section",
        order_by="Question.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def help(self) -> str:
        return localized(self, "help")


class Question(_Labelled, Base):
    """One question of a call's form. `key` names its input and its CSV column; it is unique
    in the program and never changes. A question with a condition shows only when the
    question it names has the answer `condition_value` (a choice's value, "yes" or "no")."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("program_id", "key", name="one_key_per_program"),
        # the same question twice in a section is a double click, not a form
        UniqueConstraint("section_id", "label_vi", name="one_label_per_section"),
        CheckConstraint("max_length IS NULL OR max_length > 0", name="max_length_positive"),
        Index("ix_questions_program_position", "program_id", "section_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(
        ForeignKey("form_sections.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "kind"))
    label_vi: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300), default="")
    help_vi: Mapped[str] = mapped_column(Text, default="")
    help_en: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    max_length: Mapped[int | None]
    # hidden from new applicants (a used question cannot be deleted); answers stay readable
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    condition_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), index=True
    )
    condition_value: Mapped[str] = mapped_column(String(40), default="")

    program: Mapped[Program] = relationship()
    section: Mapped[FormSection] = relationship(back_populates="questions")
    choices: Mapped[list[QuestionChoice]] = relationship(
        back_populates="question",
        order_by="QuestionChoice.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )
    condition_question: Mapped[Question | None] = relationship(remote_side=[id])

    @property
    def help(self) -> str:
        return localized(self, "help")

    @property
    def limit(self) -> int | None:
        """The character limit of a text question."""
        if not self.kind.has_limit:
            return None
        return self.max_length or DEFAULT_LIMITS[self.kind]

    def choice_by_value(self, value: str) -> QuestionChoice | None:
        return next((c for c in self.choices if c.value == value), None)

    def choice_label(self, value: str) -> str:
        if self.kind is Kind.YES_NO:
            return str(YES_NO_LABELS.get(value, value))
        choice = self.choice_by_value(value)
        return choice.label if choice else value


YES_NO_LABELS = {"yes": _l("Yes"), "no": _l("No")}


class QuestionChoice(_Labelled, Base):
    """An option of a choice question; `value` is stable (inputs, conditions, copies)."""

    __tablename__ = "question_choices"
    __table_args__ = (UniqueConstraint("question_id", "value", name="one_value_per_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    value: Mapped[str] = mapped_column(String(40))
    label_vi: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200), default="")

    question: Mapped[Question] = relationship(back_populates="choices")
