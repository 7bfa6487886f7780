"""Languages and the Vietnamese way of writing dates, times and money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_login import current_user

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}

babel = Babel()


def select_locale() -> str:
    """The user's profile first, then the choice made in the header, then the browser."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        # a program asks in the language it names; else its user's profile
        found = request.accept_languages.best_match(languages)
        if found:
            return found
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def _shown(obj: Any, field: str) -> tuple[str, str]:
    """(text, language) of obj.<field>_<language>: the current language's text, or the first
    other language's when that one is empty."""
    current = current_language()
    for language in (current, *(code for code in LANGUAGE_NAMES if code != current)):
        value = getattr(obj, f"{field}_{language}", None)
        if value:
            return value, language
    return "", current


def localized(obj: Any, field: str) -> str:
    """obj.<field>_vi or obj.<field>_en by the current language, falling back to the other."""
    return _shown(obj, field)[0]


def fallback_language(obj: Any, field: str) -> str:
    """The name of the language the text is shown in ("Tiếng Việt"), when it is not the
    page's (the English text is empty); "" otherwise."""
    text, language = _shown(obj, field)
    return LANGUAGE_NAMES[language] if text and language != current_language() else ""


def localized_marked(obj: Any, field: str) -> str:
    """`localized`, followed by "(Tiếng Việt)" when it falls back: for labels and hints."""
    other = fallback_language(obj, field)
    return f"{localized(obj, field)} ({other})" if other else localized(obj, field)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


def local_to_utc(naive_local: datetime) -> datetime:
    """A wall-clock time in Asia/Ho_Chi_Minh, as typed by a user, to UTC."""
    return naive_local.replace(tzinfo=LOCAL_TZ).astimezone(UTC)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def format_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%H:%M")


def format_vnd(amount: int | None) -> str:
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + " ₫"


def format_number(value: float | int | None, digits: int = 1) -> str:
    """Decimal comma, thousands dot, as Vietnamese write numbers (in both languages, like money)."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def format_filesize(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024 * 1024:
        return f"{format_number(size / 1024, 0)} KB"
    return f"{format_number(size / (1024 * 1024))} MB"


def time_left(deadline: datetime, now: datetime | None = None) -> str:
    """'3 days 4 hours' until the deadline, in the current language."""
    now = now or datetime.now(UTC)
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return _("closed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)s days %(hours)s hours", days=days, hours=hours)
    if hours:
        return _("%(hours)s hours %(minutes)s minutes", hours=hours, minutes=minutes)
    return _("%(minutes)s minutes", minutes=max(minutes, 1))


def init_app(app: Any) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        vnd=format_vnd,
        number=format_number,
        filesize=format_filesize,
    )
    app.jinja_env.globals.update(
        current_language=current_language,
        fallback_language=fallback_language,
        localized_marked=localized_marked,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        time_left=time_left,
    )
