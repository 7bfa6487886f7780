"""Demo step: the centers (BIIC, SMIC) come with the first migration; later steps find them here."""

from __future__ import annotations

from sqlalchemy import select

from incubator.centers.models import Center
from incubator.demo import Demo


def load(demo: Demo) -> None:
    demo.centers.update((center.code, center) for center in demo.session.scalars(select(Center)))
