"""What every request of one app shares: the engine, the token, the workspace, caches.

Nothing here is created at import: ``create_app`` builds one ``AppContext`` per app, so
two apps (two databases, two tests) never share state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import Engine, func, select

from conviction.book.model import Book
from conviction.io.theses_toml import ThesesFile
from conviction.store.tables import BookRow, FxRow, MarkRow, TransactionRow
from conviction.web.auth import Token
from conviction.web.jobs import JobRunner

__all__ = ["AppContext", "context", "one_state_per_request"]

#: The book-state fingerprints already read during the current GET request. A request asks
#: for the book and for several cached answers, each keyed on the state: reading the row
#: counts once per request (about 30 ms a table at a million rows) instead of once per
#: question, and answering the whole request from one state. Set by
#: ``one_state_per_request`` (writes are never given one: they change the state).
_REQUEST_STATE: ContextVar[dict[bool, str] | None] = ContextVar("book_state", default=None)


@contextmanager
def one_state_per_request() -> Iterator[None]:
    """Within this block, ``AppContext.fingerprint`` reads the database once per kind."""
    token = _REQUEST_STATE.set({})
    try:
        yield
    finally:
        _REQUEST_STATE.reset(token)


@dataclass
class AppContext:
    """One app's shared state. ``projection``, ``policies`` and ``benchmark`` are files
    relative to the workspace that pages use by default (``conviction serve --from``)."""

    engine: Engine
    token: Token
    workspace: Path
    projection: str | None = None
    policies: tuple[str, ...] = ()
    benchmark: str | None = None
    jobs: JobRunner = field(default_factory=JobRunner)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: dict[Any, Any] = field(default_factory=dict)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock)

    def fingerprint(self, *, theses: bool = True) -> str:
        """Changes whenever the book's rows change (here or in another process): row
        counts and highest ids of the big tables, and the book's date; with ``theses``,
        the theses' and scores' rows too (a projection does not depend on them)."""
        seen = _REQUEST_STATE.get()
        if seen is not None and theses in seen:
            return seen[theses]
        from conviction.store.theses_tables import MilestoneEntryRow, ScoreEntryRow, ThesisRow

        tables: list[Any] = [TransactionRow, MarkRow, FxRow]
        if theses:
            tables += [MilestoneEntryRow, ScoreEntryRow]
        parts: list[Any] = [select(func.count(), func.max(t.id)).select_from(t) for t in tables]
        parts.append(select(BookRow.as_of, BookRow.currency).where(BookRow.id == 1))
        if theses:
            parts.append(select(func.count()).select_from(ThesisRow))
        with self.engine.connect() as conn:
            values = [tuple(conn.execute(q).first() or ()) for q in parts]
        state = repr(values)
        if seen is not None:
            seen[theses] = state
        return state

    def book(self) -> Book:
        """The stored book, read again only when its fingerprint changed."""
        from conviction.app.book import open_book

        key = self.fingerprint(theses=False)
        with self._cache_lock:
            cached = self._cache.get("book")
            if cached is not None and cached[0] == key:
                book: Book = cached[1]
                return book
        fresh = open_book(self.engine).book
        with self._cache_lock:
            self._cache.clear()  # everything derived from the old book goes too
            self._cache["book"] = (key, fresh)
        return fresh

    def cached(self, name: str, make: Any) -> Any:
        """A value derived from the current book, computed once per book state."""
        key = (name, self.fingerprint())
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._cache_lock:
            if len(self._cache) > 64:  # states that are gone: keep the book only
                self._cache = {"book": self._cache["book"]} if "book" in self._cache else {}
            self._cache[key] = value
        return value

    def theses(self) -> ThesesFile:
        from conviction.store.theses_tables import read_theses

        with self.engine.connect() as conn:
            return read_theses(conn)

    def relative(self, path: str | Path | None) -> str | None:
        """A path as the user knows it: relative to the workspace when inside it."""
        if path is None:
            return None
        p = Path(path)
        try:
            return str(p.resolve().relative_to(self.workspace.resolve()))
        except ValueError:
            return p.name


def context(request: Request) -> AppContext:
    """FastAPI dependency: the app's context."""
    ctx: AppContext = request.app.state.ctx
    return ctx
