"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

A browser that signed in to an account gets a long-lived cookie naming that account and a
random nonce, signed with the secret key. A login attempt for that account that presents a
valid cookie is not subject to the per-address lockout (an attacker behind the same NAT
address cannot lock the owner out); its failures are counted against the cookie's nonce
instead, and lock only that cookie.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, Signer


@dataclass(frozen=True)
class Device:
    user_id: int
    nonce: str


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="incubator.device-cookie")


def issue(user_id: int) -> str:
    """A new cookie value for a browser that just signed in to the account."""
    return _signer().sign(f"{user_id}.{secrets.token_urlsafe(16)}").decode()


def read(value: str | None) -> Device | None:
    """The account and nonce of a cookie whose signature is right; None otherwise."""
    if not value or len(value) > 200:
        return None
    try:
        payload = _signer().unsign(value).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    user_id, _, nonce = payload.partition(".")
    if not user_id.isdigit() or len(user_id) > 12 or not nonce:
        return None
    return Device(int(user_id), nonce)
