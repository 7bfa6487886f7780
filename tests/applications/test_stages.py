"""The transition table, exhaustively: each (from, to, actor) is allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from incubator.applications import stages
from incubator.applications.stages import (
    TERMINAL,
    Action,
    Capacity,
    Move,
    Refusal,
    Stage,
    TransitionRefused,
    check,
    moves_from,
    replay,
    route,
    shortest_path,
)

# The design (DESIGN section 3), written out pair by pair: (from, to) -> who may do it.
EXPECTED = {
    (Stage.DRAFT, Stage.SUBMITTED): Capacity.FOUNDER,
    (Stage.SUBMITTED, Stage.SCREENING): Capacity.MANAGER,
    (Stage.SCREENING, Stage.ACCEPTED): Capacity.MANAGER,
    (Stage.SCREENING, Stage.WAITLISTED): Capacity.MANAGER,
    (Stage.SCREENING, Stage.REJECTED): Capacity.MANAGER,
    (Stage.WAITLISTED, Stage.ACCEPTED): Capacity.MANAGER,
    (Stage.WAITLISTED, Stage.REJECTED): Capacity.MANAGER,
    (Stage.ACCEPTED, Stage.INCUBATING): Capacity.MANAGER,
    (Stage.INCUBATING, Stage.DEMO_DAY): Capacity.MANAGER,
    (Stage.INCUBATING, Stage.DROPPED): Capacity.MANAGER,
    (Stage.DEMO_DAY, Stage.GRADUATED): Capacity.MANAGER,
    (Stage.DEMO_DAY, Stage.INCUBATING): Capacity.MANAGER,
    **{
        (stage, Stage.WITHDRAWN): Capacity.FOUNDER
        for stage in Stage
        if stage not in {Stage.REJECTED, Stage.WITHDRAWN, Stage.DROPPED, Stage.GRADUATED}
    },
}
REASON_REQUIRED = {Stage.REJECTED, Stage.DROPPED, Stage.WITHDRAWN}


def test_terminal_stages_are_the_designed_ones() -> None:
    assert {Stage.REJECTED, Stage.WITHDRAWN, Stage.DROPPED, Stage.GRADUATED} == TERMINAL


@pytest.mark.parametrize(
    ("source", "target", "actor"), list(itertools.product(Stage, Stage, Capacity))
)
def test_every_pair_is_allowed_for_its_actor_or_refused_with_a_reason(
    source: Stage, target: Stage, actor: Capacity
) -> None:
    allowed_actor = EXPECTED.get((source, target))
    if allowed_actor is actor:
        move = check(source, target, [actor])
        assert (move.source, move.target, move.capacity) == (source, target, actor)
        assert move.reason_required == (target in REASON_REQUIRED)
        return
    with pytest.raises(TransitionRefused) as refused:
        check(source, target, [actor])
    if source == target:
        expected = Refusal.SAME_STAGE
    elif source in TERMINAL:
        expected = Refusal.TERMINAL
    elif allowed_actor is None:
        expected = Refusal.NOT_A_MOVE
    else:
        expected = Refusal.WRONG_CAPACITY
    assert refused.value.refusal is expected
    assert (refused.value.source, refused.value.target) == (source, target)


def test_a_founder_who_also_manages_may_make_both_kinds_of_moves() -> None:
    both = [Capacity.FOUNDER, Capacity.MANAGER]
    assert check(Stage.DRAFT, Stage.SUBMITTED, both).capacity is Capacity.FOUNDER
    assert check(Stage.SUBMITTED, Stage.SCREENING, both).capacity is Capacity.MANAGER


def test_no_actor_may_do_nothing() -> None:
    with pytest.raises(TransitionRefused):
        check(Stage.DRAFT, Stage.SUBMITTED, [])


def test_moves_from_lists_exactly_the_table() -> None:
    for source, actor in itertools.product(Stage, Capacity):
        listed = {m.target for m in moves_from(source, [actor])}
        expected = {t for (s, t), a in EXPECTED.items() if s == source and a is actor}
        assert listed == expected, (source, actor)


def test_the_table_has_no_move_the_design_does_not_name() -> None:
    assert {(m.source, m.target): m.capacity for m in stages.MOVES} == EXPECTED


def test_replay_follows_a_chain_and_detects_a_broken_one() -> None:
    chain = [
        (None, Stage.DRAFT),
        (Stage.DRAFT, Stage.SUBMITTED),
        (Stage.SUBMITTED, Stage.SCREENING),
    ]
    assert replay(chain) is Stage.SCREENING
    assert replay([(None, Stage.DRAFT), (Stage.SUBMITTED, Stage.SCREENING)]) is None


def walk(path: list[Stage]) -> Stage:
    """The stage a draft reaches along `path`, each step checked against the table."""
    stage = Stage.DRAFT
    for target in path:
        stage = check(stage, target, Capacity).target
    return stage


@pytest.mark.parametrize("target", list(Stage))
def test_route_reaches_every_stage_by_moves_of_the_table(target: Stage) -> None:
    path = route(target)
    assert walk(path) is target
    if target is not Stage.DRAFT:
        assert path[0] is Stage.SUBMITTED  # what managers see was submitted
        assert len(path) == 1 + len(shortest_path(Stage.SUBMITTED, target))


def test_route_takes_the_shortest_chain() -> None:
    assert route(Stage.REJECTED) == [Stage.SUBMITTED, Stage.SCREENING, Stage.REJECTED]
    assert route(Stage.WITHDRAWN) == [Stage.SUBMITTED, Stage.WITHDRAWN]
    assert route(Stage.GRADUATED) == [
        Stage.SUBMITTED,
        Stage.SCREENING,
        Stage.ACCEPTED,
        Stage.INCUBATING,
        Stage.DEMO_DAY,
        Stage.GRADUATED,
    ]
    assert shortest_path(Stage.DRAFT, Stage.WITHDRAWN) == [Stage.WITHDRAWN]
    assert shortest_path(Stage.SCREENING, Stage.SCREENING) == []


def test_route_follows_the_table_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    shortcut = Move(Stage.SUBMITTED, Stage.ACCEPTED, Capacity.MANAGER, Action.ACCEPT)
    table = stages.MOVES
    monkeypatch.setattr(stages, "MOVES", (shortcut, *table))
    assert route(Stage.INCUBATING) == [Stage.SUBMITTED, Stage.ACCEPTED, Stage.INCUBATING]
    monkeypatch.setattr(stages, "MOVES", tuple(m for m in table if m.action is not Action.SCREEN))
    with pytest.raises(ValueError, match="no chain"):
        route(Stage.ACCEPTED)


def test_stages_module_imports_neither_flask_nor_the_database() -> None:
    """The table imports only the Flask-free enum base, so it can be tested on its own."""
    from pathlib import Path

    from incubator import enums

    source = Path(stages.__file__).read_text(encoding="utf-8")
    source = source.replace("from incubator.enums import LabelledEnum", "")
    base = Path(enums.__file__).read_text(encoding="utf-8")
    for forbidden in ("flask", "sqlalchemy", "incubator."):
        for text in (source, base):
            assert f"import {forbidden}" not in text and f"from {forbidden}" not in text
