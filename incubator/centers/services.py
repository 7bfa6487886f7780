from __future__ import annotations

from sqlalchemy import select

from incubator.centers.models import Center
from incubator.db import db


def all_centers() -> list[Center]:
    return list(db.session.scalars(select(Center).order_by(Center.code)))
