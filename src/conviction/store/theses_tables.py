"""Scorecards, theses and milestones in the database, with history.

Nothing is overwritten: a score or a milestone state is a dated row, and an update adds
a row. Rows loaded from a file carry that file as ``origin``; loading the book again
replaces every row loaded from a file (a database holds one book), while rows added by
``conviction thesis update`` (origin ``"update"``) are kept across reloads.

No foreign keys point at the book's tables (person, company): a book reload replaces
those rows, and the history kept here must survive it. Ids are checked when a file is
read (``conviction.io.theses_toml``) and when an update is made.

Helpers take a ``Connection`` or ``Session`` and never commit: the caller owns the
transaction (``with engine.begin() as conn: write_theses(conn, theses, origin)``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    insert,
    select,
    text,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from conviction.errors import FormatError, StoreError, UnknownIdError
from conviction.io.theses_toml import ThesesFile
from conviction.io.theses_toml import read_theses as read_theses_toml
from conviction.store.tables import Base
from conviction.theses.model import (
    PILLARS,
    DriverEffect,
    Evidence,
    Milestone,
    MilestoneEntry,
    PillarScore,
    Scorecard,
    Thesis,
    scorecards_by_person,
    update_milestone,
)
from conviction.theses.triggers import ReviewSettings

__all__ = [
    "UPDATE",
    "MilestoneEntryRow",
    "MilestoneRow",
    "ReviewSettingRow",
    "ScoreEntryRow",
    "ScoreEvidenceRow",
    "ThesisRow",
    "add_score",
    "load_theses",
    "read_theses",
    "scorecard",
    "update_thesis",
    "write_theses",
]

#: The origin of rows added by an update rather than loaded from a file.
UPDATE = "update"

Conn = Connection | Session


class ScoreEntryRow(Base):
    __tablename__ = "score_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(100))
    pillar: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    date: Mapped[dt.date] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(300))
    seq: Mapped[int] = mapped_column(Integer)  # order in its file (0 for updates)

    __table_args__ = (Index("ix_score_entry_person_date", "person_id", "date"),)


class ScoreEvidenceRow(Base):
    __tablename__ = "score_evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("score_entry.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")


class ThesisRow(Base):
    __tablename__ = "thesis"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(100))
    statement: Mapped[str] = mapped_column(Text)
    opened: Mapped[dt.date] = mapped_column(Date)
    horizon: Mapped[dt.date] = mapped_column(Date)
    kill_criteria: Mapped[str] = mapped_column(Text, default="[]")  # a JSON list of strings
    origin: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)


class MilestoneRow(Base):
    __tablename__ = "milestone"
    thesis_id: Mapped[str] = mapped_column(
        ForeignKey("thesis.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    metric: Mapped[str | None] = mapped_column(String(100), nullable=True)
    op: Mapped[str | None] = mapped_column(String(2), nullable=True)
    target: Mapped[float | None] = mapped_column(Float, nullable=True)
    position: Mapped[int] = mapped_column(Integer)
    # what its outcomes do to projection drivers: a JSON list of DriverEffect fields
    effects: Mapped[str] = mapped_column(Text, default="[]", server_default=text("'[]'"))


class MilestoneEntryRow(Base):
    # No foreign key to milestone: update rows outlive a reload that drops their milestone.
    __tablename__ = "milestone_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thesis_id: Mapped[str] = mapped_column(String(100))
    milestone_id: Mapped[str] = mapped_column(String(100))
    date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    due: Mapped[dt.date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    origin: Mapped[str] = mapped_column(String(300))
    seq: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_milestone_entry_thesis_milestone_date", "thesis_id", "milestone_id", "date"),
    )


class ReviewSettingRow(Base):
    __tablename__ = "review_setting"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(300))


# --- writing --------------------------------------------------------------------------------


def clear_theses(conn: Conn, *, updates: bool = False) -> None:
    """Delete the theses, scores and review settings loaded from files (every file: one
    database holds one book); with ``updates``, the rows ``thesis update`` added too."""

    def loaded(column: Any) -> Any:
        return true() if updates else column != UPDATE

    old_entries = select(ScoreEntryRow.id).where(loaded(ScoreEntryRow.origin))
    conn.execute(delete(ScoreEvidenceRow).where(ScoreEvidenceRow.entry_id.in_(old_entries)))
    conn.execute(delete(ScoreEntryRow).where(loaded(ScoreEntryRow.origin)))
    conn.execute(delete(MilestoneEntryRow).where(loaded(MilestoneEntryRow.origin)))
    old_theses = select(ThesisRow.id).where(loaded(ThesisRow.origin))
    conn.execute(delete(MilestoneRow).where(MilestoneRow.thesis_id.in_(old_theses)))
    conn.execute(delete(ThesisRow).where(loaded(ThesisRow.origin)))
    conn.execute(delete(ReviewSettingRow))


def write_theses(conn: Conn, theses: ThesesFile, origin: str) -> dict[str, int]:
    """Store what a file says, replacing the rows an earlier load wrote (from this file or
    any other: ``clear_theses``).

    Rows added by updates are kept. Returns the number of rows written per table.
    """
    clear_theses(conn)

    ids = [t.id for t in theses.theses]
    clash = conn.execute(
        select(ThesisRow.id, ThesisRow.origin).where(ThesisRow.id.in_(ids))
    ).first()
    if clash is not None:
        raise StoreError(f"thesis {clash[0]!r} is already stored, loaded from {clash[1]}")

    counts = {"score_entry": 0, "score_evidence": 0, "thesis": 0, "milestone": 0}
    seq = 0
    for card in theses.scorecards:
        for entry in card.entries:
            seq += 1
            _insert_score(conn, entry, origin, seq)
            counts["score_entry"] += 1
            counts["score_evidence"] += len(entry.evidence)

    entries: list[dict[str, Any]] = []
    milestones: list[dict[str, Any]] = []
    for position, t in enumerate(theses.theses):
        conn.execute(
            insert(ThesisRow).values(
                id=t.id,
                subject_kind=t.subject_kind,
                subject_id=t.subject,
                statement=t.statement,
                opened=t.opened,
                horizon=t.horizon,
                kill_criteria=json.dumps(list(t.kill_criteria)),
                origin=origin,
                position=position,
            )
        )
        for k, m in enumerate(t.milestones):
            milestones.append(
                {
                    "thesis_id": t.id,
                    "id": m.id,
                    "title": m.title,
                    "metric": m.metric,
                    "op": m.op,
                    "target": m.target,
                    "position": k,
                    "effects": json.dumps([asdict(e) for e in m.effects]),
                }
            )
            for e in m.history:
                if e.origin == UPDATE:  # already stored as its own row
                    continue
                entries.append(_entry_row(t.id, m.id, e, origin, len(entries) + 1))
    if milestones:
        conn.execute(insert(MilestoneRow), milestones)
    if entries:
        conn.execute(insert(MilestoneEntryRow), entries)
    settings = [
        {"name": f.name, "value": float(getattr(theses.review, f.name)), "origin": origin}
        for f in fields(ReviewSettings)
    ]
    conn.execute(insert(ReviewSettingRow), settings)
    counts.update(thesis=len(theses.theses), milestone=len(milestones))
    counts["milestone_entry"] = len(entries)
    return counts


def load_theses(
    conn: Conn, book_toml: Path, company_ids: Collection[str], person_ids: Collection[str]
) -> dict[str, int]:
    """Read the theses of the book at ``book_toml`` and store them (``conviction load``).

    The origin is ``str(book_toml)``, so loading the same book again replaces its rows.
    """
    theses = read_theses_toml(book_toml, company_ids, person_ids)
    return write_theses(conn, theses, str(book_toml))


def _insert_score(conn: Conn, entry: PillarScore, origin: str, seq: int) -> None:
    entry_id = conn.execute(
        insert(ScoreEntryRow)
        .values(
            person_id=entry.person,
            pillar=entry.pillar,
            score=entry.score,
            date=entry.date,
            origin=origin,
            seq=seq,
        )
        .returning(ScoreEntryRow.id)
    ).scalar_one()
    if entry.evidence:
        conn.execute(
            insert(ScoreEvidenceRow),
            [
                {
                    "entry_id": entry_id,
                    "position": k,
                    "text": ev.text,
                    "date": ev.date,
                    "source": ev.source,
                }
                for k, ev in enumerate(entry.evidence)
            ],
        )


def _entry_row(
    thesis_id: str, milestone_id: str, e: MilestoneEntry, origin: str, seq: int
) -> dict[str, Any]:
    return {
        "thesis_id": thesis_id,
        "milestone_id": milestone_id,
        "date": e.date,
        "status": e.status,
        "due": e.due,
        "evidence": e.evidence,
        "source": e.source,
        "value": e.value,
        "origin": origin,
        "seq": seq,
    }


# --- reading --------------------------------------------------------------------------------


def read_theses(conn: Conn) -> ThesesFile:
    """Everything stored: scorecards, theses with their full history, review settings."""
    evidence: dict[int, list[Evidence]] = {}
    for ev in conn.execute(
        select(ScoreEvidenceRow.__table__).order_by(
            ScoreEvidenceRow.entry_id, ScoreEvidenceRow.position
        )
    ):
        evidence.setdefault(ev.entry_id, []).append(Evidence(ev.text, ev.date, ev.source))
    scores = [
        PillarScore(
            person=r.person_id,
            pillar=r.pillar,  # written from a validated Pillar
            score=r.score,
            date=r.date,
            evidence=tuple(evidence.get(r.id, ())),
            origin=r.origin,
        )
        for r in conn.execute(select(ScoreEntryRow.__table__).order_by(*_ORDER_SCORES))
    ]

    history: dict[tuple[str, str], list[MilestoneEntry]] = {}
    for r in conn.execute(select(MilestoneEntryRow.__table__).order_by(*_ORDER_ENTRIES)):
        history.setdefault((r.thesis_id, r.milestone_id), []).append(
            MilestoneEntry(
                date=r.date,
                status=r.status,  # written from a validated status
                due=r.due,
                evidence=r.evidence,
                source=r.source,
                value=r.value,
                origin=r.origin,
            )
        )
    milestones: dict[str, list[Milestone]] = {}
    for m in conn.execute(
        select(MilestoneRow.__table__).order_by(MilestoneRow.thesis_id, MilestoneRow.position)
    ):
        milestones.setdefault(m.thesis_id, []).append(
            Milestone(
                id=m.id,
                title=m.title,
                history=tuple(history.get((m.thesis_id, m.id), ())),
                metric=m.metric,
                op=m.op,  # written from a validated Op
                target=m.target,
                effects=tuple(DriverEffect(**e) for e in json.loads(m.effects or "[]")),
            )
        )
    theses = tuple(
        Thesis(
            id=t.id,
            subject_kind=t.subject_kind,
            subject=t.subject_id,
            statement=t.statement,
            opened=t.opened,
            horizon=t.horizon,
            kill_criteria=tuple(json.loads(t.kill_criteria)),
            milestones=tuple(milestones.get(t.id, ())),
            origin=t.origin,
        )
        for t in conn.execute(select(ThesisRow.__table__).order_by(ThesisRow.position))
    )
    stored = {r.name: r.value for r in conn.execute(select(ReviewSettingRow.__table__))}
    defaults = ReviewSettings()
    review = ReviewSettings(
        **{
            f.name: type(getattr(defaults, f.name))(stored[f.name])
            for f in fields(ReviewSettings)
            if f.name in stored
        }
    )
    return ThesesFile(
        scorecards=tuple(scorecards_by_person(scores).values()),
        theses=theses,
        review=review,
        files=(),
    )


# Same date: rows from files first (in file order), then updates in the order they were made.
_ORDER_SCORES = (
    ScoreEntryRow.date,
    ScoreEntryRow.origin == UPDATE,
    ScoreEntryRow.seq,
    ScoreEntryRow.id,
)
_ORDER_ENTRIES = (
    MilestoneEntryRow.date,
    MilestoneEntryRow.origin == UPDATE,
    MilestoneEntryRow.seq,
    MilestoneEntryRow.id,
)


# --- updates --------------------------------------------------------------------------------


def update_thesis(
    conn: Conn,
    thesis_id: str,
    milestone_id: str,
    *,
    status: str,
    evidence: str,
    on: dt.date,
    source: str = "",
    due: dt.date | None = None,
    value: float | None = None,
) -> MilestoneEntry:
    """Add a dated state to one milestone; returns the new entry.

    Checks everything before writing, so a bad update changes nothing: ``UnknownIdError``
    for an unknown thesis or milestone, ``FormatError`` for a bad status, empty evidence,
    or a date before the thesis opened.
    """
    row = conn.execute(select(ThesisRow.id).where(ThesisRow.id == thesis_id)).first()
    if row is None:
        known = conn.execute(select(ThesisRow.id).order_by(ThesisRow.position)).scalars().all()
        raise UnknownIdError(
            f"no thesis {thesis_id!r} (known: {', '.join(known) or 'none'})", field="thesis"
        )
    (thesis,) = (t for t in read_theses(conn).theses if t.id == thesis_id)
    _, entry = update_milestone(
        thesis,
        milestone_id,
        status=status,
        on=on,
        evidence=evidence,
        source=source,
        due=due,
        value=value,
    )
    conn.execute(
        insert(MilestoneEntryRow).values(**_entry_row(thesis_id, milestone_id, entry, UPDATE, 0))
    )
    return entry


def add_score(
    conn: Conn,
    person: str,
    pillar: str,
    score: float,
    *,
    on: dt.date,
    evidence: Sequence[Evidence] = (),
    known_people: Sequence[str] | None = None,
) -> PillarScore:
    """Add a dated score of one person on one pillar (a new row; older scores stay)."""
    if known_people is not None and person not in known_people:
        raise UnknownIdError(f"unknown person {person!r}", field="person")
    if pillar not in PILLARS:
        raise FormatError(
            f"unknown pillar {pillar!r} (expected one of {', '.join(PILLARS)})", field="pillar"
        )
    if not 0.0 <= score <= 5.0:
        raise FormatError(f"score must be between 0 and 5, got {score:g}", field="score")
    entry = PillarScore(person, pillar, float(score), on, tuple(evidence), UPDATE)
    _insert_score(conn, entry, UPDATE, 0)
    return entry


def scorecard(conn: Conn, person: str) -> Scorecard:
    """One person's scorecard (empty when never scored)."""
    for card in read_theses(conn).scorecards:
        if card.person == person:
            return card
    return Scorecard(person)
