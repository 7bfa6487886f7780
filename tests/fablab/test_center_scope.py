"""Fablab powers end at the center (issue 29, finding 1): every Fablab route that takes an id,
called by each role with the ids of another center's objects (SMIC staff against BIIC's lab,
machine, maintenance block, booking, startup and certificates), answers 404 (or 403 for a
role without staff rights) and changes nothing; lists and panels show the own center only;
a category certificate is per center. Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.db import db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.fablab.bookings import book
from incubator.fablab.certificates import (
    grant_certificate,
    managed_certificate,
    recent_certificates,
    revoke_certificate,
    valid_certificate,
)
from incubator.fablab.common import local_day
from incubator.fablab.maintenance import block_machine
from incubator.fablab.models import (
    Booking,
    BookingStatus,
    Certificate,
    Lab,
    LabDay,
    LabStartup,
    Machine,
    MachineCategory,
    MaintenanceBlock,
)
from incubator.fablab.noshows import mark_no_shows, no_show_counts, reset_no_shows, staffed_startup
from incubator.i18n import to_local
from incubator.startups.models import Startup
from tests.api.fixtures import error_code
from tests.centers.fixtures import center_id
from tests.conftest import app_session
from tests.fablab.fixtures import at, booking, open_day


@dataclass
class Biic:
    lab_id: int
    machine_id: int
    block_id: int
    booking_id: int
    startup_id: int
    machine_certificate_id: int
    category_certificate_id: int
    founder: User
    manager: User


@pytest.fixture
def biic(app: Flask, make_machine: Any, make_founder: Any, manager_of: Any) -> Biic:
    """BIIC's lab, laser cutter (training required), a maintenance block, a founder's booking,
    their certificates (the machine and the category, granted by BIIC's manager) and two
    no-shows of their startup at BIIC."""
    machine = make_machine(training=True, category=MachineCategory.LASER_CUTTER, name="Laser")
    founder = make_founder()
    manager = manager_of("BIIC")
    with app_session(app) as session:
        staff = session.get(User, manager.id)
        user = session.get(User, founder.user.id)
        item = session.get(Machine, machine.id)
        by_machine = grant_certificate(staff, user, item, None, None)
        by_category = grant_certificate(staff, user, None, MachineCategory.LASER_CUTTER, None)
        day = open_day(item.lab, 2)
        made = book(user, item, booking(at(day, 9), 60, founder.startup_id))
        block, _cancelled = block_machine(staff, item, at(day, 14), at(day, 15), "Thay ống laser")
        session.add(LabStartup(startup_id=founder.startup_id, center_id=item.lab.center_id))
        session.flush()
        session.get(LabStartup, (founder.startup_id, item.lab.center_id)).no_shows = 2
        session.commit()
        return Biic(
            lab_id=item.lab_id,
            machine_id=item.id,
            block_id=block.id,
            booking_id=made.id,
            startup_id=founder.startup_id,
            machine_certificate_id=by_machine.id,
            category_certificate_id=by_category.id,
            founder=founder.user,
            manager=manager,
        )


def _routes(b: Biic) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, form) of every Fablab route with an id, filled with BIIC's ids."""
    day = "01/01/2030"
    return [
        ("GET", f"/fablab/labs/{b.lab_id}/edit", {}),
        ("POST", f"/fablab/labs/{b.lab_id}/edit", {"name": "Chiếm", "horizon_days": "30"}),
        ("GET", f"/fablab/labs/{b.lab_id}/days", {}),
        ("POST", f"/fablab/labs/{b.lab_id}/days", {"day": day, "state": "closed", "note": "x"}),
        ("GET", f"/fablab/labs/{b.lab_id}/today", {}),
        ("GET", f"/fablab/labs/{b.lab_id}/machines/new", {}),
        ("POST", f"/fablab/labs/{b.lab_id}/machines/new", {"name": "Máy lạ"}),
        ("GET", f"/fablab/machines/{b.machine_id}/edit", {}),
        ("POST", f"/fablab/machines/{b.machine_id}/edit", {"name": "Đổi tên"}),
        ("POST", f"/fablab/machines/{b.machine_id}/status", {"status": "retired"}),
        ("GET", f"/fablab/machines/{b.machine_id}/maintenance", {}),
        ("POST", f"/fablab/machines/{b.machine_id}/maintenance", {"reason": "x"}),
        ("POST", f"/fablab/blocks/{b.block_id}/delete", {}),
        ("GET", f"/fablab/bookings/{b.booking_id}/move", {}),
        ("POST", f"/fablab/bookings/{b.booking_id}/move", {"day": day, "start": "10:00"}),
        ("POST", f"/fablab/bookings/{b.booking_id}/cancel", {"reason": "x"}),
        ("POST", f"/fablab/bookings/{b.booking_id}/checkin", {}),
        ("POST", f"/fablab/startups/{b.startup_id}/no-shows/reset", {}),
        ("POST", f"/fablab/certificates/{b.machine_certificate_id}/revoke", {}),
        ("POST", f"/fablab/certificates/{b.category_certificate_id}/revoke", {}),
    ]


# the routes with an id that anyone logged in may use on any center's object: the labs are
# shared, so a machine's page, its photos and its booking form are open to every user
SHARED = {"/fablab/machines/<id>", "/fablab/machines/<id>/photo/<id>", "/fablab/machines/<id>/book"}


def test_every_fablab_route_with_an_id_is_in_the_table(app: Flask) -> None:
    ids = Biic(1, 2, 3, 4, 5, 6, 7, None, None)  # type: ignore[arg-type]
    listed = {re.sub(r"\d+", "<id>", path) for _method, path, _form in _routes(ids)}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("fablab.") or not rule.arguments:
            continue
        path = re.sub(r"<(int:)?\w+>", "<id>", rule.rule)
        if path in SHARED:
            continue
        assert path in listed, f"{rule.rule} is not checked across centers"


def _snapshot(app: Flask, b: Biic) -> dict[str, Any]:
    """What the routes could change on BIIC's side."""
    with app_session(app) as session:
        lab = session.get(Lab, b.lab_id)
        machine = session.get(Machine, b.machine_id)
        made = session.get(Booking, b.booking_id)
        return {
            "lab": (lab.name, lab.horizon_days, len(lab.hours)),
            "days": session.scalar(select(func.count()).select_from(LabDay)),
            "machines": session.scalar(select(func.count()).select_from(Machine)),
            "machine": (machine.name, machine.status),
            "blocks": session.scalar(select(func.count()).select_from(MaintenanceBlock)),
            "booking": (made.status, made.starts_at, made.checked_in_at),
            "no_shows": session.get(LabStartup, (b.startup_id, lab.center_id)).no_shows,
            "certificates": sorted(session.scalars(select(Certificate.id))),
        }


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("smic manager", {404}),
        ("founder", {403, 404}),  # staff routes: 403; another's booking: 404
        ("mentor", {403, 404}),
    ],
)
def test_another_centers_fablab_objects_are_not_found_and_unchanged(
    app: Flask, biic: Biic, make_user: Any, manager_of: Any, login: Any, role: str, allowed: set
) -> None:
    actor = {
        "smic manager": lambda: manager_of("SMIC"),
        "founder": lambda: make_user(Role.FOUNDER),
        "mentor": lambda: make_user(Role.MENTOR, center="SMIC"),
    }[role]()
    client = login(actor)
    before = _snapshot(app, biic)
    for method, path, form in _routes(biic):
        response = client.open(path, method=method, data=form)
        assert response.status_code in allowed, (method, path, response.status_code)
    assert _snapshot(app, biic) == before


