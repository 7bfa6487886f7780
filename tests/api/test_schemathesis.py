"""Schemathesis against the generated OpenAPI document, in-process (WSGI): every operation
with generated data, under tokens of several roles (a founder whose startup is incubating and
has a draft, a manager, a mentor, a read-only token): never a 5xx, and every answer matches
the schema of its status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from incubator.accounts.models import Role

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def tokens(
    make_token: Callable[..., str],
    make_founder: Any,
    make_application: Any,
    make_machine: Any,
    assigned: Any,
    manager_of: Any,
    make_user: Any,
) -> list[str]:
    founder = make_founder()
    make_application("draft")
    make_machine()
    _assignment, mentor, _founder, _startup = assigned()
    return [
        make_token(founder.user),
        make_token(manager_of("BIIC")),
        make_token(mentor),
        make_token(make_user(Role.FOUNDER), read_only=True),
        make_token(make_user(Role.ADMIN)),
    ]


def test_the_api_keeps_its_document(app: Flask, tokens: list[str]) -> None:
    """(One test that walks the operations: schemathesis' pytest loader does not run on
    this pytest; `as_strategy` is the same generation.)"""
    app.extensions["api_limiter"].enabled = False
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: set[int] = set()
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            for token in tokens:
                response = case.call_and_validate(
                    headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
                )
                seen.add(response.status_code)

        check()
    # the generated requests reached the services, not only the validation
    assert {200, 201, 404, 422} <= seen, seen
