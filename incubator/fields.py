"""Form fields that read dates, times and money the way Vietnamese users write them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from incubator.i18n import format_date, format_datetime, format_vnd, local_to_utc


class _TextParsed(StringField):
    """A text input whose value is parsed by the subclass's `parse`, shown by its `render`.

    After a post the input shows exactly what was typed, so a mistake is never lost.
    """

    error_message: Any = _l("Invalid input.")
    raw_text: str | None = None
    parse: Any
    render: Any

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = valuelist[0].strip() if valuelist else ""
        if not self.raw_text:
            self.data = None
            return
        try:
            self.data = self.parse(self.raw_text)
        except (ValueError, OverflowError) as error:
            self.data = None
            raise ValueError(str(self.error_message)) from error

    def _value(self) -> str:
        if self.raw_text is not None:
            return self.raw_text
        return self.render(self.data) if self.data is not None else ""


class DateField(_TextParsed):
    """dd/mm/yyyy."""

    error_message = _l("Write the date as dd/mm/yyyy.")

    def parse(self, text: str) -> date:
        day = datetime.strptime(text, "%d/%m/%Y").date()
        if not 1900 <= day.year <= 2999:
            raise ValueError(text)
        return day

    def render(self, value: date) -> str:
        return format_date(value)


class DateTimeField(_TextParsed):
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh; the data is an aware UTC datetime."""

    error_message = _l("Write the date and time as dd/mm/yyyy hh:mm.")

    def parse(self, text: str) -> datetime:
        moment = datetime.strptime(text, "%d/%m/%Y %H:%M")
        if not 1900 <= moment.year <= 2999:
            raise ValueError(text)
        return local_to_utc(moment)

    def render(self, value: datetime) -> str:
        return format_datetime(value)


class MoneyField(_TextParsed):
    """Whole VND: "1.000.000", "1 000 000", "1000000 ₫" all read as 1000000."""

    error_message = _l("Write a whole amount in VND, for example 500.000.000.")

    def parse(self, text: str) -> int:
        digits = re.sub(r"[.\s ₫]|VND|đ", "", text, flags=re.IGNORECASE)
        if not digits.isdigit():
            raise ValueError(text)
        value = int(digits)
        if value > 10**15:
            raise ValueError(text)
        return value

    def render(self, value: int) -> str:
        return format_vnd(value).removesuffix(" ₫")
