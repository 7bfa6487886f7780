"""A call's form: reading it, deciding which questions show, and the manager's editor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, joinedload

from incubator import audit, signals
from incubator.accounts.models import User
from incubator.db import add_unique, db
from incubator.errors import DomainError, NotFound
from incubator.programs.models import Program
from incubator.programs.services import managed_program, require_manager
from incubator.questions import kinds
from incubator.questions.library import DEFAULT_FORM, LIBRARY_BY_KEY, SectionTemplate
from incubator.questions.models import (
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    FormSection,
    Kind,
    Question,
    QuestionChoice,
)

# ------------------------------------------------------------------ reading


@dataclass
class CallForm:
    """A program's form, loaded once: sections in order, each with its questions."""

    program: Program
    sections: list[FormSection]

    @property
    def questions(self) -> list[Question]:
        return [q for section in self.sections for q in section.questions]

    @property
    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}

    @property
    def by_id(self) -> dict[int, Question]:
        return {q.id: q for q in self.questions}

    def asked(self) -> list[Question]:
        """The questions new applicants see (not hidden by the manager)."""
        return [q for q in self.questions if not q.hidden]

    def condition_candidates(self, before: Question | None = None) -> list[Question]:
        """Questions a condition may name: choice or yes/no questions earlier in the form."""
        candidates = []
        for question in self.questions:
            if question is before:
                break
            if question.kind.can_be_condition:
                candidates.append(question)
        return candidates

    def shown(self, values: Mapping[int, kinds.Value | None]) -> set[int]:
        """Ids of the questions a founder sees given the answers `values` (by question id):
        not hidden, and their condition (if any) met by a question that shows itself."""
        shown: set[int] = set()
        for question in self.questions:
            if question.hidden:
                continue
            condition = question.condition_question_id
            if condition is None or (
                condition in shown
                and kinds.matches(
                    self.by_id[condition], values.get(condition), question.condition_value
                )
            ):
                shown.add(question.id)
        return shown


def form_of(program: Program) -> CallForm:
    """The program's form in one query (sections, their questions and choices)."""
    sections = (
        db.session.scalars(
            select(FormSection)
            .where(FormSection.program_id == program.id)
            .order_by(FormSection.position, FormSection.id)
            .options(joinedload(FormSection.questions).joinedload(Question.choices))
            # fresh within a transaction that has just changed the form
            .execution_options(populate_existing=True)
        )
        .unique()
        .all()
    )
    return CallForm(program, list(sections))


def form_in_use(program: Program) -> bool:
    """Whether an application to the call was submitted: its questions are then locked."""
    return signals.granted(signals.form_in_use, program)


# ------------------------------------------------------------ from templates


def _free_key(taken: set[str], wanted: str) -> str:
    key, n = wanted, 2
    while key in taken:
        key, n = f"{wanted}_{n}", n + 1
    taken.add(key)
    return key


def add_templates(
    session: Session,
    program: Program,
    templates: Iterable[SectionTemplate],
    taken: set[str] | None = None,
    position: int = 0,
) -> list[FormSection]:
    """Sections made from templates, added to the session; keys already taken get a suffix."""
    taken = set() if taken is None else taken
    made = []
    for offset, template in enumerate(templates):
        section = FormSection(
            program=program,
            position=position + offset,
            title_vi=template.title_vi,
            title_en=template.title_en,
        )
        keys: dict[str, Question] = {}
        for index, item in enumerate(template.questions):
            question = Question(
                program=program,
                position=index,
                key=_free_key(taken, item.key),
                kind=item.kind,
                label_vi=item.label_vi,
                label_en=item.label_en,
                help_vi=item.help_vi,
                help_en=item.help_en,
                required=item.required,
                max_length=item.max_length,
                hidden=False,
                condition_value="",
                choices=[
                    QuestionChoice(position=n, value=value, label_vi=vi, label_en=en)
                    for n, (value, vi, en) in enumerate(item.choices)
                ],
            )
            if item.condition:
                question.condition_question = keys[item.condition[0]]
                question.condition_value = item.condition[1]
            keys[item.key] = question
            section.questions.append(question)
        session.add(section)
        made.append(section)
    return made


def _give_default_forms(session: Session, _context: Any, _instances: Any) -> None:
    """Every new program is born with the default form (services, demo data, tests alike),
    unless sections for it are already on their way."""
    new = list(session.new)
    programs = [obj for obj in new if isinstance(obj, Program)]
    if not programs:
        return
    provided = {id(obj.program) for obj in new if isinstance(obj, FormSection)}
    for program in programs:
        if id(program) not in provided:
            add_templates(session, program, DEFAULT_FORM)


