"""Bookings in the user's private iCalendar feed (built by incubator/mentoring/calendar.py):
the answer to `signals.calendar_events`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icalendar import Event

from incubator.accounts.models import User
from incubator.db import db
from incubator.fablab.bookings import bookings_query
from incubator.fablab.models import HOLDING, Booking


def booking_events(user: User, *, since: datetime, limit: int, **_kwargs: Any) -> list[Event]:
    bookings = db.session.scalars(
        bookings_query(user)
        .where(Booking.status.in_(HOLDING), Booking.ends_at >= since)
        .order_by(Booking.starts_at.desc())
        .limit(limit)
    )
    events = []
    for booking in bookings:
        event = Event()
        event.add("uid", f"fablab-booking-{booking.id}@incubator")
        event.add("dtstamp", booking.created_at)
        event.add("summary", f"{booking.machine.name} · {booking.machine.lab.name}")
        event.add("dtstart", booking.starts_at)
        event.add("dtend", booking.ends_at)
        event.add("location", booking.machine.lab.location or booking.machine.lab.name)
        event.add("description", booking.purpose)
        events.append(event)
    return events
