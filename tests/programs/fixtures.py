"""Program factory: make_program."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from incubator.programs.models import Program, ProgramKind, ProgramStatus, RubricCriterion
from tests.centers.fixtures import center_id
from tests.conftest import app_session

RUBRIC = (("Vấn đề và thị trường", 3, 10), ("Giải pháp", 2, 10), ("Đội ngũ", 1, 5))


@pytest.fixture
def make_program(app: Flask) -> Callable[..., Any]:
    """make_program(center="BIIC", is_open=True, published=True, capacity=10, rubric=RUBRIC)."""

    def make(
        center: str = "BIIC",
        is_open: bool = True,
        published: bool = True,
        capacity: int = 10,
        rubric: tuple[tuple[str, int, int], ...] = RUBRIC,
        name: str | None = None,
    ) -> Program:
        now = datetime.now(UTC)
        opens, closes = (
            (now - timedelta(days=5), now + timedelta(days=10))
            if is_open
            else (now - timedelta(days=60), now - timedelta(days=30))
        )
        with app_session(app) as session:
            program = Program(
                center_id=center_id(app, center),
                name_vi=name or f"Chương trình ươm tạo {uuid.uuid4().hex[:4]}",
                name_en=name or f"Incubation program {uuid.uuid4().hex[:4]}",
                kind=ProgramKind.INCUBATION,
                description_vi="Mô tả chương trình",
                opens_at=opens,
                closes_at=closes,
                capacity=capacity,
                status=ProgramStatus.PUBLISHED if published else ProgramStatus.DRAFT,
            )
            for position, (criterion, weight, max_score) in enumerate(rubric):
                program.criteria.append(
                    RubricCriterion(
                        position=position, name_vi=criterion, weight=weight, max_score=max_score
                    )
                )
            session.add(program)
            session.commit()
        return program

    return make
