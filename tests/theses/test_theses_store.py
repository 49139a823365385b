"""Theses in a real SQLite file: round trip, history kept on update and reload, atomic errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from conviction.errors import FormatError, UnknownIdError
from conviction.io.theses_toml import ThesesFile, read_theses
from conviction.store import connect_for_writing
from conviction.store import theses_tables as store
from conviction.theses import Evidence

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
ORIGIN = str(EXAMPLE / "book.toml")
D = dt.date


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return connect_for_writing(f"sqlite:///{tmp_path / 'theses.db'}")


@pytest.fixture
def example() -> ThesesFile:
    return read_theses(EXAMPLE, ["tesla", "spacex", "xai"], ["musk"])


def plain(value: Any) -> Any:
    """A dataclass tree as plain data, without the origin fields (they name the loader)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("origin", "files")
        }
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def count(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_migration_matches_the_tables(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from conviction.store.tables import Base

    mine = {
        "score_entry",
        "score_evidence",
        "thesis",
        "milestone",
        "milestone_entry",
        "review_setting",
    }
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    def table_of(change: Any) -> str | None:
        item = change[0] if isinstance(change, list) else change
        for part in item[1:]:
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None) in mine:
                return str(table.name)
            if name in mine:
                return str(name)
            if isinstance(part, str) and part in mine:
                return part
        return None

    assert [c for c in diff if table_of(c) is not None] == []


def test_round_trip_of_the_example(engine: Engine, example: ThesesFile) -> None:
    with engine.begin() as conn:
        counts = store.write_theses(conn, example, ORIGIN)
    assert counts["thesis"] == len(example.theses)
    with engine.connect() as conn:
        back = store.read_theses(conn)
    assert plain(back) == plain(example)
    assert back.review == example.review


def test_update_is_a_new_row_and_survives_reload(engine: Engine, example: ThesesFile) -> None:
    with engine.begin() as conn:
        store.write_theses(conn, example, ORIGIN)
    before = count(engine, store.MilestoneEntryRow)
    with engine.begin() as conn:
        entry = store.update_thesis(
            conn,
            "xai",
            "grok-5",
            status="slipped",
            evidence="not released by mid-2026",
            on=D(2026, 7, 1),
            due=D(2026, 12, 31),
        )
    assert entry.due == D(2026, 12, 31)
    with engine.begin() as conn:
        store.update_thesis(
            conn, "xai", "grok-5", status="hit", evidence="released", on=D(2026, 11, 1)
        )
    assert count(engine, store.MilestoneEntryRow) == before + 2
    # Reload the same file twice: its rows are replaced, the updates stay.
    for _ in range(2):
        with engine.begin() as conn:
            store.write_theses(conn, example, ORIGIN)
    assert count(engine, store.MilestoneEntryRow) == before + 2
    with engine.connect() as conn:
        (xai,) = (t for t in store.read_theses(conn).theses if t.id == "xai")
    m = xai.milestone("grok-5")
    assert [(e.date, e.status, e.due) for e in m.history] == [
        (D(2025, 11, 14), "pending", D(2026, 6, 30)),
        (D(2026, 7, 1), "slipped", D(2026, 12, 31)),
        (D(2026, 11, 1), "hit", D(2026, 12, 31)),  # the due date carries over
    ]
    assert m.state_on(D(2026, 6, 30)).status == "pending"  # type: ignore[union-attr]


def test_same_day_update_comes_after_the_file_entry(engine: Engine, example: ThesesFile) -> None:
    with engine.begin() as conn:
        store.write_theses(conn, example, ORIGIN)
        store.update_thesis(
            conn, "tesla", "ai5-chip", status="hit", evidence="x", on=D(2025, 11, 14)
        )
    with engine.begin() as conn:
        store.write_theses(conn, example, ORIGIN)  # file rows get new, higher ids
    with engine.connect() as conn:
        (tesla,) = (t for t in store.read_theses(conn).theses if t.id == "tesla")
    assert tesla.milestone("ai5-chip").state_on(D(2025, 11, 14)).status == "hit"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("thesis", "milestone", "status", "error", "field"),
    [
        ("nope", "grok-5", "hit", UnknownIdError, "thesis"),
        ("xai", "grok-9", "hit", UnknownIdError, "milestone"),
        ("xai", "grok-5", "done", FormatError, "status"),
    ],
)
def test_bad_update_changes_nothing(
    engine: Engine,
    example: ThesesFile,
    thesis: str,
    milestone: str,
    status: str,
    error: type[Exception],
    field: str,
) -> None:
    with engine.begin() as conn:
        store.write_theses(conn, example, ORIGIN)
    before = count(engine, store.MilestoneEntryRow)
    with pytest.raises(error) as info, engine.begin() as conn:
        store.update_thesis(conn, thesis, milestone, status=status, evidence="e", on=D(2026, 1, 1))
    assert info.value.field == field  # type: ignore[attr-defined]
    assert count(engine, store.MilestoneEntryRow) == before


def test_theses_loaded_from_another_file_replace_the_stored_ones(
    engine: Engine, example: ThesesFile
) -> None:
    """A database holds one book: its theses from a moved folder replace those of the old
    path (they were refused as a clash before), and updates stay."""
    with engine.begin() as conn:
        store.write_theses(conn, example, ORIGIN)
        thesis = example.theses[0]
        store.update_thesis(
            conn, thesis.id, thesis.milestones[0].id, status="hit", evidence="e", on=D(2026, 1, 1)
        )
    theses, entries = count(engine, store.ThesisRow), count(engine, store.MilestoneEntryRow)
    with engine.begin() as conn:
        store.write_theses(conn, example, "/elsewhere/book.toml")
    assert count(engine, store.ThesisRow) == theses == len(example.theses)
    assert count(engine, store.ScoreEntryRow) == 4
    assert count(engine, store.MilestoneEntryRow) == entries  # the update is kept
    with engine.connect() as conn:
        origins = {r[0] for r in conn.execute(select(store.ThesisRow.origin))}
    assert origins == {"/elsewhere/book.toml"}


def test_add_score_keeps_history(engine: Engine, example: ThesesFile) -> None:
    with engine.begin() as conn:
        store.write_theses(conn, example, ORIGIN)
        store.add_score(
            conn,
            "musk",
            "execution",
            2.5,
            on=D(2026, 3, 1),
            evidence=[Evidence("AI5 cancelled", D(2026, 3, 1), "test")],
        )
    with engine.connect() as conn:
        card = store.scorecard(conn, "musk")
    assert [e.score for e in card.history("execution")] == [5, 2.5]
    with pytest.raises(FormatError), engine.begin() as conn:
        store.add_score(conn, "musk", "execution", 6, on=D(2026, 3, 1))
    with pytest.raises(FormatError), engine.begin() as conn:
        store.add_score(conn, "musk", "charisma", 3, on=D(2026, 3, 1))
    with pytest.raises(UnknownIdError), engine.begin() as conn:
        store.add_score(conn, "bezos", "execution", 3, on=D(2026, 3, 1), known_people=["musk"])
