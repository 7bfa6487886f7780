"""Expertise tags and mentor profiles without HTTP: the bilingual list kept by managers and
administrators, archived tags, the tags and languages a mentor picks."""

from __future__ import annotations

from typing import Any

import pytest

from incubator.accounts import services as accounts
from incubator.accounts.models import Role
from incubator.db import db
from incubator.errors import DomainError, NotFound
from incubator.mentoring import access, profiles
from incubator.mentoring.models import ExpertiseTag, MentorProfile
from incubator.mentoring.tags import TagData, active_tags, picked_tags, save_tag, set_tag_active
from tests.mentoring.fixtures import user_in_db


def test_managers_and_admins_keep_the_bilingual_list_of_tags(
    ctx: Any, english: None, manager_of: Any, make_user: Any
) -> None:
    manager = user_in_db(manager_of("BIIC"))
    tag = save_tag(manager, None, TagData(" Gọi vốn ", "Fundraising"))
    assert (tag.name_vi, tag.name_en) == ("Gọi vốn", "Fundraising")
    with pytest.raises(DomainError, match="already in the list") as same:
        save_tag(manager, None, TagData("gọi vốn", "Raising money"))
    assert same.value.field == "name_vi"
    with pytest.raises(DomainError, match="already in the list") as english_name:
        save_tag(manager, None, TagData("Huy động vốn", "FUNDRAISING"))
    assert english_name.value.field == "name_en"
    with pytest.raises(DomainError, match="required"):
        save_tag(manager, None, TagData("Pháp lý", " "))
    for outsider in (make_user(Role.MENTOR), make_user(Role.FOUNDER)):
        with pytest.raises(NotFound):
            save_tag(user_in_db(outsider), None, TagData("Pháp lý", "Law"))
        with pytest.raises(NotFound):
            access.editable_tag(user_in_db(outsider), tag.id)
    admin = user_in_db(make_user(Role.ADMIN))
    save_tag(admin, tag, TagData("Gọi vốn đầu tư", "Fundraising"))
    assert tag.name_vi == "Gọi vốn đầu tư"


def test_an_archived_tag_is_no_longer_offered_but_stays_where_used(
    ctx: Any, english: None, manager_of: Any, make_mentor: Any, make_tag: Any
) -> None:
    kept, archived = make_tag("IoT", "IoT"), make_tag("Xuất khẩu", "Export")
    mentor = user_in_db(make_mentor())
    profile_data = profiles.ProfileData("", "", [], 3, set(accounts.mentor_center_ids(mentor)))
    profile_data.tag_ids = [kept, archived]
    profiles.save_profile(mentor, mentor, profile_data)
    db.session.commit()
    set_tag_active(user_in_db(manager_of("BIIC")), db.session.get(ExpertiseTag, archived), False)
    assert [t.id for t in active_tags()] == [kept]
    assert {t.id for t in db.session.get(MentorProfile, mentor.id).tags} == {kept, archived}
    with pytest.raises(DomainError, match="valid choice") as refused:
        picked_tags([archived], "topic_ids")
    assert refused.value.field == "topic_ids"


def test_a_mentor_picks_tags_and_languages(
    ctx: Any, english: None, make_mentor: Any, make_tag: Any
) -> None:
    tag = make_tag("IoT", "IoT")
    mentor = user_in_db(make_mentor())
    centers = set(accounts.mentor_center_ids(mentor))
    data = profiles.ProfileData("", "", [], 3, centers, [tag], ["en", "vi"])
    profile = profiles.save_profile(mentor, mentor, data)
    assert profile.languages == ["vi", "en"] and [t.id for t in profile.tags] == [tag]
    for languages in ([], ["xx"]):
        with pytest.raises(DomainError) as refused:
            profiles.save_profile(
                mentor, mentor, profiles.ProfileData("", "", [], 3, centers, [], languages)
            )
        assert refused.value.field == "languages"
