from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from incubator import storage
from incubator.accounts.models import Role
from incubator.applications import access, answers, decks, drafts, moves, ranking
from incubator.applications.forms import (
    AnswerFileForm,
    AnswersForm,
    DeckForm,
    MoveForm,
    StartForm,
    answers_form,
    initial_data,
)
from incubator.applications.lists import MINE, ranking_for, score_from_text
from incubator.applications.models import Application
from incubator.applications.stages import Action, Stage
from incubator.enums import parse_enum
from incubator.files import Upload, pdf_name
from incubator.forms import options
from incubator.i18n import format_time
from incubator.lists import query_filters
from incubator.pagecache import cached_page
from incubator.programs.services import managed_program, visible_program
from incubator.questions.services import CallForm, form_of
from incubator.security import PDF_CSP, logged_in, roles
from incubator.startups.models import Sector
from incubator.startups.services import member_startup, startups_of
from incubator.web import Outcome, flash_form_errors, perform, safe_next

bp = Blueprint("applications", __name__)


# ----------------------------------------------------------------- founder


@bp.route("/calls/<int:program_id>/apply", methods=["GET", "POST"])
@roles(Role.FOUNDER)
def apply(program_id: int) -> Any:
    program = visible_program(current_user, program_id)
    if not program.is_open():
        flash(_("This call is not open for applications."), "info")
        return redirect(url_for("programs.call", program_id=program.id))
    startups = startups_of(current_user)
    if not startups:
        flash(_("Create your startup profile first; every application reuses it."), "info")
        return redirect(url_for("startups.create"))
    form = StartForm()
    form.startup_id.choices = options((s.id, s.name) for s in startups)
    if form.validate_on_submit():
        startup = member_startup(current_user, form.startup_id.data)
        outcome = perform(drafts.start_application, current_user, startup, program, form=form)
        if outcome.ok:
            flash(
                _("Your draft is created. Save as often as you like; submit before the deadline."),
                "success",
            )
            return redirect(url_for("applications.edit", application_id=outcome.value.id))
    return render_template("applications/apply.html", program=program, form=form)


@bp.get("/applications")
@roles(Role.FOUNDER)
def mine() -> Any:
    return MINE.render("applications/mine.html", ranking.founder_applications_query(current_user))


@bp.get("/applications/<int:application_id>")
@roles(Role.FOUNDER)
def view(application_id: int) -> Any:
    application = access.founder_application(current_user, application_id)
    return render_template(
        "applications/view.html",
        application=application,
        moves=moves.allowed_moves(current_user, application),
        missing=answers.missing_parts(application) if application.editable else [],
    )


def _answers_form(application: Application, posted: bool = True) -> tuple[CallForm, AnswersForm]:
    """The call's form, and the founder's answers in it: what was posted, else what is stored."""
    call_form = form_of(application.program)
    form_class = answers_form(call_form.asked())
    if posted:
        return call_form, form_class()
    values = answers.stored_values(call_form, application)
    return call_form, form_class(formdata=None, data=initial_data(call_form.asked(), values))


