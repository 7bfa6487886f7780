"""The expertise tags: the list the managers keep, and the tags and languages picked on forms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from incubator import audit
from incubator.accounts.models import User
from incubator.db import add_unique, db
from incubator.errors import DomainError, NotFound
from incubator.mentoring.access import may_manage_tags
from incubator.mentoring.models import ExpertiseTag, Language


@dataclass
class TagData:
    name_vi: str
    name_en: str


def all_tags() -> Select[Any]:
    """Every tag, the ones in use first (the managers' list)."""
    return select(ExpertiseTag)


def active_tags() -> list[ExpertiseTag]:
    """The tags offered to pick from, in Vietnamese alphabetical order (a short list)."""
    return list(
        db.session.scalars(
            select(ExpertiseTag).where(ExpertiseTag.active.is_(True)).order_by(ExpertiseTag.name_vi)
        )
    )


def picked_tags(tag_ids: Sequence[int], field_name: str) -> list[ExpertiseTag]:
    """The active tags picked on a form; a tag that is not offered is refused."""
    wanted = set(tag_ids)
    if not wanted:
        return []
    tags = list(
        db.session.scalars(
            select(ExpertiseTag).where(ExpertiseTag.id.in_(wanted), ExpertiseTag.active.is_(True))
        )
    )
    if len(tags) != len(wanted):
        raise DomainError(_("Not a valid choice."), field=field_name)
    return sorted(tags, key=lambda t: t.name_vi)


def picked_languages(values: Sequence[str], field_name: str) -> list[str]:
    if not values:
        raise DomainError(_("Choose at least one language."), field=field_name)
    if any(value not in Language._value2member_map_ for value in values):
        raise DomainError(_("Not a valid choice."), field=field_name)
    return [language.value for language in Language if language.value in values]


def save_tag(actor: User, tag: ExpertiseTag | None, data: TagData) -> ExpertiseTag:
    """Add a tag to the list, or rename one (both names are required)."""
    if not may_manage_tags(actor):
        raise NotFound("tag")
    names = {"name_vi": data.name_vi.strip(), "name_en": data.name_en.strip()}
    for name, value in names.items():
        if not value:
            raise DomainError(_("This field is required."), field=name)
    taken = DomainError(_("A tag with this name is already in the list."), field="name_vi")
    for name, value in names.items():
        other = db.session.scalar(
            select(ExpertiseTag.id).where(
                func.lower(getattr(ExpertiseTag, name)) == value.lower(),
                ExpertiseTag.id != (tag.id if tag else -1),
            )
        )
        if other is not None:
            raise DomainError(taken.message, field=name)
    if tag is None:
        tag = ExpertiseTag(**names)
        add_unique(tag, taken)  # the same name sent twice at once
    else:
        try:
            with db.session.begin_nested():
                tag.name_vi, tag.name_en = names["name_vi"], names["name_en"]
                db.session.flush()
        except IntegrityError as error:
            raise taken from error
    audit.record(actor, "mentoring.tag_saved", tag, name=tag.name_vi)
    return tag


def set_tag_active(actor: User, tag: ExpertiseTag, active: bool) -> ExpertiseTag:
    """Archive a tag (no longer offered; kept where it is used) or bring it back."""
    if not may_manage_tags(actor):
        raise NotFound("tag")
    tag.active = active
    db.session.flush()
    audit.record(actor, "mentoring.tag_archived" if not active else "mentoring.tag_restored", tag)
    return tag
