"""The form editor's rules, and applying with a call's own questions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incubator.accounts.models import User
from incubator.applications.answers import answer_sections, missing_parts
from incubator.applications.decks import ANSWER_FILES, upload_answer_file
from incubator.applications.drafts import save_draft, submit_draft
from incubator.applications.models import Answer, Application
from incubator.applications.stages import Stage
from incubator.db import db, run
from incubator.errors import DomainError
from incubator.files import Upload
from incubator.programs.models import Program
from incubator.questions import services
from incubator.questions.library import DEFAULT_FORM
from incubator.questions.models import Kind, Question
from incubator.questions.services import QuestionData
from tests.applications.fixtures import answer


@pytest.fixture
def english_ctx(app: Any) -> Any:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield app


def manager(program: Program) -> User:
    from tests.centers.fixtures import center_id  # noqa: F401  (the center exists)

    return db.session.scalars(
        select(User).where(User.managed_center_id == program.center_id)
    ).first()


def fresh(model: Any, ident: int) -> Any:
    return db.session.get(model, ident, populate_existing=True)


def founder_of(application: Application) -> User:
    return db.session.get(User, application.startup.members[0].user_id)


def test_a_new_program_starts_with_the_default_form(english_ctx: Any, make_program: Any) -> None:
    program = fresh(Program, make_program().id)
    form = services.form_of(program)
    assert [s.title_en for s in form.sections] == [t.title_en for t in DEFAULT_FORM]
    assert [q.key for q in form.questions] == [
        "problem",
        "solution",
        "market",
        "traction",
        "team",
        "funding_need_vnd",
    ]
    assert form.by_key["funding_need_vnd"].kind is Kind.MONEY
    assert all(q.required for q in form.questions)


def test_a_condition_names_an_earlier_choice_question(
    english_ctx: Any, make_program: Any, add_question: Any, manager_of: Any
) -> None:
    program = make_program()
    text = add_question(program, Kind.SHORT_TEXT, "Trường đại học")
    program = fresh(Program, program.id)
    boss = db.session.merge(manager_of("BIIC"))
    data = QuestionData(
        section_id=text.section_id,
        kind=Kind.SHORT_TEXT,
        label_vi="Giảng viên hướng dẫn",
        condition_question_id=text.id,
        condition_value="x",
    )
    with pytest.raises(DomainError) as error:
        services.add_question(boss, program, data)
    assert error.value.field == "condition"
    with pytest.raises(DomainError, match="at least two choices"):
        services.add_question(
            boss, program, QuestionData(text.section_id, Kind.SINGLE_CHOICE, "Ngành")
        )


def test_conditional_questions_show_only_when_their_answer_is_given(
    english_ctx: Any, make_program: Any, add_question: Any
) -> None:
    program = make_program()
    cnc = add_question(program, Kind.YES_NO, "Cần máy CNC?")
    trained = add_question(program, Kind.YES_NO, "Đã được đào tạo?", when=(cnc, "yes"))
    operator = add_question(program, Kind.SHORT_TEXT, "Người vận hành", when=(trained, "yes"))
    form = services.form_of(fresh(Program, program.id))
    assert trained.id not in form.shown({cnc.id: False})
    assert trained.id in form.shown({cnc.id: True})
    assert operator.id in form.shown({cnc.id: True, trained.id: True})
    # a follow-up of a question that does not show does not show either
    assert operator.id not in form.shown({cnc.id: False, trained.id: True})


def test_after_the_first_submission_questions_are_locked(
    english_ctx: Any, make_program: Any, make_application: Any, manager_of: Any
) -> None:
    program = make_program()
    draft = make_application(program=program)
    form = services.form_of(fresh(Program, program.id))
    boss = db.session.merge(manager_of("BIIC"))
    problem = form.by_key["problem"]
    assert not services.form_in_use(problem.program)  # a draft does not lock the form
    make_application(Stage.SUBMITTED, program=program)
    problem = fresh(Question, problem.id)
    assert services.form_in_use(problem.program)
    with pytest.raises(DomainError, match="can no longer be deleted"):
        services.delete_question(boss, problem)
    data = QuestionData(problem.section_id, Kind.SHORT_TEXT, problem.label_vi)
    with pytest.raises(DomainError) as error:
        services.update_question(boss, problem, data)
    assert error.value.field == "kind"
    # labels can be corrected and the question hidden from new applicants
    data = QuestionData(
        problem.section_id, Kind.LONG_TEXT, "Vấn đề cần giải quyết", "Problem to solve", hidden=True
    )
    services.update_question(boss, problem, data)
    db.session.commit()
    form = services.form_of(fresh(Program, program.id))
    assert "problem" not in [q.key for q in form.asked()]
    # its answers stay readable
    submitted = db.session.scalars(
        select(Application).where(Application.program_id == program.id, Application.id != draft.id)
    ).one()
    rows = {r.question.key: r.text for _s, rs in answer_sections(submitted) for r in rs}
    assert rows["problem"]


def test_copying_an_earlier_calls_form(
    english_ctx: Any, make_program: Any, add_question: Any, manager_of: Any, make_application: Any
) -> None:
    earlier = make_program(is_open=False)
    needs = add_question(earlier, Kind.MULTIPLE_CHOICE, "Thiết bị", choices=("CNC", "Laser"))
    add_question(earlier, Kind.LONG_TEXT, "Vì sao cần CNC?", when=(needs, needs.choices[0].value))
    program = make_program(published=False)
    boss = db.session.merge(manager_of("BIIC"))
    copy = services.copy_form(boss, fresh(Program, program.id), earlier.id)
    db.session.commit()
    keys = [q.key for q in copy.questions]
    assert keys == [q.key for q in services.form_of(fresh(Program, earlier.id)).questions]
    follow = copy.questions[-1]
    assert follow.condition_question.program_id == program.id
    assert follow.condition_question.label_vi == "Thiết bị"
    # another center's call is not offered, and a call with applicants keeps its form
    smic = make_program(center="SMIC")
    with pytest.raises(DomainError):
        services.copy_form(boss, fresh(Program, program.id), smic.id)
    make_application(program=program)
    with pytest.raises(DomainError, match="can no longer be replaced"):
        services.copy_form(boss, fresh(Program, program.id), earlier.id)


def test_a_library_section_gets_fresh_keys(
    english_ctx: Any, make_program: Any, manager_of: Any
) -> None:
    program = fresh(Program, make_program().id)
    boss = db.session.merge(manager_of("BIIC"))
    section = services.add_library_section(boss, program, "team")
    assert [q.key for q in section.questions] == ["team_2", "team_size", "full_time"]
    section = services.add_library_section(boss, program, "funding")
    investors = section.questions[-1]
    assert investors.condition_question.key == "raised_before"


def test_moving_a_question_across_sections_and_keeping_conditions_in_order(
    english_ctx: Any, make_program: Any, add_question: Any, manager_of: Any
) -> None:
    program = make_program()
    cnc = add_question(program, Kind.YES_NO, "Cần máy CNC?", section=0)
    follow = add_question(program, Kind.NUMBER, "Số giờ", section=0, when=(cnc, "yes"))
    boss = db.session.merge(manager_of("BIIC"))
    follow = fresh(Question, follow.id)
    with pytest.raises(DomainError, match="earlier question"):
        services.move_question(boss, follow, -1)
    db.session.rollback()
    follow = fresh(Question, follow.id)
    services.move_question(boss, follow, 1)  # past the end of the first section
    db.session.commit()
    form = services.form_of(fresh(Program, program.id))
    assert form.sections[1].questions[0].id == follow.id


# ------------------------------------------------------------------ applying


def test_hidden_follow_ups_keep_their_draft_and_are_dropped_at_submission(
    english_ctx: Any, make_program: Any, add_question: Any, make_application: Any
) -> None:
    program = make_program()
    partner = add_question(program, Kind.YES_NO, "Có nhà máy đối tác?", required=True)
    names = add_question(
        program, Kind.LONG_TEXT, "Tên nhà máy", required=True, when=(partner, "yes")
    )
    application = fresh(Application, make_application(program=program).id)
    founder = founder_of(application)
    typed = {**_default_answers(), partner.key: "yes", names.key: "Xưởng Tân Uyên"}
    save_draft(founder, application, typed)
    assert missing_parts(application) == []
    save_draft(founder, application, {**typed, partner.key: "no"})
    db.session.commit()
    assert answer(english_ctx, application.id, names.key) == "Xưởng Tân Uyên"  # kept
    submit_draft(
        founder,
        fresh(Application, application.id),
        {**typed, partner.key: "no"},
    )
    db.session.commit()
    assert answer(english_ctx, application.id, names.key) is None  # not part of the submission


def _default_answers() -> dict[str, str]:
    from tests.applications.fixtures import ANSWERS

    return {**ANSWERS, "funding_need_vnd": "1.000.000"}


def test_submitting_names_each_missing_required_answer(
    english_ctx: Any, make_program: Any, add_question: Any, make_application: Any
) -> None:
    program = make_program()
    plan = add_question(program, Kind.FILE, "Kế hoạch kinh doanh", required=True)
    application = fresh(Application, make_application(program=program).id)
    outcome = submit_draft(founder_of(application), application, _default_answers())
    assert not outcome.submitted and "Kế hoạch kinh doanh" in outcome.refusal
    missing = missing_parts(application)
    assert [(m.label, m.anchor) for m in missing] == [("Kế hoạch kinh doanh", f"q-{plan.key}")]


def test_answers_are_typed_and_choices_are_rows(
    english_ctx: Any, make_program: Any, add_question: Any, make_application: Any
) -> None:
    program = make_program()
    machines = add_question(program, Kind.MULTIPLE_CHOICE, "Thiết bị", choices=("CNC", "Laser"))
    area = add_question(program, Kind.NUMBER, "Diện tích xưởng (m²)")
    application = fresh(Application, make_application(program=program).id)
    values = [c.value for c in machines.choices]
    save_draft(founder_of(application), application, {machines.key: values, area.key: "1.250,5"})
    db.session.commit()
    row = db.session.scalars(select(Answer).where(Answer.question_id == area.id)).one()
    assert row.value_number == 1250.5 and row.value_text is None
    chosen = answer(english_ctx, application.id, machines.key)
    assert [c.label_vi for c in chosen] == ["CNC", "Laser"]
    save_draft(founder_of(application), application, {machines.key: values[1:]})
    db.session.commit()
    assert [c.label_vi for c in answer(english_ctx, application.id, machines.key)] == ["Laser"]


def test_deleting_a_file_question_removes_the_drafts_files_once_it_commits(
    english_ctx: Any, make_program: Any, add_question: Any, make_application: Any, manager_of: Any
) -> None:
    import io

    from incubator import files
    from incubator.files import minimal_pdf
    from incubator.storage import storage

    program = make_program()
    plan = add_question(program, Kind.FILE, "Kế hoạch kinh doanh", label_en="Business plan")
    draft = fresh(Application, make_application(program=program).id)
    run(
        upload_answer_file,
        founder_of(draft),
        draft,
        fresh(Question, plan.id),
        Upload(io.BytesIO(minimal_pdf("Plan")), "plan.pdf"),
    )
    stored = db.session.scalar(select(Answer.file_name).where(Answer.question_id == plan.id))
    key = files.key(ANSWER_FILES, stored)
    assert storage().exists(key)
    boss = db.session.merge(manager_of("BIIC"))
    with pytest.raises(RuntimeError), db.transaction():  # a deletion that fails keeps the file
        services.delete_question(boss, fresh(Question, plan.id))
        raise RuntimeError("the transaction fails after the deletion")
    assert storage().exists(key)
    run(services.delete_question, boss, fresh(Question, plan.id))
    assert not storage().exists(key)
    assert db.session.scalar(select(Answer.id).where(Answer.question_id == plan.id)) is None
