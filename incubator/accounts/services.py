"""What later domains call of accounts (re-exported from the topic modules)."""

from incubator.accounts.common import find_user_by_email, normalise_email
from incubator.accounts.recovery import send_password_reset
from incubator.accounts.registration import invited_founder, invited_judge
from incubator.accounts.roles import (
    grant_role,
    mentor_center_ids,
    serving_mentors,
    set_mentor_centers,
    update_profile,
)

__all__ = [
    "find_user_by_email",
    "grant_role",
    "invited_founder",
    "invited_judge",
    "mentor_center_ids",
    "normalise_email",
    "send_password_reset",  # reset jobs queued before the split name it here
    "serving_mentors",
    "set_mentor_centers",
    "update_profile",
]
