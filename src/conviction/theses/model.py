"""People and theses: four-pillar scorecards and theses with milestones, all with history.

Nothing here is ever overwritten. A judgement that changes is a new dated entry, and the
state on a date is the latest entry on or before that date (entries of the same date keep
their order, so the later one wins). That is what lets ``conviction review`` answer "what
did we think on 2025-11-14?" long after the scores have moved.

Objects are frozen and trust their inputs (``conviction.io.theses_toml`` validates a file
once); the one exception is :func:`update_milestone`, the entry point of a user's update,
which checks what the user typed.
"""

from __future__ import annotations

import datetime as dt
import operator
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from conviction.errors import FormatError, UnknownIdError

__all__ = [
    "OPS",
    "OUTCOMES",
    "PILLARS",
    "STATUSES",
    "SUBJECT_KINDS",
    "DriverEffect",
    "Evidence",
    "Milestone",
    "MilestoneEntry",
    "MilestoneStatus",
    "Op",
    "Pillar",
    "PillarScore",
    "Scorecard",
    "SubjectKind",
    "Thesis",
    "scorecards_by_person",
    "update_milestone",
]

Pillar: TypeAlias = Literal["execution", "long_term", "integration", "resilience"]
MilestoneStatus: TypeAlias = Literal["pending", "hit", "slipped", "missed"]
Op: TypeAlias = Literal["<=", "<", ">=", ">", "=="]
SubjectKind: TypeAlias = Literal["company", "person"]

