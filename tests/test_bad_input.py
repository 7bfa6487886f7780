"""Bad input is refused at the edge with a 400, never a 500 (issue 29, finding 5): NUL
characters anywhere, JSON nested too deeply, multipart parts without a name; and the two
forms that trusted what they received (a program's criteria, the open-data switch)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from incubator import create_app
from incubator.accounts.models import Role
from incubator.edge import MAX_JSON_DEPTH, json_depth_exceeds

NUL_MESSAGE_VI = "Yêu cầu chứa ký tự NUL"


def api_error(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    return error


def error_page(response: Any) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and 'class="error-page"' in html
    return html


# ---------------------------------------------------------------------- NUL


def test_a_nul_in_the_query_string_is_refused_before_any_query(client: Any) -> None:
    """On PostgreSQL these were psycopg.DataError (500), as anonymous."""
    error = api_error(client.get("/api/v1/stats?center=%00"))
    assert error["code"] == "bad_request" and error["fields"] == {"center": error["message"]}
    assert "NUL" in error["message"]
    assert NUL_MESSAGE_VI in error_page(client.get("/calls?sort=nonsense&center=%00"))
    assert NUL_MESSAGE_VI in error_page(client.get("/calls?q%00=1"))


def test_a_nul_in_the_path_or_a_header_is_refused(client: Any) -> None:
    assert NUL_MESSAGE_VI in error_page(client.get("/calls/%00"))
    api_error(client.get("/api/v1/programs/%00"))
    assert NUL_MESSAGE_VI in error_page(client.get("/", headers={"X-Note": "a\x00b"}))
    api_error(client.get("/api/v1/programs", headers={"Accept-Language": "vi\x00"}))


def test_a_nul_in_a_form_field_is_refused_in_the_users_language(
    app: Flask, make_user: Any, login: Any
) -> None:
    client = app.test_client()
    html = error_page(client.post("/login", data={"email": "a\x00@example.test", "password": "x"}))
    assert NUL_MESSAGE_VI in html
    english = login(make_user(Role.FOUNDER, locale="en"))
    html = error_page(english.post("/startups/new", data={"name": "Nông\x00Trại"}))
    assert "The request contains a NUL character" in html


def test_a_nul_in_an_uploaded_file_name_is_refused(app: Flask) -> None:
    from io import BytesIO

    data = {"deck": (BytesIO(b"%PDF-1.4"), "deck\x00.pdf")}
    response = app.test_client().post("/login", data=data, content_type="multipart/form-data")
    assert NUL_MESSAGE_VI in error_page(response)


def test_a_nul_at_any_depth_of_a_json_body_is_refused(
    client: Any, make_token: Any, manager_of: Any
) -> None:
    headers = {"Authorization": f"Bearer {make_token(manager_of('BIIC'))}"}
    error = api_error(client.post("/api/v1/reports", json={"center": "a\x00b"}, headers=headers))
    assert "center" in error["fields"]
    deep = {"kind": "center", "parameters": [{"x": {"y": ["ok", "a\x00"]}}]}
    error = api_error(client.post("/api/v1/reports", json=deep, headers=headers))
    assert "parameters.0.x.y.1" in error["fields"]
    error = api_error(client.post("/api/v1/reports", json={"a\x00": 1}, headers=headers))
    error = api_error(client.post("/api/v1/startups", json=["\x00"], headers=headers))


# --------------------------------------------------------------- JSON depth


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b"[" * (MAX_JSON_DEPTH + 1), True),
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b'{"a":' * (MAX_JSON_DEPTH + 1), True),
        (b'["' + b"[" * 1000 + b'"]', False),  # brackets inside a string do not nest
        (b'["\\"' + b"[" * 1000 + b'"]', False),  # nor after an escaped quote
        (b'["\\\\"' + b", [" * 100, True),  # an escaped backslash ends the string
        (b'"' + b"[" * 1000, False),  # an unterminated string: invalid, nothing nests
        (b"[]" * 100_000, False),
    ],
)
def test_json_depth_is_counted_outside_strings(body: bytes, deep: bool) -> None:
    assert json_depth_exceeds(body) is deep
    if not deep:
        with contextlib.suppress(ValueError):  # invalid JSON: the parser's to refuse
            json.loads(body)  # (no RecursionError)


def test_an_escaped_quote_run_is_counted_in_linear_time() -> None:
    """A string that never ends after many escaped quotes: no backtracking blow-up."""
    import time

    started = time.perf_counter()
    assert not json_depth_exceeds(b'["' + b'\\"' * 2_000_000)
    assert time.perf_counter() - started < 5


def json_operations(app: Flask) -> list[tuple[str, str]]:
    """Every API operation that takes a JSON body, with 1 for each id in its path."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                url = path
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path":
                        url = url.replace("{" + parameter["name"] + "}", "1")
                found.append((method.upper(), url))
    return found