def _edit_page(
    application: Application,
    call_form: CallForm,
    form: AnswersForm,
    deck_form: DeckForm | None = None,
    file_errors: dict[str, list[str]] | None = None,
) -> str:
    return render_template(
        "applications/edit.html",
        application=application,
        call_form=call_form,
        form=form,
        deck_form=deck_form or DeckForm(formdata=None),
        answers={a.question_id: a for a in application.answers},
        file_errors=file_errors or {},
        missing=answers.missing_parts(application, call_form),
    )


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@roles(Role.FOUNDER)
def edit(application_id: int) -> Any:
    application = access.founder_application(current_user, application_id)
    if not application.editable:
        flash(_("A submitted application can no longer be changed."), "info")
        return redirect(url_for("applications.view", application_id=application.id))
    call_form, form = _answers_form(application, posted=request.method == "POST")
    if form.validate_on_submit():
        submitting = request.form.get("action") == "submit"
        service = drafts.submit_draft if submitting else drafts.save_draft
        saved = perform(service, current_user, application, form.raw(), form=form)
        if saved.ok and submitting and saved.value.submitted:
            flash(
                _("Your application is submitted. We have emailed you a confirmation."), "success"
            )
            return redirect(url_for("applications.view", application_id=application.id))
        if saved.ok and submitting:
            flash(saved.value.refusal, "error")
        elif saved.ok:
            flash(_("Draft saved."), "success")
            return redirect(url_for("applications.edit", application_id=application.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields; nothing was saved yet."), "error")
    return _edit_page(application, call_form, form)


@bp.post("/applications/<int:application_id>/autosave")
@roles(Role.FOUNDER)
def autosave(application_id: int) -> Any:
    """The edit page saves the answers in the background while the founder types (JSON)."""
    application = access.founder_application(current_user, application_id)
    _call_form, form = _answers_form(application)
    outcome = Outcome(False)
    if form.validate_on_submit():
        outcome = perform(
            drafts.save_draft, current_user, application, form.raw(), form=form, quiet=True
        )
        if outcome.ok:
            saved_at = format_time(application.updated_at)
            return jsonify(saved=True, message=_("Saved at %(time)s", time=saved_at))
    message = outcome.message or _("Not saved yet: please correct the marked fields.")
    # 200: the page asked and got its answer ("not saved, because"); the browser's console
    # stays for real failures
    return jsonify(saved=False, message=message, errors=form.errors)


@bp.post("/applications/<int:application_id>/deck/upload")
@roles(Role.FOUNDER)
def upload_deck(application_id: int) -> Any:
    application = access.founder_application(current_user, application_id)
    deck_form = DeckForm()
    if deck_form.validate_on_submit():
        upload = deck_form.deck.data
        deck = Upload(upload.stream, upload.filename or "")
        if perform(decks.upload_deck, current_user, application, deck, form=deck_form).ok:
            flash(_("The pitch deck is saved."), "success")
            return redirect(url_for("applications.edit", application_id=application.id))
    if not application.editable:
        return redirect(url_for("applications.view", application_id=application.id))
    call_form, form = _answers_form(application, posted=False)
    return _edit_page(application, call_form, form, deck_form)


@bp.post("/applications/<int:application_id>/answers/<int:question_id>/file")
@roles(Role.FOUNDER)
def upload_answer_file(application_id: int, question_id: int) -> Any:
    """A file question's PDF, on its own form like the deck."""
    application = access.founder_application(current_user, application_id)
    call_form, form = _answers_form(application, posted=False)
    question = call_form.by_id.get(question_id)
    if question is None:
        return redirect(url_for("applications.edit", application_id=application.id))
    file_form = AnswerFileForm()
    if file_form.validate_on_submit():
        upload = Upload(file_form.file.data.stream, file_form.file.data.filename or "")
        saved = perform(
            decks.upload_answer_file, current_user, application, question, upload, form=file_form
        )
        if saved.ok:
            flash(_("The file is saved."), "success")
            return redirect(
                url_for(
                    "applications.edit", application_id=application.id, _anchor=f"q-{question.key}"
                )
            )
    if not application.editable:
        return redirect(url_for("applications.view", application_id=application.id))
    return _edit_page(
        application, call_form, form, file_errors={question.key: file_form.file.errors}
    )


@bp.get("/applications/<int:application_id>/answers/<int:question_id>/file")
@logged_in
def answer_file(application_id: int, question_id: int) -> Any:
    name, key = decks.readable_answer_file(current_user, application_id, question_id)
    return storage.send(key, pdf_name(name, "file"), "application/pdf")


def _send_deck(application_id: int, *, inline: bool) -> Any:
    application, key = decks.readable_deck(current_user, application_id)
    response = storage.send(
        key,
        pdf_name(application.deck_filename, "pitch-deck"),
        "application/pdf",
        as_attachment=not inline,
    )
    if inline:
        response.headers["Content-Security-Policy"] = PDF_CSP
    return response


@bp.get("/applications/<int:application_id>/deck")
@logged_in
def deck(application_id: int) -> Any:
    return _send_deck(application_id, inline=False)


@bp.get("/applications/<int:application_id>/deck/view")
@logged_in
def view_deck(application_id: int) -> Any:
    """The deck in the browser's PDF viewer, for reading it without a download."""
    return _send_deck(application_id, inline=True)


@bp.post("/applications/<int:application_id>/move")
@roles(Role.FOUNDER, Role.MANAGER)
def move(application_id: int) -> Any:
    """Every stage change from the UI: the board, the manager's page, the founder's withdraw."""
    application = access.acting_application(current_user, application_id)
    form = MoveForm()
    target = parse_enum(Stage, form.to.data)
    if not form.validate_on_submit() or target is None:
        flash_form_errors(form)
    elif perform(moves.move, current_user, application, target, form.reason.data or "").ok:
        flash(
            _(
                "%(startup)s: %(stage)s.",
                startup=application.startup.name,
                stage=application.stage.label,
            ),
            "success",
        )
    return redirect(safe_next(form.next.data))


# ----------------------------------------------------------------- manager


@bp.get("/manage/programs/<int:program_id>/applications")
@roles(Role.MANAGER)
@cached_page
def program_applications(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    call_form = form_of(program)
    shown = [key for key in request.args.getlist("cols") if key in call_form.by_key]
    statement = ranking.program_applications_query(program)
    if shown or request.args.get("format") == "csv":
        statement = ranking.with_answers(statement)
    return ranking_for(call_form, shown).render(
        "applications/program_list.html",
        statement,
        filename=f"program-{program.id}-applications.csv",
        program=program,
        call_form=call_form,
        shown=shown,
    )


@bp.get("/manage/programs/<int:program_id>/board")
@roles(Role.MANAGER)
@cached_page
def board(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    filters = query_filters(("sector", "min_score"))
    columns = ranking.board(
        program, sector=filters["sector"], min_score=score_from_text(filters["min_score"])
    )
    # Every label a card shows, translated once per request rather than once per card (the
    # board's cost is its rendering: see README, Performance).
    reviews = {card.review_count for column in columns.values() for card in column["cards"]}
    return render_template(
        "applications/board.html",
        program=program,
        columns=columns,
        stages=Stage,
        sectors=Sector,
        sector=filters["sector"],
        min_score=filters["min_score"],
        moves_for=lambda application: moves.allowed_moves(current_user, application),
        asks_reason=lambda moves: any(
            m.reason_required or m.action in (Action.ACCEPT, Action.WAITLIST) for m in moves
        ),
        sector_labels={value: str(value.label) for value in Sector},
        action_labels={value: str(value.label) for value in Action},
        review_labels={n: ngettext("%(num)d review", "%(num)d reviews", n) for n in reviews},
        texts={
            "score": _("Score"),
            "confirm": _("%(startup)s: %(action)s?"),
            "reason": _("Reason"),
            "reason_hint": _("The founders read this reason in their email and on their timeline."),
        },
    )


@bp.get("/manage/applications/<int:application_id>")
@roles(Role.MANAGER)
@cached_page
def manage(application_id: int) -> Any:
    application = access.managed_application(current_user, application_id)
    return render_template(
        "applications/manage.html",
        application=application,
        moves=moves.allowed_moves(current_user, application),
    )
