"""The stage machine of an application (DESIGN section 3), as data.

No Flask or database import here, so that the table can be tested exhaustively.

    draft ─submit─▶ submitted ─screen─▶ screening ─▶ accepted ─start─▶ incubating ─select─▶ demo_day
                                          │  ╲                          │                   │  │
                                          │   ▶ waitlisted ─▶ accepted  │     graduated ◀───┘  │
                                          ▼            ╲                ▼                      │
                                       rejected         ▶ rejected    dropped   incubating ◀───┘
    any non-terminal stage ─(founder)─▶ withdrawn
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Stage(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    INCUBATING = "incubating"
    DEMO_DAY = "demo_day"
    GRADUATED = "graduated"
    DROPPED = "dropped"
    WITHDRAWN = "withdrawn"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({Stage.REJECTED, Stage.WITHDRAWN, Stage.DROPPED, Stage.GRADUATED})


class Actor(enum.StrEnum):
    """Who may make a move: a member of the startup, or a manager of the program's center."""

    FOUNDER = "founder"
    MANAGER = "manager"


@dataclass(frozen=True)
class Move:
    source: Stage
    target: Stage
    actor: Actor
    action: str
    reason_required: bool = False


_MANAGER_MOVES = (
    Move(Stage.SUBMITTED, Stage.SCREENING, Actor.MANAGER, "screen"),
    Move(Stage.SCREENING, Stage.ACCEPTED, Actor.MANAGER, "accept"),
    Move(Stage.SCREENING, Stage.WAITLISTED, Actor.MANAGER, "waitlist"),
    Move(Stage.SCREENING, Stage.REJECTED, Actor.MANAGER, "reject", reason_required=True),
    Move(Stage.WAITLISTED, Stage.ACCEPTED, Actor.MANAGER, "accept"),
    Move(Stage.WAITLISTED, Stage.REJECTED, Actor.MANAGER, "reject", reason_required=True),
    Move(Stage.ACCEPTED, Stage.INCUBATING, Actor.MANAGER, "start"),
    Move(Stage.INCUBATING, Stage.DEMO_DAY, Actor.MANAGER, "select"),
    Move(Stage.INCUBATING, Stage.DROPPED, Actor.MANAGER, "drop", reason_required=True),
    Move(Stage.DEMO_DAY, Stage.GRADUATED, Actor.MANAGER, "graduate"),
    Move(Stage.DEMO_DAY, Stage.INCUBATING, Actor.MANAGER, "not_ready"),
)

_FOUNDER_MOVES = (
    Move(Stage.DRAFT, Stage.SUBMITTED, Actor.FOUNDER, "submit"),
    *(
        Move(stage, Stage.WITHDRAWN, Actor.FOUNDER, "withdraw", reason_required=True)
        for stage in Stage
        if stage not in TERMINAL
    ),
)

MOVES: tuple[Move, ...] = _MANAGER_MOVES + _FOUNDER_MOVES
_BY_PAIR = {(move.source, move.target): move for move in MOVES}


class Refusal(enum.StrEnum):
    SAME_STAGE = "same_stage"
    TERMINAL = "terminal"
    NOT_A_MOVE = "not_a_move"
    WRONG_ACTOR = "wrong_actor"


class TransitionRefused(Exception):
    def __init__(self, refusal: Refusal, source: Stage, target: Stage, move: Move | None) -> None:
        super().__init__(f"{refusal}: {source} -> {target}")
        self.refusal = refusal
        self.source = source
        self.target = target
        self.move = move


def check(source: Stage, target: Stage, actors: Iterable[Actor]) -> Move:
    """The move from `source` to `target` if one of `actors` may make it; else TransitionRefused."""
    move = _BY_PAIR.get((source, target))
    if move is not None and move.actor in set(actors):
        return move
    if source == target:
        refusal = Refusal.SAME_STAGE
    elif source in TERMINAL:
        refusal = Refusal.TERMINAL
    elif move is None:
        refusal = Refusal.NOT_A_MOVE
    else:
        refusal = Refusal.WRONG_ACTOR
    raise TransitionRefused(refusal, source, target, move)


def moves_from(source: Stage, actors: Iterable[Actor]) -> list[Move]:
    allowed = set(actors)
    return [move for move in MOVES if move.source == source and move.actor in allowed]


def replay(targets: Iterable[tuple[Stage | None, Stage]]) -> Stage | None:
    """The stage a history of (from, to) pairs ends in; None if the chain is broken."""
    current: Stage | None = None
    for source, target in targets:
        if source != current:
            return None
        current = target
    return current
