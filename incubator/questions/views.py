"""The form editor: a manager builds the questions of a call."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts.models import Role
from incubator.forms import optional_int
from incubator.i18n import current_language
from incubator.programs.services import managed_program
from incubator.questions import services
from incubator.questions.forms import (
    CopyForm,
    DeleteForm,
    LibraryForm,
    MoveForm,
    QuestionForm,
    SectionForm,
)
from incubator.questions.library import LIBRARY
from incubator.questions.models import Question
from incubator.security import roles
from incubator.web import flash_form_errors, perform

bp = Blueprint("questions", __name__)
BASE = "/manage/programs/<int:program_id>/form"


def _back(program_id: int, anchor: str = "") -> Any:
    return redirect(url_for("questions.edit_form", program_id=program_id) + anchor)


def _move(service: Any, item: Any, anchor: str) -> Any:
    """Up or down one place (buttons that work without JavaScript)."""
    form = MoveForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        perform(service, current_user, item, int(form.step.data))
    return _back(item.program_id, anchor)


def _delete(service: Any, item: Any, done: str) -> Any:
    if DeleteForm().validate_on_submit() and perform(service, current_user, item).ok:
        flash(done, "success")
    return _back(item.program_id)


@bp.get(BASE)
@roles(Role.MANAGER)
def edit_form(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    copy_form = CopyForm(formdata=None)
    copy_form.source_id.choices = [
        (p.id, p.name) for p in services.earlier_calls(current_user, program)
    ]
    return render_template(
        "questions/form.html",
        program=program,
        form=services.form_of(program),
        locked=services.form_in_use(program),
        section_form=SectionForm(formdata=None),
        copy_form=copy_form,
        library_form=LibraryForm(formdata=None).prepare(current_language()),
        library=LIBRARY,
    )


def _question_page(program: Any, form: QuestionForm, question: Question | None) -> str:
    return render_template(
        "questions/question.html",
        program=program,
        form=form.with_blank_rows(),
        question=question,
        locked=question is not None and services.form_in_use(program),
    )


@bp.route(f"{BASE}/questions/new", methods=["GET", "POST"])
@roles(Role.MANAGER)
def new_question(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    form = QuestionForm().prepare(services.form_of(program))
    if request.method == "GET":
        with contextlib.suppress(ValueError):
            form.section_id.data = optional_int(request.args.get("section", ""))
    if form.validate_on_submit():
        outcome = perform(services.add_question, current_user, program, form.to_data(), form=form)
        if outcome.ok:
            flash(_("The question is added."), "success")
            return _back(program.id, f"#question-{outcome.value.id}")
    return _question_page(program, form, None)


@bp.route(f"{BASE}/questions/<int:question_id>", methods=["GET", "POST"])
@roles(Role.MANAGER)
def edit_question(program_id: int, question_id: int) -> Any:
    program = managed_program(current_user, program_id)
    question = services.managed_question(current_user, program, question_id)
    form = QuestionForm(obj=question).prepare(services.form_of(program), before=question)
    if request.method == "GET":
        form.kind.data = question.kind.value
        if question.condition_question_id:
            form.condition.data = f"{question.condition_question_id}:{question.condition_value}"
    if form.validate_on_submit():
        data = form.to_data()
        outcome = perform(services.update_question, current_user, question, data, form=form)
        if outcome.ok:
            flash(_("The question is saved."), "success")
            return _back(program.id, f"#question-{question.id}")
    return _question_page(program, form, question)


@bp.post(f"{BASE}/questions/<int:question_id>/move")
@roles(Role.MANAGER)
def move_question(program_id: int, question_id: int) -> Any:
    program = managed_program(current_user, program_id)
    question = services.managed_question(current_user, program, question_id)
    return _move(services.move_question, question, f"#question-{question.id}")


@bp.post(f"{BASE}/questions/<int:question_id>/delete")
@roles(Role.MANAGER)
def delete_question(program_id: int, question_id: int) -> Any:
    program = managed_program(current_user, program_id)
    question = services.managed_question(current_user, program, question_id)
    return _delete(services.delete_question, question, _("The question is deleted."))


@bp.post(f"{BASE}/sections")
@roles(Role.MANAGER)
def add_section(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    form = SectionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(program.id)
    outcome = perform(services.add_section, current_user, program, form.to_data())
    if outcome.ok:
        flash(_("The section is added."), "success")
        return _back(program.id, f"#section-{outcome.value.id}")
    return _back(program.id)


@bp.route(f"{BASE}/sections/<int:section_id>", methods=["GET", "POST"])
@roles(Role.MANAGER)
def edit_section(program_id: int, section_id: int) -> Any:
    program = managed_program(current_user, program_id)
    section = services.managed_section(current_user, program, section_id)
    form = SectionForm(obj=section)
    if form.validate_on_submit():
        outcome = perform(services.update_section, current_user, section, form.to_data(), form=form)
        if outcome.ok:
            flash(_("The section is saved."), "success")
            return _back(program.id, f"#section-{section.id}")
    return render_template("questions/section.html", program=program, section=section, form=form)


@bp.post(f"{BASE}/sections/<int:section_id>/move")
@roles(Role.MANAGER)
def move_section(program_id: int, section_id: int) -> Any:
    program = managed_program(current_user, program_id)
    section = services.managed_section(current_user, program, section_id)
    return _move(services.move_section, section, f"#section-{section.id}")


@bp.post(f"{BASE}/sections/<int:section_id>/delete")
@roles(Role.MANAGER)
def delete_section(program_id: int, section_id: int) -> Any:
    program = managed_program(current_user, program_id)
    section = services.managed_section(current_user, program, section_id)
    return _delete(services.delete_section, section, _("The section is deleted."))


@bp.post(f"{BASE}/copy")
@roles(Role.MANAGER)
def copy(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    form = CopyForm()
    form.source_id.choices = [(p.id, p.name) for p in services.earlier_calls(current_user, program)]
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(services.copy_form, current_user, program, form.source_id.data).ok:
        flash(_("The form is copied. Adjust it to this call."), "success")
    return _back(program.id)


@bp.post(f"{BASE}/library")
@roles(Role.MANAGER)
def add_library_section(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    form = LibraryForm().prepare(current_language())
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(program.id)
    outcome = perform(services.add_library_section, current_user, program, form.section.data)
    if outcome.ok:
        flash(_("The section is added."), "success")
        return _back(program.id, f"#section-{outcome.value.id}")
    return _back(program.id)
