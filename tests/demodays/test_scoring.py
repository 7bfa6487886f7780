"""The results' arithmetic (incubator/demodays/scoring.py), against figures worked by hand."""

from __future__ import annotations

import math

import pytest

from incubator.demodays.scoring import Criterion, results, sheet_score, z_scores

# Three judges, four pitches (sheets already weighted, out of 100):
#
#            P1   P2   P3   P4
#   A (harsh) 40   50   60   70
#   B (flat)  80   80   80   80     gives everyone the same score
#   C (kind)  90   --   70   80     abstains on P2 (no sheet)
#
# Raw means: P1 = (40+80+90)/3 = 70;  P2 = (50+80)/2 = 65;
#            P3 = (60+80+70)/3 = 70;  P4 = (70+80+80)/3 = 230/3 = 76.667
#
# z-scores (population standard deviation, over the pitches each judge scored):
#   A: mean 55; deviations -15, -5, 5, 15; variance (225+25+25+225)/4 = 125; sd = 5*sqrt(5)
#      z = -3/sqrt(5), -1/sqrt(5), 1/sqrt(5), 3/sqrt(5) = -1.341641, -0.447214, 0.447214, 1.341641
#   B: sd 0 -> contributes 0 to each pitch (no division by zero)
#   C: mean (90+70+80)/3 = 80; deviations 10, -10, 0; variance 200/3; sd = 8.164966
#      z(P1) = 10/8.164966 = sqrt(1.5) = 1.224745; z(P3) = -1.224745; z(P4) = 0
#
# Normalized (mean of the z-scores of the judges who scored the pitch):
#   P1 = (-1.341641 + 0 + 1.224745)/3 = -0.116896/3 = -0.038965
#   P2 = (-0.447214 + 0)/2                           = -0.223607
#   P3 = (0.447214 + 0 - 1.224745)/3 = -0.777531/3  = -0.259177
#   P4 = (1.341641 + 0 + 0)/3                        =  0.447214
#
# So the raw ranking P4 > P1 = P3 > P2 becomes P4 > P1 > P2 > P3 once normalized: C's
# generous 90 for P1 no longer outweighs A's low opinion of it, and P3, which the lenient
# judge ranked last among their own, drops.
SHEETS = {
    ("A", "P1"): 40.0,
    ("A", "P2"): 50.0,
    ("A", "P3"): 60.0,
    ("A", "P4"): 70.0,
    ("B", "P1"): 80.0,
    ("B", "P2"): 80.0,
    ("B", "P3"): 80.0,
    ("B", "P4"): 80.0,
    ("C", "P1"): 90.0,
    ("C", "P3"): 70.0,
    ("C", "P4"): 80.0,
}
PITCHES = ["P1", "P2", "P3", "P4"]


def test_raw_means_and_judge_counts_by_hand() -> None:
    got = results(SHEETS, PITCHES)
    assert got["P1"].raw_mean == pytest.approx(70)
    assert got["P2"].raw_mean == pytest.approx(65)
    assert got["P3"].raw_mean == pytest.approx(70)
    assert got["P4"].raw_mean == pytest.approx(76.666667)
    assert [got[p].judges for p in PITCHES] == [3, 2, 3, 3]


def test_normalized_scores_by_hand() -> None:
    got = results(SHEETS, PITCHES)
    assert got["P1"].normalized == pytest.approx(-0.038965, abs=1e-6)
    assert got["P2"].normalized == pytest.approx(-0.223607, abs=1e-6)
    assert got["P3"].normalized == pytest.approx(-0.259177, abs=1e-6)
    assert got["P4"].normalized == pytest.approx(0.447214, abs=1e-6)
    ranking = sorted(PITCHES, key=lambda p: got[p].normalized, reverse=True)
    assert ranking == ["P4", "P1", "P2", "P3"]


def test_a_constant_judge_contributes_zero() -> None:
    assert z_scores({"P1": 80.0, "P2": 80.0, "P3": 80.0}) == {"P1": 0.0, "P2": 0.0, "P3": 0.0}
    assert z_scores({"P1": 55.0}) == {"P1": 0.0}


def test_a_harsh_judge_and_a_lenient_one_with_the_same_order_weigh_the_same() -> None:
    harsh = z_scores({"P1": 10.0, "P2": 20.0, "P3": 30.0})
    lenient = z_scores({"P1": 80.0, "P2": 90.0, "P3": 100.0})
    assert harsh == pytest.approx(lenient)
    assert harsh["P3"] == pytest.approx(math.sqrt(1.5))


def test_a_pitch_nobody_scored_has_no_result() -> None:
    got = results({}, ["P1"])
    assert got["P1"].raw_mean is None
    assert got["P1"].normalized is None
    assert got["P1"].judges == 0


def test_a_sheet_is_weighted_out_of_100() -> None:
    criteria = [Criterion(1, weight=2, max_score=10), Criterion(2, weight=1, max_score=5)]
    # (2 * 8/10 + 1 * 5/5) / 3 * 100 = (1.6 + 1) / 3 * 100 = 86.667
    assert sheet_score(criteria, {1: 8, 2: 5}) == pytest.approx(86.666667)
    assert sheet_score(criteria, {1: 8}) is None  # incomplete: does not count
    assert sheet_score([], {}) is None
