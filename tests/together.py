"""One way for the tests to send the same thing many times at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

TIMES = 20


def released_together(task: Callable[[int], Any], count: int = TIMES) -> list[Any]:
    """task(0) … task(count - 1) in threads released together by a barrier; their results in
    the order they finished. Fails on any error in a thread (never lost there)."""
    barrier = threading.Barrier(count, timeout=60)
    results: list[Any] = []
    failures: list[BaseException] = []

    def run(number: int) -> None:
        try:
            barrier.wait()
            results.append(task(number))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(results) == count
    return results
