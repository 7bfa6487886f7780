"""`Idempotency-Key` on every API `POST`: a request sent again with the same key gets the
first answer (the same status and body) instead of doing it twice.

Before the view runs, the key is claimed for the caller: a row (user, key) inserted and
committed on its own, unique per user, holding the request's method and path and the sha256
of its body. Of twenty simultaneous requests with one key, one inserts the row and runs;
the others find it, wait for its answer (`API_IDEMPOTENCY_WAIT` seconds at most, then 409
`idempotency_in_progress`) and give that answer again. The same key with another body or
another operation is refused (422 `idempotency_key_reused`). An answer below 500 is kept;
after a server error the row is removed, so that the request may be sent again. Rows are
kept a day (`sweep`, scheduled hourly; an older row found on the way is replaced).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from incubator.api.core import PREFIX, ApiError
from incubator.api.models import IdempotencyKey
from incubator.db import add_unique, db, run, utcnow
from incubator.once import valid_token

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEPT = timedelta(days=1)
MAX_KEPT_BODY = 1_000_000  # a larger answer is not kept (the key then protects nothing)
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Claim:
    """What was found under a key: the request it was first used for, and its answer."""

    request: str
    body_hash: str
    status: int | None
    response: str | None


def init_app(app: Flask) -> None:
    app.config.setdefault("API_IDEMPOTENCY_WAIT", 10)
    # after the token is read (the user) and the rate limit is counted
    app.before_request(claim_key)
    app.after_request(keep_answer)
    app.teardown_request(_forget_on_error)


def claim_key() -> Any:
    """For an API POST with the header: the stored answer of the first request with this key,
    or None to run this one (which then holds the key)."""
    if request.method != "POST" or not request.path.startswith(PREFIX + "/"):
        return None
    key = request.headers.get(HEADER)
    if key is None or request.endpoint is None:
        return None
    if not valid_token(key):
        message = _("An Idempotency-Key is 20 to 64 of the characters A-Z a-z 0-9 _ -.")
        raise ApiError(400, "bad_idempotency_key", message, {HEADER: message})
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        return None  # no caller to keep it for: the view answers 401 if it needs one
    signature = f"{request.method} {request.path}"[:300]
    digest = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    deadline = time.monotonic() + current_app.config["API_IDEMPOTENCY_WAIT"]
    while True:
        row_id, found = run(_claim, user.id, key, signature, digest)
        if found is None:
            g.idempotency_key_id = row_id
            return None
        if (found.request, found.body_hash) != (signature, digest):
            message = _(
                "This Idempotency-Key was used for another request; use a new key "
                "for each new request."
            )
            raise ApiError(422, "idempotency_key_reused", message, {HEADER: message})
        if found.status is not None:
            answer = current_app.response_class(
                found.response or "", status=found.status, mimetype="application/json"
            )
            answer.headers["Idempotent-Replayed"] = "true"
            return answer
        if time.monotonic() >= deadline:
            raise ApiError(
                409,
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still running; try again shortly."),
            )
        time.sleep(POLL_SECONDS)


def _claim(user_id: int, key: str, signature: str, digest: str) -> tuple[int | None, Claim | None]:
    """Insert the key's row (id, None), or what is already there (None, claim)."""
    now = utcnow()
    where = (IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    db.session.execute(delete(IdempotencyKey).where(*where, IdempotencyKey.created_at < now - KEPT))
    row = IdempotencyKey(
        user_id=user_id, key=key, request=signature, body_hash=digest, created_at=now
    )
    if add_unique(row):
        return row.id, None
    found = db.session.scalar(select(IdempotencyKey).where(*where))
    if found is None:  # (removed meanwhile after a server error: the next round takes it)
        return None, Claim(signature, digest, None, None)
    return None, Claim(found.request, found.body_hash, found.status, found.response)


def keep_answer(response: Any) -> Any:
    row_id = g.pop("idempotency_key_id", None)
    if row_id is None:
        return response
    body = None if response.is_streamed else response.get_data()
    try:
        if response.status_code >= 500 or body is None or len(body) > MAX_KEPT_BODY:
            run(_forget, row_id)
        else:
            run(_keep, row_id, response.status_code, body.decode("utf-8", "replace"))
    except Exception:  # the answer was given; a retry with the key would wait, then 409
        log.exception("could not keep the answer of an idempotency key")
    return response


def _forget_on_error(_error: BaseException | None) -> None:
    """The request ended without an answer (an error that escaped every handler)."""
    row_id = g.pop("idempotency_key_id", None)
    if row_id is not None:
        try:
            run(_forget, row_id)
        except Exception:
            log.exception("could not free an idempotency key")


def _keep(row_id: int, status: int, body: str) -> None:
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row_id)
        .values(status=status, response=body)
    )


def _forget(row_id: int) -> None:
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))


def sweep() -> int:
    """Remove the keys older than a day; how many were removed."""
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEPT)
    )
    return result.rowcount or 0
