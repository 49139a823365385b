"""What every request of one app shares: the engine, the token, the workspace, caches.

Nothing here is created at import: ``create_app`` builds one ``AppContext`` per app, so
two apps (two databases, two tests) never share state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import Connection, Engine, func, select

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
    _flights: dict[Any, threading.Lock] = field(default_factory=dict)
    _last: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self, *, theses: bool = True) -> str:
        """Changes whenever the book's rows change (here or in another process): row
        counts and highest ids of the big tables, and the book's date; with ``theses``,
        the theses' and scores' rows too (a projection does not depend on them)."""
        seen = _REQUEST_STATE.get()
        if seen is not None and theses in seen:
            return seen[theses]
        with self.engine.connect() as conn:
            state = _state(conn, theses=theses)
        if seen is not None:
            seen[theses] = state
        return state

    def write_rows(self, change: Callable[[Connection, Book], Book]) -> dict[str, int]:
        """Run ``change(conn, book)`` (a write of the book's rows, which returns the book as
        stored after it) in one transaction that holds the database's write lock; returns
        the row counts after.

        ``book`` is the cached one when it is the stored state (no re-read per write), and
        the book ``change`` returns becomes the cached book of the new state, so the reads
        after a write do not read the database again either.
        """
        from conviction.store import count_rows, read_book
        from conviction.store.engine import lock_for_writing

        with self.write_lock, self.engine.connect() as conn:
            lock_for_writing(conn)  # no other writer (a load, another server) until commit
            before = _state(conn, theses=False)
            with self._cache_lock:
                cached = self._cache.get(("book", before))
            after_book = change(conn, cached if cached is not None else read_book(conn))
            after = _state(conn, theses=False)
            counts = count_rows(conn)
            conn.commit()
        with self._cache_lock:
            self._cache = {k: v for k, v in self._cache.items() if _same_book(k, ("book", after))}
            self._cache[("book", after)] = after_book
        return counts

    def book(self) -> Book:
        """The stored book, read again only when its fingerprint changed."""
        from conviction.app.book import open_book

        key = self.fingerprint(theses=False)
        book: Book = self._once(("book", key), lambda: open_book(self.engine).book)
        return book

    def cached(self, name: str, make: Any, *, theses: bool = True) -> Any:
        """A value derived from the current book, computed once per book state; with
        ``theses=False``, for a value that does not depend on the theses (a milestone
        update then leaves it cached)."""
        return self._once((name, self.fingerprint(theses=theses)), make)

    def cached_or_last(self, name: str, make: Any) -> Any:
        """Like ``cached``, for a page that takes long to draw: while another request draws
        it for the current state, the last one drawn (of the state before) is given at once
        instead of waiting. The API never answers this way: it is always of the current
        state."""
        key = (name, self.fingerprint())
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
            drawing = any(k[0] == name for k in self._flights)
            last = self._last.get(name)
        if drawing and last is not None:
            return last
        value = self._once(key, make)
        with self._cache_lock:
            self._last[name] = value
        return value

    def _once(self, key: tuple[str, str], make: Any) -> Any:
        """``make()`` once per key, however many requests ask at the same moment: the first
        computes, the others wait for it (after a write every reader misses the cache at
        once; computing the same answer twenty times over would starve the writes)."""
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            try:
                value = make()
            except BaseException:
                with self._cache_lock:
                    self._flights.pop(key, None)
                raise
            with self._cache_lock:
                self._flights.pop(key, None)
                if key[0] == "book":  # a new book state: what came from the old one goes
                    self._cache = {k: v for k, v in self._cache.items() if _same_book(k, key)}
                elif len(self._cache) > 64:  # states that are gone: keep the books only
                    self._cache = {k: v for k, v in self._cache.items() if k[0] == "book"}
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


def _same_book(key: tuple[str, str], book: tuple[str, str]) -> bool:
    """Whether the cache entry ``key`` was derived from the book state of ``book``'s key:
    its fingerprint is that state, or that state with the theses' rows after it."""
    return key[1] == book[1] or key[1].startswith(book[1].removesuffix("]") + ",")


def _state(conn: Connection, *, theses: bool) -> str:
    """The book's state as ``AppContext.fingerprint`` describes it, read on ``conn``."""
    from conviction.store.theses_tables import MilestoneEntryRow, ScoreEntryRow, ThesisRow

    # the book's parts first: the state with theses extends the state without them
    tables: list[Any] = [TransactionRow, MarkRow, FxRow]
    parts: list[Any] = [select(func.count(), func.max(t.id)).select_from(t) for t in tables]
    parts.append(select(BookRow.as_of, BookRow.currency).where(BookRow.id == 1))
    if theses:
        parts += [
            select(func.count(), func.max(t.id)).select_from(t)
            for t in (MilestoneEntryRow, ScoreEntryRow)
        ]
        parts.append(select(func.count()).select_from(ThesisRow))
    return repr([tuple(conn.execute(q).first() or ()) for q in parts])


def context(request: Request) -> AppContext:
    """FastAPI dependency: the app's context."""
    ctx: AppContext = request.app.state.ctx
    return ctx