def listen() -> None:
    """Called by init_app: new programs get the default form."""
    if not event.contains(Session, "before_flush", _give_default_forms):
        event.listen(Session, "before_flush", _give_default_forms)


# ------------------------------------------------------------------- editor


@dataclass
class ChoiceData:
    label_vi: str
    label_en: str = ""
    value: str = ""  # "" for a new choice


@dataclass
class QuestionData:
    section_id: int
    kind: Kind
    label_vi: str
    label_en: str = ""
    help_vi: str = ""
    help_en: str = ""
    required: bool = False
    max_length: int | None = None
    hidden: bool = False
    choices: Sequence[ChoiceData] = field(default_factory=list)
    condition_question_id: int | None = None
    condition_value: str = ""


@dataclass
class SectionData:
    title_vi: str
    title_en: str = ""
    help_vi: str = ""
    help_en: str = ""


def locked_message() -> str:
    return _(
        "Founders have submitted applications with this form: its questions can no longer be "
        "deleted or change kind, and choices cannot be removed. You can still correct labels "
        "and help, add questions, or hide a question from new applicants."
    )


def managed_form(actor: User, program_id: int) -> CallForm:
    return form_of(managed_program(actor, program_id))


def _part_of(actor: User, program: Program, model: Any, ident: int) -> Any:
    """A section or question of the program (managed by the actor); others are not found."""
    item = db.session.get(model, ident)
    if item is None or item.program_id != program.id:
        raise NotFound(model.__tablename__)
    require_manager(actor, program.center_id)
    return item


def managed_section(actor: User, program: Program, section_id: int) -> FormSection:
    return _part_of(actor, program, FormSection, section_id)


def managed_question(actor: User, program: Program, question_id: int) -> Question:
    return _part_of(actor, program, Question, question_id)


def _next_key(program: Program) -> str:
    keys = set(db.session.scalars(select(Question.key).where(Question.program_id == program.id)))
    n = len(keys) + 1
    while f"q{n}" in keys:
        n += 1
    return f"q{n}"


def _same_label() -> DomainError:
    return DomainError(_("This section already has a question with this label."), field="label_vi")


def _check_question(form: CallForm, question: Question | None, data: QuestionData) -> None:
    if not data.label_vi.strip():
        raise DomainError(_("This field is required."), field="label_vi")
    section = next((s for s in form.sections if s.id == data.section_id), None)
    if section is not None and any(
        q.label_vi == data.label_vi.strip() and q is not question for q in section.questions
    ):
        raise _same_label()
    if data.section_id not in {s.id for s in form.sections}:
        raise DomainError(_("Not a valid choice."), field="section_id")
    if data.kind.has_limit and data.max_length is not None:
        top = SHORT_TEXT_MAX if data.kind is Kind.SHORT_TEXT else LONG_TEXT_MAX
        if not 1 <= data.max_length <= top:
            raise DomainError(
                _("The limit is between 1 and %(max)d characters.", max=top), field="max_length"
            )
    labels = [c.label_vi.strip().lower() for c in data.choices if c.label_vi.strip()]
    if data.kind.has_choices:
        if len(labels) < 2:
            raise DomainError(_("Give at least two choices."), field="choices")
        if len(set(labels)) != len(labels):
            raise DomainError(_("Two choices have the same label."), field="choices")
    if data.condition_question_id is not None:
        candidates = {q.id: q for q in form.condition_candidates(before=question)}
        target = candidates.get(data.condition_question_id)
        if target is None:
            raise DomainError(
                _("A condition names a choice or yes/no question earlier in the form."),
                field="condition",
            )
        allowed = {"yes", "no"} if target.kind is Kind.YES_NO else {c.value for c in target.choices}
        if data.condition_value not in allowed:
            raise DomainError(_("Not a valid choice."), field="condition")


