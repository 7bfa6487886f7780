"""The results of a demo day, as pure functions (no Flask, no database).

A judge's *sheet* for a pitch is its weighted score on 0–100: each criterion's score over
the criterion's maximum, weighted, times 100. Only complete sheets (every criterion
scored, not abstained) count.

* raw mean: the mean of the sheets of the pitch;
* normalized: each judge's sheets become z-scores over the pitches that judge scored
  (z = (sheet - judge's mean) / judge's population standard deviation), then the z-scores
  of the pitch are averaged. A harsh or a lenient judge thus weighs like any other; a
  judge who gives everyone the same score (standard deviation 0), or scored a single
  pitch, contributes 0 to each pitch, not a division by zero.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    id: int
    weight: int
    max_score: int


def sheet_score(criteria: Sequence[Criterion], values: Mapping[int, int]) -> float | None:
    """The 0–100 weighted score of one judge's values (criterion id -> value) for a pitch;
    None while a criterion is missing."""
    if not criteria or any(c.id not in values for c in criteria):
        return None
    total_weight = sum(c.weight for c in criteria)
    weighted = sum(c.weight * values[c.id] / c.max_score for c in criteria)
    return 100 * weighted / total_weight


@dataclass(frozen=True)
class PitchResult:
    raw_mean: float | None
    normalized: float | None
    judges: int


def z_scores(sheets: Mapping[Hashable, float]) -> dict[Hashable, float]:
    """One judge's sheets (pitch -> score) as z-scores; all 0 when they do not vary."""
    if not sheets:
        return {}
    mean = sum(sheets.values()) / len(sheets)
    variance = sum((s - mean) ** 2 for s in sheets.values()) / len(sheets)
    deviation = math.sqrt(variance)
    if deviation < 1e-9:
        return dict.fromkeys(sheets, 0.0)
    return {pitch: (score - mean) / deviation for pitch, score in sheets.items()}


def results(
    sheets: Mapping[tuple[Hashable, Hashable], float], pitches: Sequence[Hashable]
) -> dict[Hashable, PitchResult]:
    """Per pitch, from the complete sheets keyed by (judge, pitch): the raw mean, the mean of
    the judges' z-scores and how many judges scored it."""
    by_judge: dict[Hashable, dict[Hashable, float]] = defaultdict(dict)
    for (judge, pitch), score in sheets.items():
        by_judge[judge][pitch] = score
    raw: dict[Hashable, list[float]] = defaultdict(list)
    normal: dict[Hashable, list[float]] = defaultdict(list)
    for judge_sheets in by_judge.values():
        for pitch, z in z_scores(judge_sheets).items():
            normal[pitch].append(z)
            raw[pitch].append(judge_sheets[pitch])
    return {
        pitch: PitchResult(
            raw_mean=sum(raw[pitch]) / len(raw[pitch]) if raw[pitch] else None,
            normalized=sum(normal[pitch]) / len(normal[pitch]) if normal[pitch] else None,
            judges=len(raw[pitch]),
        )
        for pitch in pitches
    }
