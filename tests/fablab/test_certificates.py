"""Training certificates: machine, category, expiry, and the expiry reminder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.errors import DomainError
from incubator.fablab.bookings import book
from incubator.fablab.certificates import certificate_reminders, grant_certificate
from incubator.fablab.common import local_day
from incubator.fablab.models import (
    BookingStatus,
    Certificate,
    MachineCategory,
)
from incubator.i18n import format_date
from incubator.mail import OutboxMessage
from incubator.scheduler import SentMark
from tests.fablab.fixtures import at, booking, get, machine_and_founder, open_day, refused

pytestmark = pytest.mark.usefixtures("ctx", "english")


def test_training_certificates_machine_category_expired(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = machine_and_founder(
        make_machine,
        make_founder,
        training=True,
        category=MachineCategory.LASER_CUTTER,
        name="Máy cắt laser",
    )
    day = open_day(item.lab, 2)
    data = booking(at(day, 9), 60, founder.startup_id)
    refusal = refused(book, user, item, data)
    assert refusal.message == (
        "Máy cắt laser needs a training certificate, and you have none: ask the lab's staff for "
        "the training."
    )
    manager = get(User, manager_of("BIIC").id)
    today = local_day(utcnow())
    certificate = grant_certificate(
        manager, user, None, MachineCategory.LASER_CUTTER, today + timedelta(days=1)
    )
    db.session.commit()
    refusal = refused(book, user, item, data)  # expires before the booking's day
    assert refusal.message.startswith("Your training certificate for Máy cắt laser expired on")
    certificate = get(Certificate, certificate.id)
    grant_certificate(manager, user, None, MachineCategory.LASER_CUTTER, None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1  # renewed
    assert book(user, item, data).status is BookingStatus.CONFIRMED
    with pytest.raises(DomainError, match="past"):
        grant_certificate(manager, user, item, None, today - timedelta(days=1))


def test_a_machine_certificate_counts_only_for_that_machine(
    make_lab: Any, make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    lab = make_lab()
    first = make_machine(lab=lab, training=True, name="Máy CNC A", category=MachineCategory.CNC)
    second = make_machine(lab=lab, training=True, name="Máy CNC B", category=MachineCategory.CNC)
    founder = make_founder()
    user = get(User, founder.user.id)
    grant_certificate(get(User, manager_of("BIIC").id), user, first, None, None)
    day = open_day(lab, 2)
    book(user, first, booking(at(day, 9), 60, founder.startup_id))
    refusal = refused(book, user, second, booking(at(day, 9), 60, founder.startup_id))
    assert "Máy CNC B needs a training certificate" in refusal.message


def test_certificate_expiry_is_announced_once(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    founder = make_founder()
    manager = get(User, manager_of("BIIC").id)
    today = local_day(utcnow())
    grant_certificate(
        manager, get(User, founder.user.id), None, MachineCategory.CNC, today + timedelta(days=5)
    )
    grant_certificate(
        manager,
        get(User, founder.user.id),
        None,
        MachineCategory.PCB_MILL,
        today + timedelta(days=60),
    )
    db.session.commit()
    assert certificate_reminders() == 1
    assert certificate_reminders() == 0
    assert db.session.scalar(select(func.count()).select_from(SentMark)) == 1
    [email] = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.subject.contains(format_date(today + timedelta(days=5)))
        )
    ).all()
    assert email.recipient == founder.user.email
