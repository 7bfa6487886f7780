"""Configuration classes; every setting can come from the environment."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INCUBATOR_INSTANCE", BASE_DIR / "instance"))


def _database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the URL was written with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    DATABASE_URL = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'incubator.db'}")
    )
    REDIS_URL = os.environ.get("REDIS_URL")
    INSTANCE_DIR = INSTANCE_DIR
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))

    # Uploads: a pitch deck may be 20 MB; a little more is let through so the
    # form can say "too large" next to the field instead of a bare 413.
    PITCH_DECK_MAX_BYTES = 20 * 1024 * 1024
    MAX_CONTENT_LENGTH = 24 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Login throttling: this many failures within the window answer 429.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_FAILURE_WINDOW_MINUTES = 15

    PASSWORD_MIN_LENGTH = 8
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a secret)
    PASSWORD_RESET_HOURS = 2
    INVITATION_DAYS = 7

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "incubator@localhost")
    MAIL_MAX_ATTEMPTS = 6
    # "log" prints messages, "smtp" sends them, "memory" keeps them for tests.
    MAIL_TRANSPORT = "smtp" if MAIL_SERVER else "log"
    # Absolute links in emails (password reset, invitations).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # "rq" with REDIS_URL, "thread" in-process otherwise, "inline" in tests.
    JOBS_BACKEND = "rq" if REDIS_URL else "thread"

    PER_PAGE = 20


class DevelopmentConfig(Config):
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"  # noqa: S105 (tests only)
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False  # one test turns it back on and posts to every route
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 (fast for tests; scrypt elsewhere)
    MAIL_TRANSPORT = "memory"
    JOBS_BACKEND = "inline"
    BASE_URL = "http://localhost"
    PER_PAGE = 5


class ProductionConfig(Config):
    def __init__(self) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "ProductionConfig refuses to start without " + ", ".join(missing) + " set."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
