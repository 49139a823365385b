"""Read scorecards, theses and review settings from the book TOML or a ``theses.toml``.

The sections are ``[[scorecard]]`` (with one sub-table per pillar), ``[[thesis]]`` (with
``[[thesis.milestone]]``, ``[[thesis.milestone.update]]`` and
``[[thesis.milestone.effect]]``) and ``[review]``. They may
live in the book TOML itself or in a file named by ``theses = "theses.toml"`` in ``[book]``
(relative to the book TOML), or both. Every error names the file, the line (when it can be
found) and the key, e.g. ``theses.toml:41, field 'thesis[1].milestone[0].due'``.
The format is documented in ``docs/theses.md``.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from conviction.errors import FormatError, InputError, UnknownIdError
from conviction.io.book_reader import find_book_toml
from conviction.io.book_toml import type_error_message
from conviction.io.limits import date_error
from conviction.io.text_files import read_text_file
from conviction.io.toml_lines import locate
from conviction.theses.model import (
    PILLARS,
    STATUSES,
    DriverEffect,
    Evidence,
    Milestone,
    MilestoneEntry,
    Op,
    PillarScore,
    Scorecard,
    SubjectKind,
    Thesis,
    scorecards_by_person,
)
from conviction.theses.triggers import ReviewSettings

__all__ = ["ThesesFile", "parse_metric", "read_theses", "read_theses_file"]


@dataclass(frozen=True)
class ThesesFile:
    """What the files say: scorecards by person, theses, review settings, files read."""

    scorecards: tuple[Scorecard, ...]
    theses: tuple[Thesis, ...]
    review: ReviewSettings
    files: tuple[Path, ...]


# --- file schemas (pydantic; unknown keys are errors so a typo cannot pass silently) ------


class _Strict(BaseModel):
    # Strict: TOML has real booleans, numbers and dates, so text is never coerced into one
    # (an integer is still a number).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _in_range(value: dt.date) -> dt.date:
    if (why := date_error(value)) is not None:
        raise ValueError(why)
    return value


#: A TOML date within the range of ``conviction.io.limits``.
Date = Annotated[dt.date, AfterValidator(_in_range)]


def _status(value: str) -> str:
    if value not in STATUSES:
        raise ValueError(f"unknown status {value!r} (expected one of {', '.join(STATUSES)})")
    return value


class _Evidence(_Strict):
    text: str = Field(min_length=1)
    date: Date | None = None
    source: str | None = None


class _Pillar(_Strict):
    score: float
    evidence: list[_Evidence] = Field(default_factory=list)

    @field_validator("score")
    @classmethod
    def _range(cls, value: float) -> float:
        if not 0.0 <= value <= 5.0:
            raise ValueError(f"score must be between 0 and 5, got {value:g}")
        return value


class _Scorecard(BaseModel):
    # Pillars are the extra keys; they are checked by name in _scorecards.
    model_config = ConfigDict(extra="allow", frozen=True, strict=True, allow_inf_nan=False)
    person: str = Field(min_length=1)
    date: Date
    source: str = ""


class _Update(_Strict):
    date: Date
    status: str
    evidence: str = Field(min_length=1)
    source: str = ""
    due: Date | None = None
    value: float | None = None

    _st = field_validator("status")(_status)


class _Effect(_Strict):
    driver: str = Field(min_length=1)
    hit: float | None = Field(default=None, gt=0)
    missed: float | None = Field(default=None, gt=0)
    slipped_years: float | None = Field(default=None, gt=0)
    growth: float | None = Field(default=None, gt=-1)


class _Milestone(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    due: Date
    status: str = "pending"
    evidence: str = ""
    source: str = ""
    date: Date | None = None
    metric: str | None = None
    value: float | None = None
    update: list[_Update] = Field(default_factory=list)
    effect: list[_Effect] = Field(default_factory=list)

    _st = field_validator("status")(_status)


class _Thesis(_Strict):
    id: str = Field(min_length=1)
    company: str | None = None
    person: str | None = None
    statement: str = Field(min_length=1)
    opened: Date
    horizon: Date
    kill_criteria: list[str] = Field(default_factory=list)
    milestone: list[_Milestone] = Field(default_factory=list)


_DEFAULTS = ReviewSettings()


class _Review(_Strict):
    max_slips: int = Field(default=_DEFAULTS.max_slips, ge=0)
    drawdown_bound: float = Field(default=_DEFAULTS.drawdown_bound, gt=0, lt=1)
    company_cap: float = Field(default=_DEFAULTS.company_cap, gt=0, le=1)
    person_cap: float = Field(default=_DEFAULTS.person_cap, gt=0, le=1)
    mark_max_age_days: int = Field(default=_DEFAULTS.mark_max_age_days, ge=0)
    score_drop: float = Field(default=_DEFAULTS.score_drop, gt=0, le=5)
    score_window_days: int = Field(default=_DEFAULTS.score_window_days, gt=0)


class _Sections(_Strict):
    scorecard: list[dict[str, Any]] = Field(default_factory=list)
    # Tables are checked one by one later, so errors come in file order.
    thesis: list[dict[str, Any]] = Field(default_factory=list)
    review: _Review | None = None


_METRIC = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|==|<|>)\s*([-+]?[0-9][0-9_]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?)\s*$"
)


def parse_metric(text: str) -> tuple[str, Op, float]:
    """``"optimus_unit_cost <= 20000"`` -> ``("optimus_unit_cost", "<=", 20000.0)``."""
    match = _METRIC.match(text)
    if match is None:
        raise ValueError(
            f"expected 'name OP number' with OP one of <=, <, >=, >, == (got {text!r})"
        )
    op: Op = match.group(2)  # type: ignore[assignment]  # the regex allows only OPS
    return match.group(1), op, float(match.group(3).replace("_", ""))


# --- locating errors ------------------------------------------------------------------------


class _Doc:
    """One TOML file: its text (to find lines) and its raw tables."""

    def __init__(self, path: Path, text: str, raw: dict[str, Any]) -> None:
        self.path = path
        self.text = text
        self.raw = raw

    def line(self, loc: tuple[str | int, ...]) -> int | None:
        """The line of a key given as a pydantic-style location, or of its nearest table."""
        keys = [str(p) for p in loc if isinstance(p, str)]
        idx = [p for p in loc if isinstance(p, int)]
        head = keys[0] if keys else ""
        if head == "review":
            return locate(self.text, "review", None, keys[1] if len(keys) > 1 else None)
        if head == "scorecard" and idx:
            i = idx[0]
            rest = keys[1:]
            cards = self.raw.get("scorecard", [])
            if rest and i < len(cards) and isinstance(cards[i].get(rest[0]), dict):
                k = sum(1 for c in cards[:i] if isinstance(c.get(rest[0]), dict))
                found = locate(
                    self.text, f"scorecard.{rest[0]}", k, rest[1] if len(rest) > 1 else None
                )
                if found is not None:
                    return found
            return locate(self.text, "scorecard", i, rest[0] if rest else None)
        if head == "thesis" and idx:
            theses = self.raw.get("thesis", [])
            i = idx[0]
            if len(idx) == 1:
                return locate(self.text, "thesis", i, keys[1] if len(keys) > 1 else None)
            milestones = [m for t in theses for m in t.get("milestone", [])]
            j = sum(len(t.get("milestone", [])) for t in theses[:i]) + idx[1]
            if len(idx) == 2:
                key = keys[2] if len(keys) > 2 else None
                return locate(self.text, "thesis.milestone", j, key)
            kind = keys[2] if len(keys) > 2 and keys[2] == "effect" else "update"
            k = sum(len(m.get(kind, [])) for m in milestones[:j]) + idx[2]
            key = keys[3] if len(keys) > 3 else None
            found = locate(self.text, f"thesis.milestone.{kind}", k, key)
            return found if found is not None else locate(self.text, "thesis.milestone", j, kind)
        return None

    def error(self, cls: type[InputError], message: str, loc: tuple[str | int, ...]) -> InputError:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        return cls(message, file=self.path, line=self.line(loc), field=field)

    def from_validation(self, exc: ValidationError, prefix: tuple[str | int, ...]) -> InputError:
        first = exc.errors()[0]
        loc = prefix + tuple(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "missing":
            message = f"missing required key '{loc[-1]}'"
        elif first["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        else:
            key = next((str(p) for p in reversed(loc) if isinstance(p, str)), None)
            message = type_error_message(first, key) or message
        return self.error(FormatError, message, loc)


# --- reading --------------------------------------------------------------------------------


def _load(path: Path) -> _Doc:
    text = read_text_file(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python < 3.14 has no exc.lineno; the message ends "(at line N, column M)".
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise FormatError(f"invalid TOML: {exc}", file=path, line=line) from None
    return _Doc(path, text, raw)


def _sections(doc: _Doc, *, book: bool) -> _Sections:
    raw = doc.raw
    if book:  # the book TOML holds other parts' tables too; read only ours
        raw = {k: v for k, v in raw.items() if k in ("scorecard", "thesis", "review")}
    try:
        return _Sections.model_validate(raw)
    except ValidationError as exc:
        raise doc.from_validation(exc, ()) from None


def read_theses(
    book_toml_path: str | Path, company_ids: Collection[str], person_ids: Collection[str]
) -> ThesesFile:
    """Scorecards, theses and review settings of the book at ``book_toml_path``.

    ``book_toml_path`` is the book TOML or a folder holding it. Sections are read from the
    book TOML and from the file named by ``[book] theses``; ids are checked against
    ``company_ids`` and ``person_ids`` (the book's). A book without any of these sections
    gives an empty result with the default review settings.
    """
    book_path = find_book_toml(book_toml_path)
    book_doc = _load(book_path)
    docs = [(book_doc, _sections(book_doc, book=True))]
    name = book_doc.raw.get("book", {}).get("theses")
    if name is not None:
        if not isinstance(name, str):
            raise FormatError(
                "expected a file name",
                file=book_path,
                line=locate(book_doc.text, "book", None, "theses"),
                field="book.theses",
            )
        other = _load(book_path.parent / name)
        docs.append((other, _sections(other, book=False)))
    return _build(docs, set(company_ids), set(person_ids))


def read_theses_file(
    path: str | Path, company_ids: Collection[str], person_ids: Collection[str]
) -> ThesesFile:
    """The same, from a standalone ``theses.toml`` (no book sections allowed in it)."""
    doc = _load(Path(path))
    return _build([(doc, _sections(doc, book=False))], set(company_ids), set(person_ids))


def _build(
    docs: list[tuple[_Doc, _Sections]], company_ids: set[str], person_ids: set[str]
) -> ThesesFile:
    scores: list[PillarScore] = []
    theses: list[Thesis] = []
    seen: dict[str, Path] = {}
    review: ReviewSettings | None = None
    for doc, sections in docs:
        scores += _scorecards(doc, person_ids)
        for i, raw in enumerate(sections.thesis):
            try:
                t = _Thesis.model_validate(raw)
            except ValidationError as exc:
                raise doc.from_validation(exc, ("thesis", i)) from None
            if t.id in seen:
                raise doc.error(
                    FormatError,
                    f"duplicate thesis id {t.id!r} (also in {seen[t.id]})",
                    ("thesis", i, "id"),
                )
            seen[t.id] = doc.path
            theses.append(_thesis(doc, i, t, company_ids, person_ids))
        if sections.review is not None:
            if review is not None:
                raise doc.error(
                    FormatError, "[review] is given in two files; keep one", ("review",)
                )
            review = ReviewSettings(**sections.review.model_dump())
    return ThesesFile(
        scorecards=tuple(scorecards_by_person(scores).values()),
        theses=tuple(theses),
        review=review if review is not None else ReviewSettings(),
        files=tuple(doc.path for doc, _ in docs),
    )


def _scorecards(doc: _Doc, person_ids: set[str]) -> list[PillarScore]:
    found: list[PillarScore] = []
    origin = str(doc.path)
    for i, raw in enumerate(doc.raw.get("scorecard", [])):
        if not isinstance(raw, dict):
            raise doc.error(FormatError, "expected a table", ("scorecard", i))
        try:
            card = _Scorecard.model_validate(raw)
        except ValidationError as exc:
            raise doc.from_validation(exc, ("scorecard", i)) from None
        if card.person not in person_ids:
            raise doc.error(
                UnknownIdError,
                f"unknown person {card.person!r} (not a [[person]] id of the book)",
                ("scorecard", i, "person"),
            )
        pillars = card.model_extra or {}
        if not pillars:
            raise doc.error(
                FormatError,
                f"a scorecard needs at least one pillar ({', '.join(PILLARS)})",
                ("scorecard", i),
            )
        for key, value in pillars.items():
            if key not in PILLARS:
                raise doc.error(
                    FormatError,
                    f"unknown pillar {key!r} (expected one of {', '.join(PILLARS)})",
                    ("scorecard", i, key),
                )
            try:
                pillar = _Pillar.model_validate(value)
            except ValidationError as exc:
                raise doc.from_validation(exc, ("scorecard", i, key)) from None
            evidence: list[Evidence] = []
            for k, ev in enumerate(pillar.evidence):
                on = ev.date if ev.date is not None else card.date
                if on > card.date:
                    raise doc.error(
                        FormatError,
                        f"evidence dated {on} is later than the score it supports ({card.date})",
                        ("scorecard", i, key, "evidence", k, "date"),
                    )
                evidence.append(
                    Evidence(ev.text, on, ev.source if ev.source is not None else card.source)
                )
            found.append(
                PillarScore(
                    person=card.person,
                    pillar=key,  # narrowed by the check against PILLARS above
                    score=pillar.score,
                    date=card.date,
                    evidence=tuple(evidence),
                    origin=origin,
                )
            )
    return found


def _thesis(doc: _Doc, i: int, t: _Thesis, company_ids: set[str], person_ids: set[str]) -> Thesis:
    loc: tuple[str | int, ...] = ("thesis", i)
    if (t.company is None) == (t.person is None):
        raise doc.error(FormatError, "give exactly one of 'company' or 'person'", (*loc, "company"))
    if t.company is not None and t.company not in company_ids:
        raise doc.error(
            UnknownIdError,
            f"unknown company {t.company!r} (not a [[company]] id of the book)",
            (*loc, "company"),
        )
    if t.person is not None and t.person not in person_ids:
        raise doc.error(
            UnknownIdError,
            f"unknown person {t.person!r} (not a [[person]] id of the book)",
            (*loc, "person"),
        )
    if t.horizon <= t.opened:
        raise doc.error(
            FormatError, f"horizon {t.horizon} must be after opened {t.opened}", (*loc, "horizon")
        )
    milestones: list[Milestone] = []
    ids: set[str] = set()
    origin = str(doc.path)
    for j, m in enumerate(t.milestone):
        mloc = (*loc, "milestone", j)
        if m.id in ids:
            raise doc.error(FormatError, f"duplicate milestone id {m.id!r}", (*mloc, "id"))
        ids.add(m.id)
        if m.due < t.opened:
            raise doc.error(
                FormatError, f"due {m.due} is before the thesis opened ({t.opened})", (*mloc, "due")
            )
        start = m.date if m.date is not None else t.opened
        if start < t.opened:
            raise doc.error(
                FormatError,
                f"date {start} is before the thesis opened ({t.opened})",
                (*mloc, "date"),
            )
        metric: tuple[str, Op, float] | None = None
        if m.metric is not None:
            try:
                metric = parse_metric(m.metric)
            except ValueError as exc:
                raise doc.error(FormatError, str(exc), (*mloc, "metric")) from None
        history = [
            MilestoneEntry(start, m.status, m.due, m.evidence, m.source, m.value, origin)  # type: ignore[arg-type]
        ]
        for k, u in enumerate(m.update):
            uloc = (*mloc, "update", k)
            if u.date < history[-1].date:
                raise doc.error(
                    FormatError,
                    f"update dated {u.date} is before the entry above it ({history[-1].date});"
                    " list updates oldest first",
                    (*uloc, "date"),
                )
            if u.due is not None and u.due < t.opened:
                raise doc.error(
                    FormatError,
                    f"due {u.due} is before the thesis opened ({t.opened})",
                    (*uloc, "due"),
                )
            due = u.due if u.due is not None else history[-1].due
            history.append(
                MilestoneEntry(u.date, u.status, due, u.evidence, u.source, u.value, origin)  # type: ignore[arg-type]
            )
        name, op, target = metric if metric is not None else (None, None, None)
        effects = _effects(doc, mloc, m.effect)
        milestones.append(Milestone(m.id, m.title, tuple(history), name, op, target, effects))
    kind: SubjectKind = "company" if t.company is not None else "person"
    return Thesis(
        id=t.id,
        subject_kind=kind,
        subject=str(t.company if t.company is not None else t.person),
        statement=t.statement,
        opened=t.opened,
        horizon=t.horizon,
        kill_criteria=tuple(t.kill_criteria),
        milestones=tuple(milestones),
        origin=origin,
    )


def _effects(
    doc: _Doc, mloc: tuple[str | int, ...], effects: list[_Effect]
) -> tuple[DriverEffect, ...]:
    """A milestone's ``[[thesis.milestone.effect]]`` tables, checked; each keeps where it
    was written, so a driver the projection lacks can be reported at its line later."""
    found: list[DriverEffect] = []
    drivers: set[str] = set()
    for k, e in enumerate(effects):
        eloc = (*mloc, "effect", k)
        if e.driver in drivers:
            raise doc.error(
                FormatError,
                f"driver {e.driver!r} has two effects in this milestone; give one",
                (*eloc, "driver"),
            )
        drivers.add(e.driver)
        if e.hit is None and e.missed is None and e.slipped_years is None:
            raise doc.error(
                FormatError,
                "an effect needs at least one of 'hit', 'missed' or 'slipped_years'",
                (*eloc, "driver"),
            )
        if (e.slipped_years is None) != (e.growth is None):
            given, lacking = ("slipped_years", "growth")
            if e.slipped_years is None:
                given, lacking = lacking, given
            raise doc.error(
                FormatError,
                f"'{given}' needs '{lacking}' (a slip of N years at a yearly growth g "
                "multiplies the driver by (1 + g)^-N)",
                (*eloc, given),
            )
        where = (*eloc, "driver")
        found.append(
            DriverEffect(
                driver=e.driver,
                hit=e.hit,
                missed=e.missed,
                slipped_years=e.slipped_years,
                growth=e.growth,
                file=str(doc.path),
                line=doc.line(where),
                field="".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(
                    "."
                ),
            )
        )
    return tuple(found)