def test_the_own_centers_manager_may_do_what_the_other_may_not(
    app: Flask, biic: Biic, login: Any
) -> None:
    """The same requests from BIIC's manager pass the loaders (the table tests the scope, not
    a route that is closed to everyone)."""
    client = login(biic.manager)
    for method, path, _form in _routes(biic):
        if method == "GET":
            assert client.get(path).status_code in (200, 302), path  # 302: a form's token
    revoked = client.post(f"/fablab/certificates/{biic.category_certificate_id}/revoke")
    assert revoked.status_code == 302
    reset = client.post(f"/fablab/startups/{biic.startup_id}/no-shows/reset")
    assert reset.status_code == 302
    with app_session(app) as session:
        assert session.get(Certificate, biic.category_certificate_id) is None
        lab = session.get(Lab, biic.lab_id)
        assert session.get(LabStartup, (biic.startup_id, lab.center_id)).no_shows == 0


def test_smic_cannot_grant_a_certificate_usable_at_biic(
    app: Flask, biic: Biic, make_founder: Any, manager_of: Any, login: Any, api: Any
) -> None:
    """The finding: SMIC's manager grants `c:laser_cutter` to a BIIC founder, who then books
    BIIC's laser cutter. Now the certificate is SMIC's, and BIIC's machine still refuses."""
    other = make_founder()
    smic = login(manager_of("SMIC"))
    granted = smic.post(
        "/fablab/certificates",
        data={"email": other.user.email, "target": "c:laser_cutter", "expires_on": ""},
    )
    assert granted.status_code == 302
    with app_session(app) as session:
        made = session.scalar(select(Certificate).where(Certificate.user_id == other.user.id))
        assert made.center_id == center_id(app, "SMIC")
    # nor a certificate for BIIC's machine (not among SMIC's choices), nor for BIIC's center
    for target in (f"m:{biic.machine_id}", f"c:laser_cutter@{center_id(app, 'BIIC')}"):
        refused = smic.post(
            "/fablab/certificates",
            data={"email": other.user.email, "target": target, "expires_on": ""},
        )
        assert refused.status_code == 200, target
    with app_session(app) as session:
        mine = select(func.count()).select_from(Certificate)
        assert session.scalar(mine.where(Certificate.user_id == other.user.id)) == 1
        day = open_day(biic.lab_id, 3)
    answer = api(other.user).post(
        "/api/v1/bookings",
        json={
            "equipment_id": biic.machine_id,
            "startup_id": other.startup_id,
            "starts_at": to_local(at(day, 10)).isoformat(),
            "ends_at": to_local(at(day, 11)).isoformat(),
            "purpose": "Cắt mica",
        },
    )
    assert answer.status_code == 422, answer.get_json()
    assert error_code(answer) == "not_certified"


