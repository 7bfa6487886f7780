"""Events and questions that cross domains against the dependency order.

An earlier domain sends; later domains connect in their `init_app`. Events
report what happened (`stage_changed`); questions let a later domain widen a
rule that an earlier one owns (`may_view_startup`): the earlier domain asks,
and any receiver answering True grants.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace, Signal

_signals = Namespace()

# sender: the application; kwargs: transition, actor. Sent inside the transaction of the move.
stage_changed = _signals.signal("stage-changed")

# sender: the mentoring session; kwargs: actor (the founder). Sent inside the transaction.
session_confirmed = _signals.signal("session-confirmed")

# sender: the booking; kwargs: actor. Sent inside the transaction that books or cancels it.
booking_created = _signals.signal("booking-created")
booking_cancelled = _signals.signal("booking-cancelled")

# sender: the startup; kwargs: actor. Who else may view a startup's profile.
may_view_startup = _signals.signal("may-view-startup")

# sender: the acting user. Lists of startups (the API's /startups): each receiver answers with
# a SQL condition on startups.id naming the startups it lets the actor see (as
# `may_view_startup` does for one), or None; the list shows members' own and these.
startups_visible_to = _signals.signal("startups-visible-to")

# sender: the startup; kwargs: actor. Who else may archive or restore a startup (besides its
# lead founder and admins).
may_archive_startup = _signals.signal("may-archive-startup")

# sender: the startup. Whether it has work in progress (an application not in a terminal
# stage), which keeps it from being archived.
startup_in_progress = _signals.signal("startup-in-progress")

# sender: the application; kwargs: actor. Who else may read an application's pitch deck.
may_read_deck = _signals.signal("may-read-deck")

# sender: the program. Whether founders have applied to its call (which cannot then be hidden).
call_has_applicants = _signals.signal("call-has-applicants")

# sender: the program. Whether an application to it was submitted (its questions are locked).
form_in_use = _signals.signal("form-in-use")

# sender: the question, about to be deleted in the current transaction (drafts' answers go
# with it; receivers clean up what they keep outside the database once it commits).
question_deleted = _signals.signal("question-deleted")

# sender: the program. Whether its rubric has been used (scored on), which freezes its weights.
rubric_in_use = _signals.signal("rubric-in-use")

# sender: a center's id; kwargs: first, last (the first and last day of a month). Open data
# for the province (no personal data): each receiver answers with a dict of figures of that
# month, read from its stored figures (see incubator/api/stats.py for the keys).
open_data_figures = _signals.signal("open-data-figures")

# sender: the user whose calendar feed is built; kwargs: since (aware datetime), limit.
# Each receiver answers with a list of icalendar Events (later domains add to the feed).
calendar_events = _signals.signal("calendar-events")

# sender: the report's kind ("startup", "cohort" or "center"); kwargs: object_id (the startup,
# the program or the center) and, for "center", first and last (dates). Sent while a report is
# gathered, in the requester's language. Each receiver answers with a list of plain sections,
# {"title": str, "headers": [str], "rows": [[str]], "note": str}, printed after the built-in
# ones (the demo-day domain answers with its results and scores).
report_sections = _signals.signal("report-sections")


# sender: None. The files that rows refer to, for `flask storage check` and backups: each
# receiver answers with a list of (storage key, what it is: "deck of application 12").
stored_files = _signals.signal("stored-files")
# sender: the user whose password was reset or changed; kwargs: actor, reason ("reset" or
# "change"). Sent inside the transaction: each receiver revokes the credentials it keeps for
# the account (the API its tokens) and answers with the number revoked.
credentials_revoked = _signals.signal("credentials-revoked")

# sender: the user. Each receiver answers with the number of live credentials it keeps for the
# account (the API: its tokens), shown where a password change offers to revoke them.
credentials_count = _signals.signal("credentials-count")

# sender: None; kwargs: taken_at (aware datetime). Sent by `flask restore` in one transaction
# once the backup is back: each receiver ends what it issued after taken_at (sessions, API
# tokens) and answers with (what, how many), e.g. ("sessions", 2).
backup_restored = _signals.signal("backup-restored")


def granted(question: Signal, sender: Any, **kwargs: Any) -> bool:
    """True when any receiver of `question` answers True."""
    return any(answer for _receiver, answer in question.send(sender, **kwargs))
