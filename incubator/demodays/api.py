"""/api/v1/demo-days/{id}/results: a demo day's published results.

Read as the web shows them (`standings.readable_results`): the whole ranking to the center's
managers and the admins, a founder's own pitches to the members of a startup that pitched;
404 for anyone else and while the results are not published."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from incubator.api.core import BEARER, answers, api_blueprint, iso, spec
from incubator.db import run
from incubator.demodays import standings
from incubator.security import logged_in

bp = api_blueprint("demodays_api", __name__)
TAGS = ["demo days"]


class CriterionOut(BaseModel):
    name: str
    weight: int
    max_score: int
    mean: float | None = Field(description="the mean of the counted judges' scores")


class PitchOut(BaseModel):
    rank: int = Field(description="by the normalized score, 1 the best")
    startup_id: int | None
    startup_name: str
    sector: str
    raw_mean: float | None
    normalized: float | None
    judges: int
    abstentions: int
    stage: str = Field(description="the application's stage after the demo day")
    criteria: list[CriterionOut]
    comments: list[str]


class ResultsOut(BaseModel):
    id: int
    name: str
    program: str
    center: str
    starts_at: str
    venue: str
    published_at: str | None
    judges: int
    pitches: list[PitchOut]


def results_json(results: standings.DemoDayResults) -> dict[str, Any]:
    return {
        "id": results.id,
        "name": results.name,
        "program": results.program_name,
        "center": results.center_name,
        "starts_at": iso(results.starts_at),
        "venue": results.venue,
        "published_at": iso(results.published_at),
        "judges": results.judges,
        "pitches": [
            {
                "rank": pitch.rank,
                "startup_id": pitch.startup_id,
                "startup_name": pitch.startup_name,
                "sector": str(pitch.sector),
                "raw_mean": pitch.raw_mean,
                "normalized": pitch.normalized,
                "judges": pitch.judges,
                "abstentions": pitch.abstentions,
                "stage": pitch.stage,
                "criteria": [
                    {"name": c.name, "weight": c.weight, "max_score": c.max_score, "mean": c.mean}
                    for c in pitch.criteria
                ],
                "comments": list(pitch.comments),
            }
            for pitch in results.pitches
        ],
    }


@bp.get("/demo-days/<int:demo_day_id>/results")
@logged_in
@spec.validate(resp=answers(200, ResultsOut), tags=TAGS, security=BEARER)
def results(demo_day_id: int) -> Any:
    """The published results, ranked by the normalized score: every pitch for the center's
    managers, the caller's own pitches for a founder; 404 while not published."""
    return results_json(run(standings.readable_results, current_user, demo_day_id))
