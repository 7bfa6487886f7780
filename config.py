"""Configuration classes; settings come from the environment when the app is created."""

import os
import socket
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# instance/ of a checkout; installed from the wheel, <venv>/var/incubator-instance (Flask's
# convention), unless INCUBATOR_INSTANCE says where
DEFAULT_INSTANCE_DIR = (
    BASE_DIR / "instance"
    if (BASE_DIR / "pyproject.toml").is_file()
    else Path(sys.prefix) / "var" / "incubator-instance"
)


def _database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the URL was written with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    PRODUCTION = False
    # Uploads: a pitch deck may be 20 MB; a little more is let through so the
    # form can say "too large" next to the field instead of a bare 413.
    PITCH_DECK_MAX_BYTES = 20 * 1024 * 1024
    ANSWER_FILE_MAX_BYTES = 10 * 1024 * 1024  # a file a call's form asks for (PDF)
    MACHINE_PHOTO_MAX_BYTES = 5 * 1024 * 1024  # a Fablab machine's photo (JPEG, PNG, WebP)
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

    # Login throttling, per window: an address that failed this many times for one
    # account, or this many times for all accounts together, is answered 429.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    # Failures for one account from every address only slow it down, never lock it:
    # past this many, each attempt waits DELAY seconds, doubling up to MAX_DELAY.
    LOGIN_ACCOUNT_SLOW_AFTER = 10
    LOGIN_ACCOUNT_DELAY_SECONDS = 0.5
    LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 5.0
    # A browser that signed in gets a signed device cookie (accounts/devices.py): its login
    # attempts are counted per cookie, not per address, so nobody behind the same address
    # can lock its owner out.
    DEVICE_COOKIE_NAME = "incubator_device"
    DEVICE_COOKIE_DAYS = 365
    # Password reset requests, per email and per address, per window.
    RESET_MAX_PER_EMAIL = 3
    RESET_MAX_PER_IP = 10
    RESET_WINDOW_MINUTES = 60
    # Confirmation and "someone tried to register" emails per account per hour.
    ACCOUNT_EMAILS_PER_HOUR = 3
    CONFIRM_DAYS = 3

    # Sessions end after this many days without a request; the last request's time
    # is written at most once per SESSION_TOUCH_SECONDS.
    SESSION_IDLE_DAYS = 30
    SESSION_TOUCH_SECONDS = 60
    # Strict-Transport-Security max-age; 0 sends no header (production sets a year).
    HSTS_SECONDS = 0

    # A password chosen by a user (registration, reset, change, `create-user`) has at least this
    # many characters and is not on the shipped list of common passwords (accounts/passwords.py).
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a secret)
    PASSWORD_RESET_HOURS = 2
    INVITATION_DAYS = 7

    MAIL_MAX_ATTEMPTS = 6
    PER_PAGE = 20

    # The key pages are kept whole per user and session until a table they read changes
    # (incubator/pagecache.py), and at most PAGE_CACHE_SECONDS (30; 0: off) for what only
    # the clock changes.
    PAGE_CACHE_MB = 32  # per process

    # API v1: requests per token (Flask-Limiter's notation), origins allowed by CORS (none);
    # webhooks go only to public addresses, and a receiver failing this long is switched off.
    API_RATE_LIMIT = "120 per minute"
    API_RATE_LIMIT_ENABLED = True
    API_CORS_ORIGINS: tuple[str, ...] = ()
    WEBHOOK_ALLOW_PRIVATE = False
    WEBHOOK_DISABLE_AFTER_HOURS = 24

    def __init__(self) -> None:
        env = os.environ
        self.INSTANCE_DIR = Path(env.get("INCUBATOR_INSTANCE", DEFAULT_INSTANCE_DIR))
        # networks webhooks may reach besides global addresses ("10.20.0.0/16, fd00:1::/64")
        self.WEBHOOK_ALLOWED_NETWORKS = env.get("WEBHOOK_ALLOWED_NETWORKS", "")
        self.SECRET_KEY = env.get("SECRET_KEY", "dev-only-not-secret")
        self.DATABASE_URL = _database_url(
            env.get("DATABASE_URL", f"sqlite:///{self.INSTANCE_DIR / 'incubator.db'}")
        )
        self.REDIS_URL = env.get("REDIS_URL")
        # the tables' versions, shared by the processes of this machine (Redis when REDIS_URL)
        self.PAGE_CACHE_VERSIONS = self.INSTANCE_DIR / "page-cache-versions"
        self.PAGE_CACHE_SECONDS = float(env.get("PAGE_CACHE_SECONDS", "30"))
        # connections per process: each gunicorn worker serves one request at a time
        self.DATABASE_POOL_SIZE = int(env.get("DATABASE_POOL_SIZE", "5"))
        self.UPLOAD_DIR = Path(env.get("UPLOAD_DIR", self.INSTANCE_DIR / "uploads"))
        # Files (decks, answer files, machine photos, reports, exports: incubator/storage.py):
        # in UPLOAD_DIR unless STORAGE_URL names an S3-compatible bucket, "s3://bucket/prefix",
        # which every web and worker machine must then share. STORAGE_ENDPOINT_URL for a store
        # other than AWS (MinIO, SeaweedFS, Viettel/VNPT/FPT: "https://s3.example.vn"), with
        # path-style addresses unless STORAGE_ADDRESSING_STYLE says "virtual". Credentials:
        # STORAGE_ACCESS_KEY / STORAGE_SECRET_KEY, else boto3's own (AWS_ACCESS_KEY_ID...).
        self.STORAGE_URL = env.get("STORAGE_URL", "")
        self.STORAGE_ENDPOINT_URL = env.get("STORAGE_ENDPOINT_URL") or None
        self.STORAGE_REGION = env.get("STORAGE_REGION") or env.get("AWS_DEFAULT_REGION") or None
        self.STORAGE_ACCESS_KEY = env.get("STORAGE_ACCESS_KEY") or None
        self.STORAGE_SECRET_KEY = env.get("STORAGE_SECRET_KEY") or None
        self.STORAGE_ADDRESSING_STYLE = env.get("STORAGE_ADDRESSING_STYLE") or None
        # Downloads from a bucket: 0 streams them through the app (the default); N > 0
        # redirects, after the app's own check, to an address of the bucket valid N seconds.
        self.STORAGE_PRESIGNED_SECONDS = int(env.get("STORAGE_PRESIGNED_SECONDS", "0"))
        # `flask backup` / `restore` on PostgreSQL run pg_dump / pg_restore from this folder
        # (e.g. /usr/lib/postgresql/16/bin: at least the server's major version), else PATH.
        self.PG_BIN_DIR = env.get("PG_BIN_DIR", "")
        self.MAIL_SERVER = env.get("MAIL_SERVER")
        self.MAIL_PORT = int(env.get("MAIL_PORT", "587"))
        self.MAIL_USERNAME = env.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD")
        self.MAIL_USE_TLS = env.get("MAIL_USE_TLS", "1") == "1"
        self.MAIL_SENDER = env.get("MAIL_SENDER", "incubator@localhost")
        # "log" prints messages, "smtp" sends them, "memory" keeps them for tests. MAIL_BACKEND
        # chooses; unset: "smtp" with MAIL_SERVER, else "log" (production refuses that unless
        # MAIL_BACKEND=log says it is on purpose).
        self.MAIL_BACKEND = env.get("MAIL_BACKEND", "")
        if self.MAIL_BACKEND not in ("", "smtp", "log"):
            raise RuntimeError("MAIL_BACKEND is smtp or log")
        self.MAIL_TRANSPORT = self.MAIL_BACKEND or ("smtp" if self.MAIL_SERVER else "log")
        # Absolute links in emails (password reset, invitations): BASE_URL, or this machine
        # at the address and port `make run` serves (HOST, PORT); never the request's Host
        # header, which the client chooses (a reset link must not point where it says).
        self.PORT = int(env.get("PORT") or "5000")
        self.HOST = env.get("HOST") or "127.0.0.1"
        self.BASE_URL = env.get("BASE_URL") or f"http://{_reachable(self.HOST)}:{self.PORT}"
        # "rq" with REDIS_URL, "thread" in-process otherwise, "inline" in tests.
        self.JOBS_BACKEND = "rq" if self.REDIS_URL else "thread"
        # The web process runs the scheduled jobs itself unless an RQ worker does (scheduler.py).
        self.SCHEDULER_ENABLED = env.get("SCHEDULER_ENABLED", "0" if self.REDIS_URL else "1") == "1"
        # how often the schedule thread looks for due work; a cap on every schedule's interval
        # (0: none; tests make the 5-minute and hourly jobs run within seconds)
        self.SCHEDULER_TICK_SECONDS = float(env.get("SCHEDULER_TICK_SECONDS", "15"))
        self.SCHEDULER_MAX_INTERVAL_SECONDS = float(env.get("SCHEDULER_MAX_INTERVAL_SECONDS", "0"))
        self.RQ_QUEUE = env.get("RQ_QUEUE", "incubator")  # the RQ queue's name
        # /healthz: a worker heartbeat or a schedule tick older than this counts as down
        self.HEALTH_STALE_SECONDS = float(env.get("HEALTH_STALE_SECONDS", "120"))
        # How many reverse proxies (nginx…) stand in front; 0 when clients connect directly.
        self.PROXY_COUNT = int(env.get("PROXY_COUNT", "0"))
        # Logs (observability.py): "text" lines, or "json" lines for a log collector.
        self.LOG_FORMAT = env.get("LOG_FORMAT", "text")
        # /metrics answers the addresses (or networks) of METRICS_ALLOW, comma-separated, or a
        # request with `Authorization: Bearer $METRICS_TOKEN`; anyone else gets a 404.
        self.METRICS_ALLOW = env.get("METRICS_ALLOW", "127.0.0.1,::1")
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "")


