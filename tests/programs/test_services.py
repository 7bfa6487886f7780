from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from incubator.accounts.models import Role
from incubator.applications.stages import Stage
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.errors import DomainError, Forbidden, NotFound
from incubator.programs import services
from incubator.programs.models import ProgramKind, ProgramStatus
from incubator.programs.services import CriterionData, ProgramData
from tests.centers.fixtures import center_id


def _data(app: Any, center: str = "BIIC", **changes: Any) -> ProgramData:
    now = datetime.now(UTC)
    values = {
        "center_id": center_id(app, center),
        "name_vi": "Ươm tạo 2027",
        "name_en": "Incubation 2027",
        "kind": ProgramKind.INCUBATION,
        "description_vi": "Sáu tháng ươm tạo",
        "description_en": "Six months of incubation",
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
        "starts_on": date(2027, 1, 15),
        "ends_on": date(2027, 7, 15),
        "capacity": 8,
        "criteria": [CriterionData("Đội ngũ", "", 2, 10), CriterionData("Thị trường", "", 1, 5)],
    }
    values.update(changes)
    return ProgramData(**values)


def test_a_manager_creates_a_draft_program_with_its_rubric(ctx: Any, make_user: Any) -> None:
    manager = make_user(Role.MANAGER, center="BIIC")
    program = services.create_program(manager, _data(ctx))
    db.session.commit()
    assert program.status is ProgramStatus.DRAFT
    assert [(c.name, c.weight, c.max_score) for c in program.criteria] == [
        ("Đội ngũ", 2, 10),
        ("Thị trường", 1, 5),
    ]
    assert not program.is_open()  # drafts are not open calls
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == program.id))


def test_a_manager_cannot_create_for_the_other_center(ctx: Any, make_user: Any) -> None:
    manager = make_user(Role.MANAGER, center="BIIC")
    with pytest.raises(Forbidden):
        services.create_program(manager, _data(ctx, center="SMIC"))


def test_an_admin_creates_for_any_center(ctx: Any, make_user: Any) -> None:
    admin = make_user(Role.ADMIN)
    program = services.create_program(admin, _data(ctx, center="SMIC"))
    assert program.center_id == center_id(ctx, "SMIC")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": datetime(2020, 1, 1, tzinfo=UTC)}, "closes_at"),
        ({"opens_at": None}, "opens_at"),
        ({"closes_at": None}, "closes_at"),
        ({"capacity": None}, "capacity"),
        ({"starts_on": (datetime.now(UTC) + timedelta(days=10)).date()}, "starts_on"),
        (
            {
                "opens_at": datetime.now(UTC) - timedelta(days=60),
                "closes_at": datetime.now(UTC) - timedelta(minutes=1),
            },
            "closes_at",
        ),
        ({"ends_on": date(2026, 1, 1)}, "ends_on"),
        ({"capacity": 0}, "capacity"),
        ({"criteria": []}, "criteria"),
        (
            {"criteria": [CriterionData("Đội ngũ", "", 1, 5), CriterionData("đội ngũ", "", 1, 5)]},
            "criteria",
        ),
    ],
)
def test_invalid_programs_are_refused_naming_the_field(
    ctx: Any, make_user: Any, changes: dict, field: str
) -> None:
    manager = make_user(Role.MANAGER, center="BIIC")
    with pytest.raises(DomainError) as error:
        services.create_program(manager, _data(ctx, **changes))
    assert error.value.field == field


def test_the_rubric_can_be_reworded_but_not_reweighted_once_scored(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    from incubator.reviews import services as reviews
    from incubator.reviews.services import ScoreInput

    application = make_application(Stage.SUBMITTED)
    program = application.program
    manager = manager_of("BIIC")
    mentor = make_user(Role.MENTOR)
    review = reviews.assign(manager, application, mentor)
    reviews.declare_conflict(mentor, review, False)
    reviews.save_scores(mentor, review, {c.id: ScoreInput(1) for c in program.criteria})
    db.session.commit()

    kept = [
        CriterionData(c.name + " (mới)", "mô tả", c.weight, c.max_score, id=c.id)
        for c in program.criteria
    ]
    services.update_program(manager, program, _data(ctx, criteria=kept))
    db.session.commit()
    assert program.criteria[0].name.endswith("(mới)")

    reweighted = [
        CriterionData(c.name, "", c.weight + 1, c.max_score, id=c.id) for c in program.criteria
    ]
    with pytest.raises(DomainError) as error:
        services.update_program(manager, program, _data(ctx, criteria=reweighted))
    assert error.value.field == "criteria"
    db.session.rollback()
    dropped = [
        CriterionData(c.name, "", c.weight, c.max_score, id=c.id) for c in program.criteria[1:]
    ]
    with pytest.raises(DomainError):
        services.update_program(manager, program, _data(ctx, criteria=dropped))


def test_publishing_opens_the_call_and_unpublishing_needs_no_applications(
    ctx: Any, make_user: Any, make_program: Any, make_application: Any, manager_of: Any
) -> None:
    manager = manager_of("BIIC")
    program = make_program(published=False)
    assert not program.is_open()
    services.set_published(manager, program, True)
    assert program.is_open()
    services.set_published(manager, program, False)
    assert program.status is ProgramStatus.DRAFT
    busy = make_program()
    make_application(program=busy)
    with pytest.raises(DomainError):
        services.set_published(manager, busy, False)


def test_managed_program_hides_the_other_center(
    ctx: Any, make_user: Any, make_program: Any
) -> None:
    smic_program = make_program(center="SMIC")
    biic_manager = make_user(Role.MANAGER, center="BIIC")
    with pytest.raises(NotFound):
        services.managed_program(biic_manager, smic_program.id)
    with pytest.raises(Forbidden):
        services.set_review_closed(biic_manager, smic_program, True)


def test_visible_program_hides_drafts_from_the_public(
    ctx: Any, make_program: Any, manager_of: Any
) -> None:
    from flask_login import AnonymousUserMixin

    draft = make_program(published=False)
    with pytest.raises(NotFound):
        services.visible_program(AnonymousUserMixin(), draft.id)
    assert services.visible_program(manager_of("BIIC"), draft.id) is draft


def test_open_calls_are_published_and_inside_their_window(ctx: Any, make_program: Any) -> None:
    open_call = make_program()
    make_program(is_open=False)
    make_program(published=False)
    smic = make_program(center="SMIC")
    listed = list(db.session.scalars(services.open_calls_query()))
    assert {p.id for p in listed} == {open_call.id, smic.id}
    assert [p.id for p in db.session.scalars(services.open_calls_query(center_code="SMIC"))] == [
        smic.id
    ]


def test_managed_programs_query_is_scoped_to_the_center(
    ctx: Any, make_user: Any, make_program: Any
) -> None:
    biic = make_program(center="BIIC", name="Chương trình A")
    smic = make_program(center="SMIC")
    manager = make_user(Role.MANAGER, center="BIIC")
    admin = make_user(Role.ADMIN)
    assert [p.id for p in db.session.scalars(services.managed_programs_query(manager))] == [biic.id]
    assert {p.id for p in db.session.scalars(services.managed_programs_query(admin))} == {
        biic.id,
        smic.id,
    }
    assert (
        list(db.session.scalars(services.managed_programs_query(manager, search="không có"))) == []
    )