#: The four things the seed's investor bets on in a person (the article's four pillars).
PILLARS: tuple[Pillar, ...] = ("execution", "long_term", "integration", "resilience")
STATUSES: tuple[MilestoneStatus, ...] = ("pending", "hit", "slipped", "missed")
OPS: tuple[Op, ...] = ("<=", "<", ">=", ">", "==")
SUBJECT_KINDS: tuple[SubjectKind, ...] = ("company", "person")

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind a judgement: what, when, and where it was read."""

    text: str
    date: dt.date
    source: str = ""


@dataclass(frozen=True, slots=True)
class PillarScore:
    """A score 0-5 of one person on one pillar, given on ``date``, with its evidence."""

    person: str
    pillar: Pillar
    score: float
    date: dt.date
    evidence: tuple[Evidence, ...] = ()
    origin: str = ""  # the file it came from, or "update"


def _latest_on(dates: list[dt.date], on: dt.date) -> int | None:
    """Index of the last date <= ``on`` in a sorted list (None before the first)."""
    i = bisect_right(dates, on)
    return i - 1 if i else None


@dataclass(frozen=True)
class Scorecard:
    """Every score ever given to one person, in date order (stable for equal dates)."""

    person: str
    entries: tuple[PillarScore, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.entries, key=lambda e: e.date))
        object.__setattr__(self, "entries", ordered)

    def history(self, pillar: Pillar) -> tuple[PillarScore, ...]:
        """The scores of one pillar, oldest first."""
        return tuple(e for e in self.entries if e.pillar == pillar)

    def score_on(self, pillar: Pillar, on: dt.date) -> PillarScore | None:
        """The score in force on ``on``: the latest entry on or before it."""
        hist = self.history(pillar)
        i = _latest_on([e.date for e in hist], on)
        return None if i is None else hist[i]

    def on(self, on: dt.date) -> dict[Pillar, PillarScore]:
        """The scores in force on a date, by pillar (pillars not yet scored are absent)."""
        found = {p: self.score_on(p, on) for p in PILLARS}
        return {p: s for p, s in found.items() if s is not None}

    def with_entry(self, entry: PillarScore) -> Scorecard:
        """A new scorecard with one more entry (this one is unchanged)."""
        return Scorecard(self.person, (*self.entries, entry))


@dataclass(frozen=True, slots=True)
class MilestoneEntry:
    """The state of a milestone from ``date`` on: its status, its due date, why."""

    date: dt.date
    status: MilestoneStatus
    due: dt.date
    evidence: str = ""
    source: str = ""
    value: float | None = None  # an observed value of the milestone's metric, if any
    origin: str = ""  # the file it came from, or "update"


#: The statuses a milestone effect answers to ("pending" leaves the driver as it is).
OUTCOMES: tuple[MilestoneStatus, ...] = ("hit", "missed", "slipped")


@dataclass(frozen=True, slots=True)
class DriverEffect:
    """What a milestone's outcome does to one driver of the projection (docs/theses.md).

    Every effect multiplies the driver, path by path, by a factor: ``hit`` when the
    milestone is hit, ``missed`` when it is missed, and when it has slipped ``k`` times,
    ``(1 + growth) ** -(k * slipped_years)``: the driver's value is reached
    ``slipped_years`` later per slip, so at the projection's horizon it stands where it
    stood that many years earlier on a path growing by ``growth`` a year. A pending
    milestone, or an outcome the effect does not name, leaves the driver as it is.

    ``file``, ``line`` and ``field`` say where the effect was written, for errors found
    later (a driver the projection does not have).
    """

    driver: str
    hit: float | None = None
    missed: float | None = None
    slipped_years: float | None = None
    growth: float | None = None
    file: str = ""
    line: int | None = None
    field: str = ""

    def factor(self, status: MilestoneStatus, slips: int = 1) -> float:
        """The factor for a milestone in ``status`` that has slipped ``slips`` times."""
        if status == "hit" and self.hit is not None:
            return self.hit
        if status == "missed" and self.missed is not None:
            return self.missed
        if status == "slipped" and self.slipped_years is not None and self.growth is not None:
            return float((1.0 + self.growth) ** -(slips * self.slipped_years))
        return 1.0


@dataclass(frozen=True)
class Milestone:
    """A dated step of a thesis. ``history`` is never empty; its first entry opens it.

    ``metric``/``op``/``target`` optionally say what "hit" means in numbers
    (``optimus_unit_cost <= 20000``). ``effects`` say what its outcomes do to the
    projection's drivers.
    """

    id: str
    title: str
    history: tuple[MilestoneEntry, ...]
    metric: str | None = None
    op: Op | None = None
    target: float | None = None
    effects: tuple[DriverEffect, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.history, key=lambda e: e.date))
        object.__setattr__(self, "history", ordered)

    def state_on(self, on: dt.date) -> MilestoneEntry | None:
        """The entry in force on ``on`` (None before the milestone was set)."""
        i = _latest_on([e.date for e in self.history], on)
        return None if i is None else self.history[i]

    @property
    def latest(self) -> MilestoneEntry:
        return self.history[-1]

    @property
    def due(self) -> dt.date:
        return self.latest.due

    @property
    def status(self) -> MilestoneStatus:
        return self.latest.status

    @property
    def evidence(self) -> str:
        return self.latest.evidence

    def slips(self, on: dt.date) -> int:
        """How many times it was marked slipped, counting entries on or before ``on``."""
        return sum(1 for e in self.history if e.date <= on and e.status == "slipped")

    def meets(self, value: float) -> bool | None:
        """Whether a value meets the target (None when the milestone has no metric)."""
        if self.op is None or self.target is None:
            return None
        return _COMPARE[self.op](value, self.target)

    @property
    def target_text(self) -> str | None:
        if self.metric is None or self.op is None or self.target is None:
            return None
        return f"{self.metric} {self.op} {self.target:g}"

    def with_entry(self, entry: MilestoneEntry) -> Milestone:
        return replace(self, history=(*self.history, entry))


@dataclass(frozen=True)
class Thesis:
    """Why a company (or a person's companies) is held, and how we will know we were wrong."""

    id: str
    subject_kind: SubjectKind
    subject: str
    statement: str
    opened: dt.date
    horizon: dt.date
    kill_criteria: tuple[str, ...] = ()
    milestones: tuple[Milestone, ...] = field(default_factory=tuple)
    origin: str = ""

    def milestone(self, milestone_id: str) -> Milestone:
        for m in self.milestones:
            if m.id == milestone_id:
                return m
        known = ", ".join(m.id for m in self.milestones) or "none"
        raise UnknownIdError(
            f"thesis {self.id!r} has no milestone {milestone_id!r} (known: {known})",
            field="milestone",
        )

    def with_milestone(self, milestone: Milestone) -> Thesis:
        """A new thesis with ``milestone`` in place of the one with the same id."""
        ms = tuple(milestone if m.id == milestone.id else m for m in self.milestones)
        return replace(self, milestones=ms)


def update_milestone(
    thesis: Thesis,
    milestone_id: str,
    *,
    status: str,
    on: dt.date,
    evidence: str,
    source: str = "",
    due: dt.date | None = None,
    value: float | None = None,
) -> tuple[Thesis, MilestoneEntry]:
    """Record a new state of one milestone; returns the new thesis and the new entry.

    The due date carries over unless given (a slip usually moves it). Raises
    ``UnknownIdError`` for an unknown milestone and ``FormatError`` for a status not in
    ``STATUSES``, an empty evidence text, or a date or due date before the thesis opened.
    """
    milestone = thesis.milestone(milestone_id)
    if status not in STATUSES:
        raise FormatError(
            f"unknown status {status!r} (expected one of {', '.join(STATUSES)})", field="status"
        )
    if not evidence.strip():
        raise FormatError("an update needs evidence: say what happened", field="evidence")
    if on < thesis.opened:
        raise FormatError(
            f"update dated {on} is before thesis {thesis.id!r} opened ({thesis.opened})",
            field="date",
        )
    if due is not None and due < thesis.opened:
        raise FormatError(
            f"due date {due} is before thesis {thesis.id!r} opened ({thesis.opened})",
            field="due",
        )
    current = milestone.state_on(on) or milestone.history[0]
    entry = MilestoneEntry(
        date=on,
        status=status,  # narrowed by the check against STATUSES above
        due=due if due is not None else current.due,
        evidence=evidence.strip(),
        source=source,
        value=value,
        origin="update",
    )
    return thesis.with_milestone(milestone.with_entry(entry)), entry


def scorecards_by_person(entries: Iterable[PillarScore]) -> Mapping[str, Scorecard]:
    """Group score entries into one scorecard per person (first-seen order)."""
    grouped: dict[str, list[PillarScore]] = {}
    for e in entries:
        grouped.setdefault(e.person, []).append(e)
    return {p: Scorecard(p, tuple(es)) for p, es in grouped.items()}
