"""Training certificates: for a machine or for a category at a center, granted, renewed
and revoked by the staff, checked when booking, announced before they expire."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from incubator import audit
from incubator.accounts.models import User
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.fablab.common import LIST_LIMIT, local_day, require_staff, staff_of
from incubator.fablab.models import Certificate, Lab, Machine, MachineCategory
from incubator.i18n import format_date
from incubator.mail import queue_email
from incubator.scheduler import first_time

CERTIFICATE_WARNING_DAYS = 14


def managed_certificate(actor: Any, certificate_id: int) -> Certificate:
    """A certificate of the actor's center (its machine's, or its category's center)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not staff_of(actor, certificate.center_of):
        raise NotFound("certificate")
    return certificate


def valid_certificate(user: User, machine: Machine, day: date) -> Certificate | None:
    return next((c for c in _certificates_for(user, machine) if c.valid_on(day)), None)


def _certificates_for(user: User, machine: Machine) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(
                Certificate.user_id == user.id,
                or_(
                    Certificate.machine_id == machine.id,
                    # a category certificate opens the machines of its own center only
                    and_(
                        Certificate.category == machine.category,
                        Certificate.center_id == machine.lab.center_id,
                    ),
                ),
            )
        )
    )


def grant_certificate(
    actor: User,
    user: User,
    machine: Machine | None,
    category: MachineCategory | None,
    expires_on: date | None,
    today: date | None = None,
    center_id: int | None = None,
) -> Certificate:
    """Grant (or renew) a user's certificate for a machine, or for a whole category at a
    center (`center_id`, the manager's own by default): staff grant for their center only."""
    if machine is not None:
        require_staff(actor, machine.lab)
        center_id = None
    else:
        center_id = center_id or actor.managed_center_id
        if center_id is None and actor.is_admin:
            raise DomainError(_("Choose a machine or a category."), field="target")
        if center_id is None or not staff_of(actor, center_id):
            raise NotFound("center")
    if (machine is None) == (category is None):
        raise DomainError(_("Choose a machine or a category."), field="target")
    today = today or local_day(utcnow())
    if expires_on is not None and expires_on < today:
        raise DomainError(_("The expiry date is in the past."), field="expires_on")
    if not user.active:
        raise DomainError(_("This account is deactivated."), field="email")
    target = (
        Certificate.machine_id == machine.id
        if machine is not None
        else and_(Certificate.category == category, Certificate.center_id == center_id)
    )
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.user_id == user.id, target)
    )
    if certificate is None:
        certificate = Certificate(
            user_id=user.id,
            machine_id=machine.id if machine is not None else None,
            category=None if machine is not None else category,
            center_id=center_id,
            granted_by_id=actor.id,
        )
        add_unique(certificate, DomainError(_("This certificate was just granted.")))
    certificate.expires_on = expires_on
    certificate.granted_by_id = actor.id
    certificate.granted_at = utcnow()
    db.session.flush()
    audit.record(actor, "fablab.certificate_granted", certificate, user=user.id)
    return certificate


def revoke_certificate(actor: User, certificate: Certificate) -> None:
    if not staff_of(actor, certificate.center_of):
        raise NotFound("certificate")
    audit.record(actor, "fablab.certificate_revoked", certificate, user=certificate.user_id)
    db.session.delete(certificate)
    db.session.flush()


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.expires_on.asc().nulls_last(), Certificate.id)
        )
    )


def recent_certificates(actor: Any, limit: int = LIST_LIMIT) -> list[Certificate]:
    """The latest certificates of the actor's center (every center for administrators)."""
    statement = select(Certificate).order_by(Certificate.granted_at.desc(), Certificate.id.desc())
    if not actor.is_admin:
        center_id = actor.managed_center_id
        if center_id is None:
            return []
        machines = (
            select(Machine.id).join(Lab, Lab.id == Machine.lab_id).where(Lab.center_id == center_id)
        )
        statement = statement.where(
            or_(Certificate.center_id == center_id, Certificate.machine_id.in_(machines))
        )
    return list(db.session.scalars(statement.limit(limit)))


def user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise DomainError(_("No account has this email address."), field="email")
    return user


def check_certificate(user: User, machine: Machine, day: date) -> None:
    if not machine.training_required:
        return
    certificates = _certificates_for(user, machine)
    if any(c.valid_on(day) for c in certificates):
        return
    if certificates:
        expired = max(c.expires_on for c in certificates if c.expires_on is not None)
        raise DomainError(
            _(
                "Your training certificate for %(machine)s expired on %(date)s: ask the lab's "
                "staff to renew it.",
                machine=machine.name,
                date=format_date(expired),
            ),
            code="not_certified",
        )
    raise DomainError(
        _(
            "%(machine)s needs a training certificate, and you have none: ask the lab's staff "
            "for the training.",
            machine=machine.name,
        ),
        code="not_certified",
    )


def certificate_reminders(now: datetime | None = None) -> int:
    """The scheduled job: tell each holder once that their certificate expires within 14 days."""
    today = local_day(now or utcnow())
    sent = 0
    with db.transaction():
        expiring = db.session.scalars(
            select(Certificate).where(
                Certificate.expires_on.between(
                    today, today + timedelta(days=CERTIFICATE_WARNING_DAYS)
                )
            )
        ).all()
        for certificate in expiring:
            period = certificate.expires_on.isoformat() if certificate.expires_on else ""
            if certificate.user.active and first_time(
                "fablab.certificate_expiry", certificate.id, period
            ):
                queue_email(
                    certificate.user, "fablab_certificate_expiring", certificate=certificate
                )
                sent += 1
    return sent