def test_lists_and_panels_show_the_own_center_only(
    app: Flask, biic: Biic, manager_of: Any, make_user: Any, login: Any
) -> None:
    smic = login(manager_of("SMIC"))
    certificates = smic.get("/fablab/certificates").get_data(as_text=True)
    assert f"/fablab/certificates/{biic.machine_certificate_id}/revoke" not in certificates
    assert f"/fablab/certificates/{biic.category_certificate_id}/revoke" not in certificates
    labs = smic.get("/fablab/").get_data(as_text=True)
    assert f"/fablab/startups/{biic.startup_id}/no-shows/reset" not in labs
    utilization = smic.get("/fablab/utilization").get_data(as_text=True)
    assert f'value="{biic.lab_id}"' not in utilization
    own = login(biic.manager)
    assert f"/fablab/certificates/{biic.category_certificate_id}/revoke" in own.get(
        "/fablab/certificates"
    ).get_data(as_text=True)
    assert f"/fablab/startups/{biic.startup_id}/no-shows/reset" in own.get("/fablab/").get_data(
        as_text=True
    )
    admin = login(make_user(Role.ADMIN))
    page = admin.get("/fablab/").get_data(as_text=True)
    assert f"/fablab/startups/{biic.startup_id}/no-shows/reset" in page
    reset = admin.post(
        f"/fablab/startups/{biic.startup_id}/no-shows/reset",
        data={"center_id": str(center_id(app, "BIIC"))},
    )
    assert reset.status_code == 302


# ------------------------------------------------------------------ services


