"""Fakes of the step engine's I/O: a clock that only moves when slept on, routers that apply a
written table after a number of polls (or never, or answer nothing), and scripted stats and
PromQL values that follow the fake clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rollout.protocols import WindowStats
from specification.routing import RoutingTable


class FakeClock:
    """Time moves only by `sleep`, so every wait of the engine is instant."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.time += seconds


@dataclass
class FakeRouter:
    """One router: it applies a written revision after `lag_polls` polls; revisions in `ignores`
    are never applied; `silent_polls` polls after each write answer None."""

    revision: int | None
    lag_polls: int = 0
    ignores: set[int] = field(default_factory=set)
    silent_polls: int = 0
    _pending: int | None = None
    _polls_left: int = 0
    _silent_left: int = 0

    def written(self, revision: int) -> None:
        if revision in self.ignores:
            return
        self._pending, self._polls_left = revision, self.lag_polls
        self._silent_left = self.silent_polls

    def poll(self) -> int | None:
        if self._pending is not None:
            if self._polls_left == 0:
                self.revision, self._pending = self._pending, None
            else:
                self._polls_left -= 1
        if self._silent_left:
            self._silent_left -= 1
            return None
        return self.revision


class FakeRouters:
    """A `RouterControl` over `FakeRouter`s that records every write with the clock's time."""

    def __init__(
        self,
        clock: FakeClock,
        routers: Sequence[FakeRouter],
        fail_on_write: set[int] | None = None,
    ) -> None:
        self.clock = clock
        self.routers = list(routers)
        self.writes: list[tuple[RoutingTable, int, float]] = []
        self.polls: list[tuple[float, tuple[int | None, ...]]] = []
        self.fail_on_write = fail_on_write or set()

    def apply(self, table: RoutingTable, revision: int) -> None:
        if revision in self.fail_on_write:
            raise OSError(f"the API server refused revision {revision}")
        self.writes.append((table, revision, self.clock.now()))
        for router in self.routers:
            router.written(revision)

    def applied_revisions(self) -> list[int | None]:
        reported = tuple(router.poll() for router in self.routers)
        self.polls.append((self.clock.now(), reported))
        return list(reported)

    @property
    def last_table(self) -> RoutingTable:
        return self.writes[-1][0]


StatsScript = Callable[[float], WindowStats]


class ScriptedStats:
    """A `VersionStats` whose answer per version is a function of the fake clock's time (or a
    fixed `WindowStats`); every call is recorded as `(time, version, seconds)`."""

    def __init__(self, clock: FakeClock, script: dict[str, StatsScript | WindowStats]) -> None:
        self.clock = clock
        self.script = script
        self.calls: list[tuple[float, str, int]] = []

    def window(self, version: str, seconds: int, *, p99: bool = False) -> WindowStats:
        self.calls.append((self.clock.now(), version, seconds))
        answer = self.script.get(version, WindowStats(0, 0))
        return answer(self.clock.now()) if callable(answer) else answer


class FailingStats:
    """A `VersionStats` whose metrics source is down."""

    def __init__(self) -> None:
        self.calls = 0

    def window(self, version: str, seconds: int, *, p99: bool = False) -> WindowStats:
        self.calls += 1
        raise ConnectionRefusedError("router metrics unreachable")


class ScriptedPromQuery:
    """A `PromQuery` answering each expression with a fixed value (or None)."""

    def __init__(self, values: dict[str, float | None]) -> None:
        self.values = values
        self.calls: list[str] = []

    def value(self, expression: str) -> float | None:
        self.calls.append(expression)
        return self.values[expression]
