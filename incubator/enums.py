"""Enums whose members carry a translated label, and reading one from text.

No Flask import here: the stage table uses these and stays free of Flask.
A domain gives the labels (lazy translations) next to its models with
`labelled(EnumClass, {...})`; templates show them with `{{ member|label }}`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

E = TypeVar("E", bound=enum.Enum)

_LABELS: dict[type[enum.Enum], Mapping[Any, Any]] = {}


class LabelledEnum(enum.StrEnum):
    """A string enum with `member.label`, the member's name in the user's language."""

    @property
    def label(self) -> str:
        return str(_LABELS[type(self)][self])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) of every member, for a select."""
        return [(member.value, member.label) for member in cls]


def labelled(enum_class: type[E], labels: Mapping[E, Any]) -> type[E]:
    """Give every member of `enum_class` its label (a lazy translation)."""
    missing = set(enum_class) - set(labels)
    if missing:
        raise ValueError(f"{enum_class.__name__} lacks labels for {sorted(map(str, missing))}")
    _LABELS[enum_class] = dict(labels)
    return enum_class


def parse_enum(enum_class: type[E], text: Any) -> E | None:
    """The member whose value is `text`, or None for anything else (a crafted query string)."""
    try:
        return enum_class(text)
    except ValueError:
        return None