def _reachable(host: str) -> str:
    """The address of HOST that another machine can open: `HOST=0.0.0.0 make run` (a phone on
    the LAN) gives this machine's address on the network, found without sending anything."""
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 (compared, not bound)
        return f"[{host}]" if ":" in host else host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a UDP "connect" only picks the route
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class DevelopmentConfig(Config):
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestingConfig(Config):
    TESTING = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False  # one test turns it back on and posts to every route
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 (fast for tests; scrypt elsewhere)
    PER_PAGE = 5
    WEBHOOK_ALLOW_PRIVATE = True  # the tests' receivers listen on 127.0.0.1

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing"  # noqa: S105 (tests only)
        self.MAIL_TRANSPORT = "memory"
        self.JOBS_BACKEND = "inline"
        self.SCHEDULER_ENABLED = False
        self.BASE_URL = "http://localhost"


class ProductionConfig(Config):
    PRODUCTION = True  # `seed-demo` refuses to run without --i-know-this-is-production
    HSTS_SECONDS = 365 * 24 * 3600
    # static files are linked with a version of their content (?v=...): browsers keep them
    STATIC_MAX_AGE = 365 * 24 * 3600
    SECRET_KEY_MIN_LENGTH = 32

    def __init__(self) -> None:
        env = os.environ
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "BASE_URL") if not env.get(name)]
        if not env.get("MAIL_SERVER") and env.get("MAIL_BACKEND") != "log":
            # mail that silently goes to the log is a choice, never a default
            missing.append("MAIL_SERVER (or MAIL_BACKEND=log)")
        problems = [", ".join(missing) + " set"] if missing else []
        if env.get("SECRET_KEY") and len(env["SECRET_KEY"]) < self.SECRET_KEY_MIN_LENGTH:
            problems.append(f"a SECRET_KEY of at least {self.SECRET_KEY_MIN_LENGTH} characters")
        if problems:
            raise RuntimeError("ProductionConfig refuses to start without " + "; ".join(problems))
        super().__init__()


# What runs when INCUBATOR_CONFIG is not set (`gunicorn 'incubator:create_app()'`);
# `make run` and the tests ask for development or testing explicitly.
DEFAULT_CONFIG = "production"

CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
