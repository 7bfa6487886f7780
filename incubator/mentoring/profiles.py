"""Mentor profiles: expertise, capacity, languages, tags and centers served, and the profile
row locked while a mentor's load changes."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from incubator import audit
from incubator.accounts import services as accounts
from incubator.accounts.models import User
from incubator.db import add_unique, db
from incubator.errors import DomainError, NotFound
from incubator.mentoring.models import Language, MentorProfile
from incubator.mentoring.tags import picked_languages, picked_tags
from incubator.startups.models import Sector


@dataclass
class ProfileData:
    expertise: str
    bio: str
    sectors: list[str]
    capacity: int
    center_ids: set[int]
    tag_ids: list[int] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: [Language.VI.value])


def profile_of(user: User) -> MentorProfile | None:
    return db.session.get(MentorProfile, user.id)


def save_profile(actor: User, mentor: User, data: ProfileData) -> MentorProfile:
    if not (actor.is_admin or actor.id == mentor.id):
        raise NotFound("mentor")
    if not 0 <= data.capacity <= 50:
        raise DomainError(_("Capacity is between 0 and 50 startups."), field="capacity")
    if any(value not in Sector._value2member_map_ for value in data.sectors):
        raise DomainError(_("Not a valid choice."), field="sectors")
    languages = picked_languages(data.languages, "languages")
    tags = picked_tags(data.tag_ids, "tag_ids")
    profile = locked_profile(mentor)
    profile.expertise = data.expertise.strip()
    profile.bio = data.bio.strip()
    profile.sectors = sorted(set(data.sectors))
    profile.capacity = data.capacity
    profile.languages = languages
    profile.tags = tags
    accounts.set_mentor_centers(mentor, data.center_ids)
    audit.record(actor, "mentor.profile_saved", mentor, capacity=data.capacity)
    return profile


def locked_profile(mentor: User) -> MentorProfile:
    """The mentor's profile row, created if missing, locked until the transaction ends.

    Every change of a mentor's load goes through this lock, so that concurrent
    assignments count one after the other (SQLite: BEGIN IMMEDIATE already serializes).
    """
    if db.session.get(MentorProfile, mentor.id) is None:
        add_unique(MentorProfile(user_id=mentor.id))  # or created meanwhile by another request
    return db.session.scalars(
        select(MentorProfile)
        .where(MentorProfile.user_id == mentor.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def center_mentors(center_id: int) -> list[tuple[User, MentorProfile | None]]:
    rows = db.session.execute(
        accounts.serving_mentors(center_id)
        .add_columns(MentorProfile)
        .outerjoin(MentorProfile, MentorProfile.user_id == User.id)
    ).all()
    return [(mentor, profile) for mentor, profile in rows]
