"""Bad input never gives a 5xx (issue 29, finding 5): hypothesis sends odd values to every
form field of every POST route and to every API operation's parameters and body, against
the demo data (real ids), as five roles.

Forms are found by reading the pages each role can open (every GET route with the demo's
ids): each form's action and fields, with the values the page offers. The values tried:
NUL characters, very long strings, non-ASCII digits, far and impossible dates, wrong types,
missing fields, several values for one field, nameless multipart parts; for the API,
deeply nested JSON, wrong JSON types and odd `Idempotency-Key`s as well.

The default run stays short (FUZZ_EXAMPLES=300 forms, FUZZ_API_EXAMPLES=200 operations);
set those variables for a larger run. The request count is printed and recorded as the
test's `requests` property (junit): "N requests, 0 5xx".
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from incubator.demo import DEMO_PASSWORD

FORM_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
API_EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "200"))

ROLES = (
    "admin@incubator.test",
    "manager@biic.test",
    "mentor@biic.test",
    "judge@biic.test",
    "founder@biic.test",
)
# routes that would end the crawling users' own access (the rest of the run would then only
# see the login page): they are fuzzed elsewhere (tests/accounts)
KEEP_OUT = {
    "accounts.logout",
    "accounts.end_other_sessions",
    "accounts.change_password",
    "accounts.set_active",
    "accounts.revoke",
    "accounts.grant",
}
# pages not read to find forms: files, reports and feeds (slow or not HTML)
NOT_PAGES = re.compile(r"pdf|csv|xlsx|export|download|feed|\.ics|/deck|/file|/api/|static|/reports")

BAD_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "²",
    "١٢٣",
    "௧௨",
    "٣/٠٢/٢٠٢٦",
    "0",
    "-1",
    "2147483648",
    "9" * 40,
    "1e400",
    "nan",
    "inf",
    "31/02/2026",
    "29/02/2027 25:61",
    "01/01/0001 00:00",
    "31/12/9999",
    "2026-13-45T99:99:99+25:00",
    "true",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "'; DROP TABLE users; --",
    "%00",
    "../../etc/passwd",
    "\u202e\u0301",
    "𝕏" * 300,
    "x" * 100_000,
    "=1+1",
]
bad_text = st.one_of(st.sampled_from(BAD_TEXT), st.text(max_size=40), st.integers().map(str))


@dataclass
class Form:
    client: FlaskClient
    role: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


class _Forms(HTMLParser):
    """The POST forms of a page: action, fields and the values offered."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, list[str]], set[str]]] = []
        self._current: tuple[str, dict[str, list[str]], set[str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form" and attr.get("method", "").lower() == "post":
            self._current = (attr.get("action", ""), {}, set())
            self.forms.append(self._current)
            return
        if self._current is None:
            return
        _action, fields, files = self._current
        name = attr.get("name")
        if tag in ("input", "textarea", "select", "button") and name:
            fields.setdefault(name, [])
            if attr.get("value"):
                fields[name].append(attr["value"])
            if attr.get("type") == "file":
                files.add(name)
            if tag == "select":
                self._select = name
        elif tag == "option" and self._select and attr.get("value"):
            fields[self._select].append(attr["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def _example_path(rule: Any, ids: tuple[int, ...] = (1,)) -> list[str]:
    paths = []
    for number in ids:
        values = dict(rule.defaults or {})
        for argument in rule.arguments - values.keys():
            converter = rule._converters[argument]
            values[argument] = number if isinstance(converter, IntegerConverter) else "x"
        paths.append(rule.build(values)[1])
    return paths


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.pages = 0  # the GETs that found the forms
        self.errors: list[tuple[str, str, int]] = []

    def note(self, method: str, url: str, status: int, page: bool = False) -> None:
        if page:
            self.pages += 1
        else:
            self.requests += 1
        if status >= 500:
            self.errors.append((method, url[:200], status))


@pytest.fixture
def seeded(app: Flask) -> Iterator[Flask]:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    app.extensions["api_limiter"].enabled = False
    yield app


def _logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    answer = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert answer.status_code == 302, email
    return client


def _find_forms(app: Flask, tally: Tally) -> list[Form]:
    pages = [
        path
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not NOT_PAGES.search(rule.rule)
        for path in _example_path(rule)
    ]
    pages = sorted(set(pages))
    forms: dict[tuple[str, str], Form] = {}
    adapter = app.url_map.bind("localhost")
    for email in ROLES:
        client = _logged_in(app, email)
        for path in pages:
            answer = client.get(path)
            tally.note("GET", path, answer.status_code, page=True)
            if answer.status_code != 200 or answer.mimetype != "text/html":
                continue
            parser = _Forms()
            parser.feed(answer.get_data(as_text=True))
            for action, fields, files in parser.forms:
                target = urlsplit(action or path)
                try:
                    endpoint, _args = adapter.match(target.path, method="POST")
                except Exception:  # noqa: S112 (a form posting elsewhere)
                    continue
                if endpoint in KEEP_OUT:
                    continue
                # one form per route and role (the same form for another id adds nothing)
                form = forms.setdefault((email, endpoint), Form(client, email, action or path))
                for name, values in fields.items():
                    form.fields.setdefault(name, []).extend(values)
                form.files |= files
    # POST routes no page showed a form for: posted with guessed names
    reached = {endpoint for _email, endpoint in forms}
    admin = _logged_in(app, ROLES[0])
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in KEEP_OUT or "/api/" in rule.rule:
            continue
        if rule.endpoint not in reached:
            path = _example_path(rule)[0]
            forms[("guess", rule.endpoint)] = Form(
                admin, "admin", path, {"name": [], "id": ["1"], "value": [], "q": []}
            )
    return list(forms.values())


def _multipart(values: list[tuple[str | None, Any]]) -> tuple[bytes, str]:
    """A multipart body by hand (a part may have no name)."""
    boundary = "fuzzboundary7MA4YWxk"
    chunks = []
    for name, value in values:
        disposition = "form-data" if name is None else f'form-data; name="{name}"'
        if isinstance(value, tuple):
            content, filename = value
            disposition += f'; filename="{filename}"'
            body = content
        else:
            body = str(value).encode("utf-8", "surrogatepass")
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + body + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


FILES = [
    (b"%PDF-1.4\n%%EOF", "deck.pdf"),
    (b"\x00" * 100, "a\x00.pdf"),
    (b"GIF89a", "x.pdf"),
    (b"", ""),
]


def test_no_form_field_gives_a_server_error(
    seeded: Flask, record_property: Any, capsys: Any
) -> None:
    tally = Tally()
    started = time.perf_counter()
    forms = _find_forms(seeded, tally)
    assert len(forms) >= 80, len(forms)
    with capsys.disabled():
        print(f"\n{len(forms)} forms, {sum(len(f.fields) for f in forms)} fields")

    @given(data=st.data())
    @settings(
        max_examples=FORM_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def post_one(data: Any) -> None:
        form = data.draw(st.sampled_from(forms), label="form")
        pairs: list[tuple[str | None, Any]] = []
        for name, offered in form.fields.items():
            how = data.draw(st.sampled_from(["offered", "bad", "bad", "missing", "several"]))
            if how == "missing":
                continue
            if name in form.files and how != "offered":
                pairs.append((name, data.draw(st.sampled_from(FILES))))
                continue
            if how == "offered" and offered:
                pairs.append((name, data.draw(st.sampled_from(offered))))
            elif how == "several":
                pairs.extend((name, value) for value in data.draw(st.lists(bad_text, max_size=3)))
            else:
                pairs.append((name, data.draw(bad_text)))
        encoding = data.draw(st.sampled_from(["form", "form", "multipart", "nameless"]))
        if encoding == "form":
            body: Any = [(name, value) for name, value in pairs if not isinstance(value, tuple)]
            answer = form.client.post(form.action, data=_urlencoded(body))
        else:
            if encoding == "nameless":
                pairs.insert(data.draw(st.integers(0, len(pairs))), (None, "x"))
            raw, content_type = _multipart(pairs)
            answer = form.client.post(form.action, data=raw, content_type=content_type)
        tally.note("POST", form.action, answer.status_code)

    post_one()
    _report(tally, "forms", started, record_property, capsys)
    assert tally.errors == []


def _urlencoded(pairs: list[tuple[str, Any]]) -> Any:
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def _report(tally: Tally, what: str, started: float, record_property: Any, capsys: Any) -> None:
    line = (
        f"fuzz {what}: {tally.requests} requests, {len(tally.errors)} 5xx"
        + (f" (and {tally.pages} pages read)" if tally.pages else "")
        + f" in {time.perf_counter() - started:.0f} s"
    )
    record_property("requests", tally.requests)
    record_property("server_errors", len(tally.errors))
    with capsys.disabled():
        print("\n" + line)


# ------------------------------------------------------------------------ API


def _tokens(app: Flask) -> list[str]:
    from sqlalchemy import select

    from incubator.accounts.models import User
    from incubator.api.tokens import TokenData, create_token
    from incubator.db import db

    secrets = []
    with app.app_context():
        for email in ROLES:
            user = db.session.scalar(select(User).where(User.email == email))
            secrets.append(create_token(user, TokenData(name="fuzz")).secret)
        db.session.commit()
    return secrets


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    return schema


def _properties(document: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    schema = _resolve(document, schema)
    return list(schema.get("properties", {}))


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


RAW_BODIES = [
    "[" * 100_000,
    '{"name": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"a":' * 50,
    "[" * 33 + "]" * 33,
    "\x00",
    "",
    "{",
    '"\\u0000"',
    '{"name": "a\\u0000b"}',
    "[1, 2, 3]",
    "null",
]

json_value = st.recursive(
    st.one_of(
        bad_text,
        st.integers(),
        st.integers(min_value=2**63, max_value=2**80),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
        st.sampled_from([1, 0, -1, 2**31, "2026-01-01", "2026-01-01T10:00:00+07:00"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(bad_text, children, max_size=3)
    ),
    max_leaves=6,
) | st.integers(20, 40).map(_nested)


def test_no_api_input_gives_a_server_error(
    seeded: Flask, record_property: Any, capsys: Any
) -> None:
    tally = Tally()
    started = time.perf_counter()
    tokens = _tokens(seeded)
    client = seeded.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    operations = [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 20

    @given(data=st.data())
    @settings(
        max_examples=API_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def call_one(data: Any) -> None:
        method, path, operation = data.draw(st.sampled_from(operations), label="operation")
        url = path
        query: list[tuple[str, str]] = []
        headers = {"Authorization": f"Bearer {data.draw(st.sampled_from(tokens))}"}
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "path":
                value = data.draw(st.sampled_from(["1", "2", "0", "2147483648", "²", "x"]))
                url = url.replace("{" + name + "}", value)
            elif parameter["in"] == "query" and data.draw(st.booleans()):
                query.append((name, data.draw(bad_text)))
            elif parameter["in"] == "header" and data.draw(st.booleans()):
                headers[name] = data.draw(
                    st.sampled_from(["k" * 24, "short", "ключ" * 6, "a\x00" * 12, "x" * 65])
                )
        content = operation.get("requestBody", {}).get("content", {})
        kwargs: dict[str, Any] = {}
        if "application/json" in content:
            names = _properties(document, content["application/json"]["schema"])
            shape = data.draw(st.sampled_from(["object", "object", "raw", "raw", "other"]))
            if shape == "object":
                body = {name: data.draw(json_value) for name in names if data.draw(st.booleans())}
                if data.draw(st.booleans()):
                    body[data.draw(bad_text)] = data.draw(json_value)
                kwargs["data"] = json.dumps(body)
            elif shape == "raw":
                kwargs["data"] = data.draw(st.sampled_from(RAW_BODIES))
            else:
                kwargs["data"] = json.dumps(data.draw(json_value))
            kwargs["content_type"] = data.draw(
                st.sampled_from(["application/json", "application/json", "text/plain"])
            )
        answer = client.open(url, method=method, query_string=query, headers=headers, **kwargs)
        tally.note(method, url, answer.status_code)

    call_one()
    _report(tally, "API", started, record_property, capsys)
    assert tally.errors == []
