"""Open data for the province's operations center (IOC): figures per center and month.

A scheduled job (`refresh_open_data`) asks every domain for a month's figures
(`signals.open_data_figures`, read from their stored figures) and keeps them in
`OpenDataMonth`; `/api/v1/stats` adds up the months of a period from those rows only. No
personal data: counts, hours, sums.

Keys a domain may answer with (absent ones count as zero):
- sums over the months: `applications_per_program` ({program id: {"name", "applications"}}),
  `mentoring_sessions`, `mentoring_minutes`, `equipment_booked_minutes`,
  `equipment_used_minutes`, `equipment_open_minutes`, `graduates`, `funding_raised_vnd`;
- the state at the end of the period (the last month that has it): `startups_per_stage`,
  `startups_per_sector`, `jobs` (headcount in the latest check-ins).
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import json
from datetime import date
from typing import Any

from sqlalchemy import select

from incubator import signals
from incubator.api.models import OpenDataMonth, OpenDataSetting
from incubator.centers.models import Center
from incubator.db import add_unique, db, utcnow
from incubator.errors import NotFound
from incubator.i18n import LOCAL_TZ

SUMS = (
    "mentoring_sessions",
    "mentoring_minutes",
    "equipment_booked_minutes",
    "equipment_used_minutes",
    "equipment_open_minutes",
    "graduates",
    "funding_raised_vnd",
)
SNAPSHOTS = ("startups_per_stage", "startups_per_sector", "jobs")


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def center_by_code(code: str) -> Center:
    center = db.session.scalar(select(Center).where(Center.code == code))
    if center is None:
        raise NotFound("center")
    return center


def is_public(center: Center) -> bool:
    return is_public_id(center.id)


def is_public_id(center_id: int) -> bool:
    setting = db.session.get(OpenDataSetting, center_id)
    return setting is not None and setting.public


def center_of(center_id: int) -> Center:
    center = db.session.get(Center, center_id)
    if center is None:
        raise NotFound("center")
    return center


def may_read(actor: Any, center: Center) -> bool:
    """Everyone when the center publishes its open data; otherwise its managers (admins)."""
    return is_public(center) or (actor.is_authenticated and actor.manages(center.id))


def set_public(actor: Any, center_id: int, public: bool) -> None:
    if not actor.manages(center_id):
        raise NotFound("center")
    center_of(center_id)  # (an admin may name any id: one that is no center is not found)
    setting = db.session.get(OpenDataSetting, center_id)
    if setting is None:
        setting = OpenDataSetting(center_id=center_id)
        if not add_unique(setting):
            setting = db.session.get(OpenDataSetting, center_id, populate_existing=True)
    if setting is None:  # (inserted and deleted meanwhile)
        raise NotFound("center")
    setting.public = public
    setting.updated_at = utcnow()


# ------------------------------------------------------------------ the job


def compute_month(center_id: int, month: date) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    first, last = month_start(month), month_end(month)
    for _receiver, answer in signals.open_data_figures.send(center_id, first=first, last=last):
        figures.update(answer or {})
    return figures


def store_month(center_id: int, month: date) -> OpenDataMonth:
    """Compute and keep a month's figures (idempotent: run it again, the row is replaced)."""
    month = month_start(month)
    row = db.session.get(OpenDataMonth, (center_id, month))
    if row is None:
        row = OpenDataMonth(center_id=center_id, month=month, figures={})
        if not add_unique(row):
            row = db.session.get(OpenDataMonth, (center_id, month), populate_existing=True)
    assert row is not None
    row.figures = compute_month(center_id, month)
    row.computed_at = utcnow()
    return row


def all_center_ids() -> list[int]:
    return list(db.session.scalars(select(Center.id).order_by(Center.id)))


def refresh_open_data(today: date | None = None) -> int:
    """The scheduled job: this month and the last one, for every center (one transaction
    per center and month)."""
    today = today or utcnow().astimezone(LOCAL_TZ).date()
    this_month = month_start(today)
    last_month = month_start(date.fromordinal(this_month.toordinal() - 1))
    count = 0
    for center_id in all_center_ids():
        for month in (last_month, this_month):
            with db.transaction():
                store_month(center_id, month)
            count += 1
    return count


# ------------------------------------------------------------------ reading


def period_figures(center: Center, first: date, last: date) -> dict[str, Any]:
    """The figures of [first, last] in whole months, added up from the stored months."""
    rows = list(
        db.session.scalars(
            select(OpenDataMonth)
            .where(
                OpenDataMonth.center_id == center.id,
                OpenDataMonth.month >= month_start(first),
                OpenDataMonth.month <= month_start(last),
            )
            .order_by(OpenDataMonth.month)
        )
    )
    sums = dict.fromkeys(SUMS, 0)
    programs: dict[str, dict[str, Any]] = {}
    snapshots: dict[str, Any] = {"startups_per_stage": {}, "startups_per_sector": {}, "jobs": 0}
    for row in rows:
        figures = row.figures or {}
        for key in SUMS:
            sums[key] += int(figures.get(key) or 0)
        for program_id, item in (figures.get("applications_per_program") or {}).items():
            entry = programs.setdefault(
                program_id, {"program_id": int(program_id), "name": item["name"], "count": 0}
            )
            entry["count"] += int(item["applications"])
        for key in SNAPSHOTS:
            if key in figures:
                snapshots[key] = figures[key]
    booked, used, opened = (
        sums["equipment_booked_minutes"],
        sums["equipment_used_minutes"],
        sums["equipment_open_minutes"],
    )
    computed = max((row.computed_at for row in rows), default=None)
    return {
        "center": center.code,
        "from": month_start(first).isoformat(),
        "to": month_end(last).isoformat(),
        "computed_at": computed.astimezone(LOCAL_TZ).isoformat() if computed else None,
        "startups_per_stage": snapshots["startups_per_stage"],
        "startups_per_sector": snapshots["startups_per_sector"],
        "applications_per_program": [
            {"program_id": p["program_id"], "program": p["name"], "applications": p["count"]}
            for p in sorted(programs.values(), key=lambda p: p["program_id"])
        ],
        "mentoring_sessions": sums["mentoring_sessions"],
        "mentoring_hours": round(sums["mentoring_minutes"] / 60, 1),
        "equipment_booked_hours": round(booked / 60, 1),
        "equipment_used_hours": round(used / 60, 1),
        "equipment_utilization": round(used / opened, 4) if opened else None,
        "graduates": sums["graduates"],
        "funding_raised_vnd": sums["funding_raised_vnd"],
        "jobs": int(snapshots["jobs"] or 0),
    }


def etag(figures: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()[:32]


def as_csv(figures: dict[str, Any]) -> str:
    """metric, key, value rows (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "key", "value"])
    for name, value in figures.items():
        if isinstance(value, dict):
            for key, number in value.items():
                writer.writerow([name, key, number])
        elif isinstance(value, list):
            for item in value:
                writer.writerow([name, item["program"], item["applications"]])
        else:
            writer.writerow([name, "", "" if value is None else value])
    return "\ufeff" + out.getvalue()