def test_services_refuse_another_centers_staff(app: Flask, biic: Biic, manager_of: Any) -> None:
    smic_id = manager_of("SMIC").id
    with app.app_context():
        smic = db.session.get(User, smic_id)
        certificate = db.session.get(Certificate, biic.category_certificate_id)
        startup = db.session.get(Startup, biic.startup_id)
        with pytest.raises(NotFound):
            managed_certificate(smic, biic.category_certificate_id)
        with pytest.raises(NotFound):
            managed_certificate(smic, biic.machine_certificate_id)
        with pytest.raises(NotFound):
            revoke_certificate(smic, certificate)
        with pytest.raises(NotFound):
            staffed_startup(smic, biic.startup_id)
        with pytest.raises(NotFound):
            reset_no_shows(smic, startup)
        with pytest.raises(NotFound):
            reset_no_shows(smic, startup, center_id(app, "BIIC"))
        with pytest.raises(NotFound):
            grant_certificate(
                smic,
                db.session.get(User, biic.founder.id),
                None,
                MachineCategory.CNC,
                None,
                center_id=center_id(app, "BIIC"),
            )
        assert recent_certificates(smic) == []
        assert no_show_counts(smic) == []
        db.session.rollback()


def test_a_category_certificate_opens_its_own_centers_machines_only(
    app: Flask, make_machine: Any, make_lab: Any, make_founder: Any, manager_of: Any
) -> None:
    smic_laser = make_machine(
        lab=make_lab(center="SMIC"),
        training=True,
        category=MachineCategory.LASER_CUTTER,
        name="Laser SMIC",
    )
    biic_laser = make_machine(training=True, category=MachineCategory.LASER_CUTTER)
    founder = make_founder()
    with app.app_context():
        user = db.session.get(User, founder.user.id)
        smic = db.session.get(User, manager_of("SMIC").id)
        grant_certificate(smic, user, None, MachineCategory.LASER_CUTTER, None)
        db.session.commit()
        smic_machine = db.session.get(Machine, smic_laser.id)
        biic_machine = db.session.get(Machine, biic_laser.id)
        today = local_day(utcnow())
        assert valid_certificate(user, smic_machine, today) is not None
        assert valid_certificate(user, biic_machine, today) is None
        day = open_day(biic_machine.lab, 2)
        with pytest.raises(DomainError) as refused:
            book(user, biic_machine, booking(at(day, 9), 60, founder.startup_id))
        assert refused.value.code == "not_certified"
        db.session.rollback()


def test_no_shows_count_and_suspend_per_center(
    app: Flask, make_machine: Any, make_lab: Any, make_founder: Any, manager_of: Any
) -> None:
    """No-shows at BIIC suspend booking at BIIC, not at SMIC, and only BIIC's staff lift it."""
    biic_machine = make_machine(lab=make_lab(no_show_limit=1))
    smic_machine = make_machine(lab=make_lab(center="SMIC", no_show_limit=1), name="In SMIC")
    founder = make_founder()
    with app.app_context():
        user = db.session.get(User, founder.user.id)
        machine = db.session.get(Machine, biic_machine.id)
        day = open_day(machine.lab, 1)
        made = book(user, machine, booking(at(day, 9), 60, founder.startup_id))
        db.session.commit()
        assert mark_no_shows(made.starts_at + timedelta(minutes=20)) == 1
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Booking, made.id).status is BookingStatus.NO_SHOW
        biic, smic = center_id(app, "BIIC"), center_id(app, "SMIC")
        assert db.session.get(LabStartup, (founder.startup_id, biic)).no_shows == 1
        assert db.session.get(LabStartup, (founder.startup_id, smic)) is None
        later = open_day(machine.lab, 3)
        with pytest.raises(DomainError) as refused:
            book(user, machine, booking(at(later, 9), 60, founder.startup_id))
        assert refused.value.code == "no_show_suspended"
        db.session.rollback()
        other = db.session.get(Machine, smic_machine.id)
        book(user, other, booking(at(open_day(other.lab, 3), 9), 60, founder.startup_id))
        db.session.rollback()
        startup = db.session.get(Startup, founder.startup_id)
        with pytest.raises(NotFound):
            reset_no_shows(db.session.get(User, manager_of("SMIC").id), startup)
        reset_no_shows(db.session.get(User, manager_of("BIIC").id), startup)
        db.session.commit()
        assert db.session.get(LabStartup, (founder.startup_id, biic)).no_shows == 0
