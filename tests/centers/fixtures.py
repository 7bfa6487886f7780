"""Centers in tests: BIIC and SMIC come with the first migration and stay between tests."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from incubator.centers.models import Center
from tests.conftest import app_session


def center_id(app: Flask, code: str) -> int:
    """The id of the center with `code` ("BIIC" or "SMIC")."""
    with app_session(app) as session:
        return session.scalar(select(Center.id).where(Center.code == code))