def _apply_choices(question: Question, choices: Sequence[ChoiceData], locked: bool) -> None:
    if not question.kind.has_choices:
        if locked and question.choices:
            return
        question.choices[:] = []
        return
    existing = {c.value: c for c in question.choices}
    wanted = [c for c in choices if c.label_vi.strip()]
    kept_values = {c.value for c in wanted if c.value in existing}
    if locked and set(existing) - kept_values:
        raise DomainError(locked_message(), field="choices")
    taken = set(existing)
    result = []
    for position, data in enumerate(wanted):
        choice = existing.get(data.value) if data.value else None
        if choice is None:
            choice = QuestionChoice(value=_free_key(taken, f"c{len(taken) + 1}"))
        choice.position = position
        choice.label_vi = data.label_vi.strip()
        choice.label_en = data.label_en.strip()
        result.append(choice)
    question.choices[:] = result


def _fill_question(question: Question, data: QuestionData) -> None:
    question.section_id = data.section_id
    question.label_vi = data.label_vi.strip()
    question.label_en = data.label_en.strip()
    question.help_vi = data.help_vi.strip()
    question.help_en = data.help_en.strip()
    question.required = data.required
    question.max_length = data.max_length if data.kind.has_limit else None
    question.hidden = data.hidden
    question.condition_question_id = data.condition_question_id
    question.condition_value = data.condition_value if data.condition_question_id else ""


def _last_position(section_id: int) -> int:
    top = db.session.scalar(
        select(func.max(Question.position)).where(Question.section_id == section_id)
    )
    return -1 if top is None else top


def add_question(actor: User, program: Program, data: QuestionData) -> Question:
    require_manager(actor, program.center_id)
    form = form_of(program)
    _check_question(form, None, data)
    question = Question(
        program=program,
        key=_next_key(program),
        kind=data.kind,
        position=_last_position(data.section_id) + 1,
    )
    _fill_question(question, data)
    _apply_choices(question, data.choices, locked=False)
    add_unique(question, _same_label())  # the same question sent twice at once
    audit.record(actor, "form.question_added", program, question=question.key)
    return question


def update_question(actor: User, question: Question, data: QuestionData) -> Question:
    program = question.program
    require_manager(actor, program.center_id)
    form = form_of(program)
    _check_question(form, question, data)
    locked = form_in_use(program)
    if data.kind is not question.kind:
        if locked:
            raise DomainError(locked_message(), field="kind")
        question.kind = data.kind
    if data.section_id != question.section_id:
        question.position = _last_position(data.section_id) + 1
    _fill_question(question, data)
    _apply_choices(question, data.choices, locked)
    audit.record(actor, "form.question_updated", program, question=question.key)
    return question


def delete_question(actor: User, question: Question) -> None:
    program = question.program
    require_manager(actor, program.center_id)
    if form_in_use(program):
        raise DomainError(locked_message())
    dependants = db.session.scalars(
        select(Question).where(Question.condition_question_id == question.id)
    ).all()
    if dependants:
        raise DomainError(
            _(
                "%(questions)s show only depending on this question: change their condition first.",
                questions=", ".join(f"«{q.label}»" for q in dependants),
            )
        )
    audit.record(actor, "form.question_deleted", program, question=question.key)
    signals.question_deleted.send(question)
    db.session.delete(question)


def _swap(items: list[Any], item: Any, step: int) -> bool:
    index = items.index(item)
    other = index + step
    if not 0 <= other < len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items):
        each.position = position
    return True


def move_question(actor: User, question: Question, step: int) -> None:
    """One place up (-1) or down (+1) in its section; across the section's edge it goes to the
    end of the previous section or the start of the next one."""
    program = question.program
    require_manager(actor, program.center_id)
    form = form_of(program)
    section = next(s for s in form.sections if s.id == question.section_id)
    questions = list(section.questions)
    if not _swap(questions, question, step):
        index = form.sections.index(section) + step
        if not 0 <= index < len(form.sections):
            return
        target = form.sections[index]
        question.section = target
        others = [q for q in target.questions if q is not question]
        ordered = [*others, question] if step < 0 else [question, *others]
        for position, each in enumerate(ordered):
            each.position = position
    _check_conditions_order(form_of(program))
    audit.record(actor, "form.question_moved", program, question=question.key)


def _check_conditions_order(form: CallForm) -> None:
    seen: set[int] = set()
    for question in form.questions:
        if question.condition_question_id and question.condition_question_id not in seen:
            raise DomainError(
                _(
                    "«%(question)s» depends on a question that would then come after it: "
                    "a condition names an earlier question.",
                    question=question.label,
                )
            )
        seen.add(question.id)


