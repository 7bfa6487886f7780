"""Demo days: the certificates of completion, issued once per graduated application,
verified by their code, downloaded and revoked."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from incubator import audit
from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.centers.models import Center
from incubator.db import add_unique, db, utcnow
from incubator.demodays.models import (
    Certificate,
    DemoDay,
)
from incubator.errors import DomainError, NotFound
from incubator.i18n import current_language


def _new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def issue_certificate(application: Application, demo_day: DemoDay, on: date) -> Certificate:
    """The certificate of a graduated startup (once per application)."""
    existing = db.session.scalar(
        select(Certificate).where(Certificate.application_id == application.id)
    )
    if existing is not None:
        return existing
    startup = application.startup
    program = application.program
    center = db.session.get(Center, program.center_id)
    certificate = Certificate(
        code=_new_code(),
        application_id=application.id,
        demo_day_id=demo_day.id,
        startup_name=startup.name,
        founders=[m.user.name for m in startup.members],
        program_name_vi=program.name_vi,
        program_name_en=program.name_en,
        center_name=center.name_vi,
        issued_on=on,
    )
    if not add_unique(certificate):
        return db.session.scalar(
            select(Certificate).where(Certificate.application_id == application.id)
        )
    return certificate


_CODE = re.compile(r"[A-Z0-9]{1,16}")


class CertificateState:
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


def certificate_by_code(code: str) -> Certificate | None:
    code = (code or "").strip().upper()
    if not _CODE.fullmatch(code):
        return None  # not a code we issue (NUL bytes and the like never reach the database)
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def readable_certificate(actor: Any, code: str) -> Certificate:
    """A certificate its startup's members and the center's managers may download."""
    certificate = certificate_by_code(code)
    if certificate is None:
        raise NotFound("certificate")
    application = certificate.application
    if not (application.startup.has_member(actor) or actor.manages(application.program.center_id)):
        raise NotFound("certificate")
    return certificate


def certificate_values(certificate: Certificate, verify_url: str) -> dict[str, Any]:
    """The plain values of the certificate's print template."""
    import segno

    qr = segno.make(verify_url, error="m")
    return {
        "lang": current_language(),
        "title": _("Certificate of completion"),
        "heading": _("Certificate of completion"),
        "certifies": _("is awarded to the startup"),
        "founders_label": _("Founders"),
        "completed": _("for completing the program %(program)s.", program=certificate.program_name),
        "issued_label": _("Issued on"),
        "code_label": _("Verification code"),
        "verify_label": _("Verify at"),
        "code": certificate.code,
        "startup_name": certificate.startup_name,
        "founders": list(certificate.founders),
        "program_name": certificate.program_name,
        "center_name": certificate.center_name,
        "issued_on": certificate.issued_on.strftime("%d/%m/%Y"),
        "verify_url": verify_url,
        "qr_svg": qr.svg_inline(scale=3, dark="#1b1b1b", omitsize=False),
        "revoked": certificate.revoked_at is not None,
    }


def revoke_certificate(actor: User, certificate: Certificate, reason: str) -> Certificate:
    if not actor.manages(certificate.application.program.center_id):
        raise NotFound("certificate")
    if certificate.revoked_at is not None:
        raise DomainError(_("This certificate is already revoked."))
    if not reason.strip():
        raise DomainError(_("Please give a reason."), field="reason")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason.strip()
    audit.record(actor, "certificate.revoked", certificate, reason=reason.strip())
    return certificate


def certificates_of(demo_day: DemoDay) -> dict[int, Certificate]:
    """The certificates of a demo day, by application id."""
    return {
        c.application_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.demo_day_id == demo_day.id)
        )
    }
