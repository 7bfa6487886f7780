"""API factories: make_token (a user's token), api (a client sending a token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from incubator.accounts.models import User
from incubator.api.tokens import TokenData, create_token
from incubator.db import db
from tests.conftest import app_session


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """make_token(user, read_only=False) -> the token's secret."""

    def make(user: User, read_only: bool = False, name: str = "test") -> str:
        with app_session(app) as session:
            actor = session.get(User, user.id)
            new = create_token(actor, TokenData(name=name, read_only=read_only))
            session.commit()
            return new.secret

    return make


class Api:
    """A test client that sends `Authorization: Bearer <token>` and JSON."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return headers | (extra or {})

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.post(path, json=json, headers=headers, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.patch(path, json=json, headers=headers, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.client.put(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def api(app: Flask, make_token: Callable[..., str]) -> Callable[..., Api]:
    """api(user, read_only=False) -> an Api client acting with a new token of the user;
    api(None) sends no token."""

    def make(user: User | None, read_only: bool = False) -> Api:
        token = make_token(user, read_only=read_only) if user is not None else None
        return Api(app.test_client(), token)

    return make


def error_code(response: Any) -> str:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]["code"]


__all__ = ["Api", "db", "error_code"]