def test_deeply_nested_json_is_a_400_on_every_json_operation(
    app: Flask, make_token: Any, make_user: Any
) -> None:
    """100,000 `[` were a RecursionError (500) on all of them."""
    operations = json_operations(app)
    assert len(operations) >= 9
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token(make_user(Role.ADMIN))}"}
    for method, url in operations:
        response = client.open(
            url, method=method, data="[" * 100_000, content_type="application/json", headers=headers
        )
        error = api_error(response)
        assert str(MAX_JSON_DEPTH) in error["message"], (method, url)


def test_deeply_nested_json_is_a_400_on_the_judges_score_page(
    app: Flask, make_demo_day: Any, login: Any
) -> None:
    planned = make_demo_day(status="live")
    response = login(planned.judges[0]).post(
        f"/demo-days/{planned.demo_day_id}/scores",
        data="[" * 100_000,
        content_type="application/json",
    )
    assert response.status_code == 400


# ---------------------------------------------------------------- multipart


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    """Flask-WTF's CSRF check is the one that read the nameless part (`None.endswith`)."""
    from incubator.db import db
    from tests.conftest import _empty_tables

    app = create_app(
        "testing", DATABASE_URL=database_url, WTF_CSRF_ENABLED=True, UPLOAD_DIR=tmp_path
    )
    yield app
    _empty_tables(app)
    db.engine(app).dispose()


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nx",
        b'Content-Disposition: form-data; filename="deck.pdf"\r\n\r\n%PDF-1.4',
    ],
)
def test_a_multipart_part_without_a_name_is_a_400(csrf_app: Flask, part: bytes) -> None:
    body = b"--b\r\n" + part + b"\r\n--b--\r\n"
    client = csrf_app.test_client()
    for path in ("/login", "/startups/new", "/api/v1/startups"):
        response = client.post(path, data=body, content_type="multipart/form-data; boundary=b")
        assert response.status_code == 400, path
    assert "không có tên" in error_page(
        client.post("/login", data=body, content_type="multipart/form-data; boundary=b")
    )


# -------------------------------------------------- forms that trusted their input


def test_a_program_edit_without_criterion_ids_saves_or_refuses(
    app: Flask, make_program: Any, manager_of: Any, login: Any
) -> None:
    """Without `criteria-N-id` the row's id was the object's int: AttributeError (500)."""
    from tests.programs.test_views import program_form

    program = make_program()
    client = login(manager_of("BIIC"))
    form = program_form(center_id=str(program.center_id))
    response = client.post(f"/manage/programs/{program.id}/edit", data=form)
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("center", ["0", "²", "١", "99999", "-1", "x"])
def test_the_open_data_switch_refuses_a_center_that_is_none(
    app: Flask, make_user: Any, login: Any, center: str
) -> None:
    """center=0 was an AssertionError, non-ASCII digits a ValueError (500)."""
    client = login(make_user(Role.ADMIN))
    response = client.post("/webhooks/open-data", data={"center": center, "public": "1"})
    assert response.status_code == 404


def test_the_open_data_switch_still_switches(
    app: Flask, make_user: Any, login: Any, make_program: Any
) -> None:
    from incubator.api.stats import is_public_id

    program = make_program()
    client = login(make_user(Role.ADMIN))
    data = {"center": str(program.center_id), "public": "1"}
    assert client.post("/webhooks/open-data", data=data).status_code == 302
    with app.app_context():
        assert is_public_id(program.center_id)
