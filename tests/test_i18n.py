"""Vietnamese first: formats, the translation catalog, and pages in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from werkzeug.datastructures import MultiDict

from incubator.i18n import format_date, format_datetime, format_number, format_vnd, time_left

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "incubator" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "0 ₫"), (1_000_000, "1.000.000 ₫"), (950, "950 ₫"), (-25_000, "-25.000 ₫"), (None, "")],
)
def test_money_is_written_the_vietnamese_way(amount: int | None, text: str) -> None:
    assert format_vnd(amount) == text


def test_dates_and_times_are_dd_mm_yyyy_in_ho_chi_minh() -> None:
    assert format_date(date(2026, 1, 5)) == "05/01/2026"
    late_utc = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)  # already 1 January in Hồ Chí Minh
    assert format_datetime(late_utc) == "01/01/2027 03:30"
    assert format_date(late_utc) == "01/01/2027"
    assert format_number(1234.5) == "1.234,5"


def test_time_left(app: Any) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    with app.app_context():
        assert time_left(now + timedelta(days=3, hours=4), now) == "3 days 4 hours"
        assert time_left(now + timedelta(hours=2, minutes=5), now) == "2 hours 5 minutes"
        assert time_left(now - timedelta(seconds=1), now) == "closed"


def _form_field(app: Any, field_class: Any, raw: str) -> Any:
    from incubator.forms import Form

    class OneField(Form):
        value = field_class("value")

    with app.test_request_context():
        form = OneField(formdata=MultiDict({"value": raw}), meta={"csrf": False})
        form.validate()
        return form.value


def test_date_time_and_money_fields_parse_what_users_type(app: Any) -> None:
    from incubator.forms import DateField, DateTimeField, MoneyField

    assert _form_field(app, DateField, "15/03/2023").data == date(2023, 3, 15)
    assert _form_field(app, DateTimeField, "01/12/2026 08:00").data == datetime(
        2026, 12, 1, 1, 0, tzinfo=UTC
    )
    for typed in ("1.500.000", "1 500 000", "1500000 ₫", "1.500.000 VND", "1.500.000đ"):
        assert _form_field(app, MoneyField, typed).data == 1_500_000, typed
    for bad_field, typed in (
        (DateField, "2023-03-15"),
        (DateTimeField, "32/01/2026 08:00"),
        (MoneyField, "1,5 tỷ"),
    ):
        field = _form_field(app, bad_field, typed)
        assert field.data is None and field.errors, typed
        assert field._value() == typed  # what was typed is shown again


def test_the_catalog_translates_every_message() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_the_catalog_has_every_string_of_the_code() -> None:
    """Extract again (as babel.cfg says): no string a user sees is missing from the catalog."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    method_map = [
        ("incubator/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
    extracted = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, keywords=keywords
        )
    }
    with CATALOG.open("rb") as handle:
        translated = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    missing = extracted - translated
    assert len(extracted) > 300
    assert missing == set(), "run `make extract-messages` and translate: " + ", ".join(
        sorted(missing)
    )


def test_pages_speak_vietnamese_by_default_and_english_on_request(client: Any) -> None:
    vietnamese = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in vietnamese and "Đăng nhập" in vietnamese
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in english and "Log in" in english
    client.post("/language", data={"lang": "vi", "next": "/login"})
    chosen = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="vi">' in chosen  # the header switch beats the browser


def test_a_users_profile_language_wins(app: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(locale="en"))
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "vi", "next": "/"})
    assert '<html lang="vi">' in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_validation_messages_are_translated(client: Any) -> None:
    html = client.post(
        "/register", data={"name": "", "email": "sai", "password": "1", "confirm": "2"}
    ).get_data(as_text=True)
    assert "Trường này là bắt buộc." in html
    assert "Địa chỉ email không hợp lệ." in html
    assert "This field is required." not in html


def test_error_pages_in_both_languages(client: Any) -> None:
    vietnamese = client.get("/no-such-page")
    assert vietnamese.status_code == 404 and "Không tìm thấy trang" in vietnamese.get_data(
        as_text=True
    )
    english = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert "Page not found" in english.get_data(as_text=True)
