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
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from incubator.enums import LabelledEnum


class Stage(LabelledEnum):
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


TERMINAL = frozenset({Stage.REJECTED, Stage.WITHDRAWN, Stage.DROPPED, Stage.GRADUATED})


class Capacity(enum.StrEnum):
    """In which capacity a user makes a move: a member of the startup, or a manager of the
    program's center."""

    FOUNDER = "founder"
    MANAGER = "manager"


class Action(LabelledEnum):
    """What a move is called (the button's label)."""

    SUBMIT = "submit"
    SCREEN = "screen"
    ACCEPT = "accept"
    WAITLIST = "waitlist"
    REJECT = "reject"
    START = "start"
    SELECT = "select"
    DROP = "drop"
    GRADUATE = "graduate"
    NOT_READY = "not_ready"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Move:
    source: Stage
    target: Stage
    capacity: Capacity
    action: Action
    reason_required: bool = False


_MANAGER_MOVES = (
    Move(Stage.SUBMITTED, Stage.SCREENING, Capacity.MANAGER, Action.SCREEN),
    Move(Stage.SCREENING, Stage.ACCEPTED, Capacity.MANAGER, Action.ACCEPT),
    Move(Stage.SCREENING, Stage.WAITLISTED, Capacity.MANAGER, Action.WAITLIST),
    Move(Stage.SCREENING, Stage.REJECTED, Capacity.MANAGER, Action.REJECT, reason_required=True),
    Move(Stage.WAITLISTED, Stage.ACCEPTED, Capacity.MANAGER, Action.ACCEPT),
    Move(Stage.WAITLISTED, Stage.REJECTED, Capacity.MANAGER, Action.REJECT, reason_required=True),
    Move(Stage.ACCEPTED, Stage.INCUBATING, Capacity.MANAGER, Action.START),
    Move(Stage.INCUBATING, Stage.DEMO_DAY, Capacity.MANAGER, Action.SELECT),
    Move(Stage.INCUBATING, Stage.DROPPED, Capacity.MANAGER, Action.DROP, reason_required=True),
    Move(Stage.DEMO_DAY, Stage.GRADUATED, Capacity.MANAGER, Action.GRADUATE),
    Move(Stage.DEMO_DAY, Stage.INCUBATING, Capacity.MANAGER, Action.NOT_READY),
)

_FOUNDER_MOVES = (
    Move(Stage.DRAFT, Stage.SUBMITTED, Capacity.FOUNDER, Action.SUBMIT),
    *(
        Move(stage, Stage.WITHDRAWN, Capacity.FOUNDER, Action.WITHDRAW, reason_required=True)
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
    WRONG_CAPACITY = "wrong_capacity"


class TransitionRefused(Exception):
    def __init__(self, refusal: Refusal, source: Stage, target: Stage, move: Move | None) -> None:
        super().__init__(f"{refusal}: {source} -> {target}")
        self.refusal = refusal
        self.source = source
        self.target = target
        self.move = move


def check(source: Stage, target: Stage, capacities: Iterable[Capacity]) -> Move:
    """The move from `source` to `target` if it may be made in one of `capacities`; else
    TransitionRefused."""
    move = _BY_PAIR.get((source, target))
    if move is not None and move.capacity in set(capacities):
        return move
    if source == target:
        refusal = Refusal.SAME_STAGE
    elif source in TERMINAL:
        refusal = Refusal.TERMINAL
    elif move is None:
        refusal = Refusal.NOT_A_MOVE
    else:
        refusal = Refusal.WRONG_CAPACITY
    raise TransitionRefused(refusal, source, target, move)


def moves_from(source: Stage, capacities: Iterable[Capacity]) -> list[Move]:
    allowed = set(capacities)
    return [move for move in MOVES if move.source == source and move.capacity in allowed]


def shortest_path(source: Stage, target: Stage) -> list[Stage]:
    """The stages after `source` on a shortest chain of moves to `target`, in any capacity.

    A breadth-first search over the table (`moves_from`), so it follows the table when
    the table changes; ties go to the move listed first. [] when `target` is `source`;
    ValueError when no chain of moves reaches it.
    """
    came_from: dict[Stage, Stage] = {source: source}
    queue = deque([source])
    while queue and target not in came_from:
        stage = queue.popleft()
        for move in moves_from(stage, Capacity):
            if move.target not in came_from:
                came_from[move.target] = stage
                queue.append(move.target)
    if target not in came_from:
        raise ValueError(f"no chain of moves from {source} to {target}")
    path: list[Stage] = []
    while target != source:
        path.append(target)
        target = came_from[target]
    return path[::-1]


def route(target: Stage) -> list[Stage]:
    """The stages a made-up application (demo data, test factories) passes through after its
    draft to reach `target`: beyond the draft it is submitted first (a draft withdrawn
    unsubmitted would never reach a manager), then takes the shortest chain of moves."""
    if target is Stage.DRAFT:
        return []
    return shortest_path(Stage.DRAFT, Stage.SUBMITTED) + shortest_path(Stage.SUBMITTED, target)


def replay(targets: Iterable[tuple[Stage | None, Stage]]) -> Stage | None:
    """The stage a history of (from, to) pairs ends in; None if the chain is broken."""
    current: Stage | None = None
    for source, target in targets:
        if source != current:
            return None
        current = target
    return current