def add_section(actor: User, program: Program, data: SectionData) -> FormSection:
    require_manager(actor, program.center_id)
    if not data.title_vi.strip():
        raise DomainError(_("This field is required."), field="title_vi")
    top = db.session.scalar(
        select(func.max(FormSection.position)).where(FormSection.program_id == program.id)
    )
    section = FormSection(program=program, position=(top or 0) + 1)
    _fill_section(section, data)
    db.session.add(section)
    db.session.flush()
    audit.record(actor, "form.section_added", program)
    return section


def _fill_section(section: FormSection, data: SectionData) -> None:
    section.title_vi = data.title_vi.strip()
    section.title_en = data.title_en.strip()
    section.help_vi = data.help_vi.strip()
    section.help_en = data.help_en.strip()


def update_section(actor: User, section: FormSection, data: SectionData) -> FormSection:
    require_manager(actor, section.program.center_id)
    if not data.title_vi.strip():
        raise DomainError(_("This field is required."), field="title_vi")
    _fill_section(section, data)
    audit.record(actor, "form.section_updated", section.program)
    return section


def delete_section(actor: User, section: FormSection) -> None:
    program = section.program
    require_manager(actor, program.center_id)
    if section.questions and form_in_use(program):
        raise DomainError(locked_message())
    inside = {q.id for q in section.questions}
    outside = db.session.scalars(
        select(Question).where(
            Question.program_id == program.id,
            Question.condition_question_id.in_(inside),
            Question.section_id != section.id,
        )
    ).all()
    if outside:
        raise DomainError(
            _(
                "%(questions)s show only depending on a question of this section: change their "
                "condition first.",
                questions=", ".join(f"«{q.label}»" for q in outside),
            )
        )
    audit.record(actor, "form.section_deleted", program)
    db.session.delete(section)


def move_section(actor: User, section: FormSection, step: int) -> None:
    program = section.program
    require_manager(actor, program.center_id)
    form = form_of(program)
    _swap(form.sections, section, step)
    _check_conditions_order(form_of(program))
    audit.record(actor, "form.section_moved", program)


def add_library_section(actor: User, program: Program, key: str) -> FormSection:
    require_manager(actor, program.center_id)
    template = LIBRARY_BY_KEY.get(key)
    if template is None:
        raise DomainError(_("Not a valid choice."), field="section")
    form = form_of(program)
    position = max((s.position for s in form.sections), default=-1) + 1
    (section,) = add_templates(db.session, program, [template], set(form.by_key), position=position)
    db.session.flush()
    audit.record(actor, "form.library_section_added", program, section=key)
    return section


def earlier_calls(actor: User, program: Program) -> list[Program]:
    """The other calls of the center, newest first: forms to copy."""
    require_manager(actor, program.center_id)
    return list(
        db.session.scalars(
            select(Program)
            .where(Program.center_id == program.center_id, Program.id != program.id)
            .order_by(Program.opens_at.desc(), Program.id.desc())
        )
    )


def copy_form(actor: User, program: Program, source_id: int) -> CallForm:
    """Replace the program's form by a copy of another call's of the same center."""
    require_manager(actor, program.center_id)
    source = db.session.get(Program, source_id)
    if source is None or source.center_id != program.center_id or source.id == program.id:
        raise DomainError(_("Not a valid choice."), field="source_id")
    if signals.granted(signals.call_has_applicants, program):
        raise DomainError(
            _("Founders have started applying with this form: it can no longer be replaced.")
        )
    for section in form_of(program).sections:
        db.session.delete(section)
    db.session.flush()
    copies: dict[int, Question] = {}
    for section in form_of(source).sections:
        copy = FormSection(
            program=program,
            position=section.position,
            title_vi=section.title_vi,
            title_en=section.title_en,
            help_vi=section.help_vi,
            help_en=section.help_en,
        )
        for question in section.questions:
            twin = Question(
                program=program,
                **{
                    name: getattr(question, name)
                    for name in [
                        "position",
                        "key",
                        "kind",
                        "label_vi",
                        "label_en",
                        "help_vi",
                        "help_en",
                        "required",
                        "max_length",
                        "hidden",
                        "condition_value",
                    ]
                },
                choices=[
                    QuestionChoice(
                        position=c.position, value=c.value, label_vi=c.label_vi, label_en=c.label_en
                    )
                    for c in question.choices
                ],
            )
            if question.condition_question_id:
                twin.condition_question = copies[question.condition_question_id]
            copies[question.id] = twin
            copy.questions.append(twin)
        db.session.add(copy)
    db.session.flush()
    audit.record(actor, "form.copied", program, source=source.id)
    return form_of(program)
