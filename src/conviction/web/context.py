"""What every request of one app shares: the engine, the token, the workspace, caches.

Nothing here is created at import: ``create_app`` builds one ``AppContext`` per app, so
two apps (two databases, two tests) never share state.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import threading
import time
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

__all__ = ["AppContext", "answered_state", "context", "one_state_per_request", "state_tag"]


@dataclass
class _Request:
    """What one GET request keeps while it is answered."""

    #: The book-state fingerprints already read, by kind (with or without the theses). A
    #: request asks for the book and for several cached answers, each keyed on the state:
    #: reading the row counts once per request (about 30 ms a table at a million rows)
    #: instead of once per question answers the whole request from one state.
    states: dict[bool, str] = field(default_factory=dict)
    #: ``Cache-Control: no-cache``: wait for an answer of the current state, whatever it costs.
    must_be_current: bool = False
    #: The tag of the state the last answer given is of (``X-Book-State``).
    answered: str | None = None


#: Set by ``one_state_per_request`` (writes are never given one: they change the state).
_REQUEST: ContextVar[_Request | None] = ContextVar("request", default=None)


#: Whether this thread is computing an answer for ``cached_or_last`` (which then gives
#: the answers it needs inside of the current state, not the last ones).
_REFRESHING: ContextVar[bool] = ContextVar("refreshing", default=False)


@contextmanager
def one_state_per_request(*, must_be_current: bool = False) -> Iterator[None]:
    """Within this block, ``AppContext.fingerprint`` reads the database once per kind;
    with ``must_be_current``, ``cached_or_last`` never answers of a state before."""
    token = _REQUEST.set(_Request(must_be_current=must_be_current))
    try:
        yield
    finally:
        _REQUEST.reset(token)


def state_tag(fingerprint: str) -> str:
    """A short name of a book state, sent as ``X-Book-State`` with answers and writes:
    two answers of the same state have the same tag."""
    return hashlib.blake2b(fingerprint.encode(), digest_size=6).hexdigest()


def answered_state() -> str | None:
    """The tag of the state the current request's last cached answer is of (``None``
    outside a request or before any answer)."""
    request = _REQUEST.get()
    return None if request is None else request.answered


@dataclass(eq=False)
class _Write:
    """One request's write, waiting to be stored (``AppContext.write_rows``)."""

    change: Callable[[Connection, Any], Any]
    #: whether ``change`` takes (and may return) an ``Appended`` book (``web.writes``):
    #: rows joined to the book's frame when it is read, not per write
    appends: bool = False
    done: bool = False
    result: tuple[dict[str, int], str] | None = None
    error: Exception | None = None


@dataclass(frozen=True)
class _Answer:
    """The newest answer ``cached_or_last`` computed for a name."""

    sequence: int
    value: Any
    state: str
    writes: int  # ``AppContext._writes`` when it began


#: Under a stream of writes, the time between two recomputations for reads that have an
#: older answer to give, in multiples of the last one's duration: recomputing takes at most
#: a seventh of the interpreter, the rest goes to the reads and writes themselves (2, 3, 4
#: and 6 were measured with bench_web_load.py: 6 kept the most reads with writes).
REST = 6.0


#: Under a stream of writes (the last batch stored less than ``GATHER_AFTER`` seconds ago),
#: the thread that stores the next batch first waits ``GATHER`` seconds for more writes to
#: join it: fewer, larger batches, so fewer book states for the reads to catch up with
#: (``benchmarks/bench_web_load.py``). A write on its own never waits.
GATHER = 0.02
GATHER_AFTER = 0.05


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
    #: whether an edit of a row from the book's files writes that file (``conviction
    #: serve``), or is refused (409): ``web.file_rows``
    edit_files: bool = False
    jobs: JobRunner = field(default_factory=JobRunner)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _queue: list[_Write] = field(default_factory=list)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: dict[Any, Any] = field(default_factory=dict)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock)
    _flights: dict[Any, threading.Lock] = field(default_factory=dict)
    #: per name, the newest answer computed
    _last: dict[str, _Answer] = field(default_factory=dict)
    #: batches of writes stored by this app (``_resting`` compares them)
    _writes: int = 0
    #: when the last batch of writes was stored (monotonic)
    _stored_at: float = float("-inf")
    #: no recomputation for a read that has an older answer before this (monotonic) time
    _rest_until: float = 0.0
    _sequence: Iterator[int] = field(default_factory=itertools.count)
    #: the recomputations ``cached_or_last`` runs now: sequence -> name
    _refreshing: dict[int, str] = field(default_factory=dict)

    def fingerprint(self, *, theses: bool = True) -> str:
        """Changes whenever the book's rows change (here or in another process): row
        counts and highest ids of the big tables, and the book's date; with ``theses``,
        the theses' and scores' rows too (a projection does not depend on them)."""
        request = _REQUEST.get()
        if request is not None and theses in request.states:
            return request.states[theses]
        with self.engine.connect() as conn:
            state = _state(conn, theses=theses)
        if request is not None:
            request.states[theses] = state
        return state

    def write_rows(
        self, change: Callable[[Connection, Any], Any], *, appends: bool = False
    ) -> tuple[dict[str, int], str]:
        """Run ``change(conn, book)`` (a write of the book's rows, which returns the book as
        stored after it, or raises and writes nothing) in a transaction that holds the
        database's write lock; returns the row counts after and the tag of the new state
        (``state_tag``).

        Writes that arrive while another is being stored are committed together, each in
        a savepoint of one transaction (group commit): one lock, one commit and one new
        book state for all of them, and a refused one takes only its own rows back. With
        five writers at once each write waited for four commits before; now for one.

        ``book`` is the cached one when it is the stored state (no re-read per write), and
        the book the last ``change`` returns becomes the cached book of the new state, so
        the reads after a write do not read the database again either. With ``appends``,
        ``change`` takes and may return an ``Appended`` book (``web.writes``), whose rows
        are joined when the book is next read.
        """
        mine = _Write(change, appends=appends)
        with self._queue_lock:
            self._queue.append(mine)
        with self.write_lock:
            if not mine.done:  # nobody took it along: this thread stores what is waiting
                if time.monotonic() - self._stored_at < GATHER_AFTER:
                    time.sleep(GATHER)  # writes keep coming: let the next ones join
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._store(batch)
                self._stored_at = time.monotonic()
        if mine.error is not None:
            raise mine.error
        assert mine.result is not None
        return mine.result

    def _store(self, batch: list[_Write]) -> None:
        """Store ``batch`` in one transaction, each write in its own savepoint (a batch of
        one needs none: a refused write takes the transaction with it)."""
        from conviction.store import read_book
        from conviction.store.book_store import bump_revision, counts_of
        from conviction.store.engine import lock_for_writing
        from conviction.web.writes import joined

        alone = len(batch) == 1
        after: str | None = None
        try:
            with self.engine.connect() as conn:
                lock_for_writing(conn)  # no other writer (a load, another server) until commit
                before = _state(conn, theses=False)
                with self._cache_lock:
                    cached = self._cache.get(("book", before))
                book = cached if cached is not None else read_book(conn)
                stored = []
                for i, write in enumerate(batch):
                    if not alone:
                        conn.exec_driver_sql(f"SAVEPOINT write_{i}")
                    try:
                        book = write.change(conn, book if write.appends else joined(book))
                    except Exception as exc:  # this write's rows go, the others stay
                        if not alone:
                            conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT write_{i}")
                        write.error = exc
                    else:
                        stored.append(write)
                    if not alone:
                        conn.exec_driver_sql(f"RELEASE SAVEPOINT write_{i}")
                if not stored:  # every write was refused: nothing to keep
                    conn.rollback()
                    for write in batch:
                        write.done = True
                    return
                bump_revision(conn)  # an edit can leave counts and highest ids as they were
                row = tuple(conn.execute(_after_query()).one())
                after, counts = _state_of(row, theses=False), counts_of(row[_STATE_COLUMNS:])
                # cached before the commit: a read that sees the new state finds its book
                # (no reader sees the state before the commit; after it, in the moment
                # before the cache knew it, readers read the whole book from the database)
                with self._cache_lock:
                    self._cache[("book", after)] = book
                conn.commit()
        except BaseException as exc:  # nothing of the batch was stored
            with self._cache_lock:
                if after is not None:
                    self._cache.pop(("book", after), None)
            failed = exc if isinstance(exc, Exception) else RuntimeError("the write was stopped")
            for write in batch:
                write.error = write.error or failed
                write.done = True
            raise
        with self._cache_lock:
            self._cache = {k: v for k, v in self._cache.items() if _same_book(k, ("book", after))}
            self._writes += 1
        for write in stored:
            write.result = (counts, state_tag(after))
        for write in batch:
            write.done = True

    def book(self) -> Book:
        """The stored book, read again only when its fingerprint changed."""
        from conviction.app.book import open_book

        key = ("book", self.fingerprint(theses=False))
        with self._cache_lock:
            kept = self._cache.get(key)
        request = _REQUEST.get()
        if kept is None and request is not None:
            # A miss: this request's state may be one that writes have replaced since it
            # began (each write caches the book it stored): read the state again, not the
            # database (a read of the database caches its book and lets the others go).
            for _ in range(3):
                request.states.clear()
                key = ("book", self.fingerprint(theses=False))
                with self._cache_lock:
                    kept = self._cache.get(key)
                if kept is not None:
                    break
        if kept is None:
            kept = self._once(key, lambda: open_book(self.engine).book)
        if isinstance(kept, Book):
            return kept
        # rows that writes appended (``web.writes.Appended``): joined once for this state
        book: Book = self._once(("joined", key[1]), kept.joined)
        with self._cache_lock:
            if self._cache.get(key) is kept:
                self._cache[key] = book
        return book

    def book_for_checks(self) -> Book:
        """The book to check a request against (its ids, the book's settings and dates,
        marks and rates): ``book()``, except that transactions appended by writes since
        the book was last joined (``web.writes.Appended``) may be missing from its frame.
        They change no id, setting, mark or rate, and a read that is answered with an
        answer already computed then joins nothing: under a stream of writes, joining
        each state's rows for reads that only check their ids took a quarter of the
        interpreter (measured with py-spy under ``benchmarks/bench_web_load.py``)."""
        from conviction.web.writes import Appended

        with self._cache_lock:
            kept = self._cache.get(("book", self.fingerprint(theses=False)))
        return kept.book if isinstance(kept, Appended) else self.book()

    def cached(self, name: str, make: Any, *, theses: bool = True) -> Any:
        """A value derived from the current book, computed once per book state; with
        ``theses=False``, for a value that does not depend on the theses (a milestone
        update then leaves it cached)."""
        return self._once((name, self.fingerprint(theses=theses)), make)

    def cached_or_last(self, name: str, make: Any, *, theses: bool = True) -> Any:
        """Like ``cached``, but a read never waits for another request's recomputation:
        while one computes ``name`` for the current state, the others get the last one
        computed (of a state before) at once; and at most one such recomputation runs at
        a time, whatever the answer (the others keep giving their last one meanwhile).
        Without writes going on this is always the current state (nobody is computing);
        under a stream of writes an answer is a few recomputations behind at most, and
        says which state it is of (``X-Book-State``).

        Why: every write makes a new state, and recomputing every answer for every state
        while writers keep writing kept readers waiting on answers that the next write
        made old at once, and the threads recomputing them took the interpreter from the
        reads and writes (measured in ``benchmarks/bench_web_load.py``). A request sent
        with ``Cache-Control: no-cache`` waits for the current state instead.
        """
        state = self.fingerprint(theses=theses)
        key = (name, state)
        with self._cache_lock:
            if key in self._cache:
                self._answered(state)
                return self._cache[key]
            last = self._last.get(name)
            request = _REQUEST.get()
            if (
                last is not None
                and not _REFRESHING.get()  # (an answer computed inside another: current)
                and not (request and request.must_be_current)
                and (self._refreshing or self._resting(last))
            ):
                self._answered(last.state)
                return last.value
            started = next(self._sequence)
            self._refreshing[started] = name
            writes = self._writes
        inside = _REFRESHING.set(True)
        began = time.monotonic()
        try:
            value = self._once(key, make)
        finally:
            _REFRESHING.reset(inside)
            ended = time.monotonic()
            with self._cache_lock:
                del self._refreshing[started]
                self._rest_until = max(self._rest_until, ended + REST * (ended - began))
        with self._cache_lock:  # the newest state computed is the one kept
            if name not in self._last or self._last[name].sequence < started:
                self._last[name] = _Answer(started, value, state, writes)
        self._answered(state)
        return value

    def _resting(self, last: _Answer) -> bool:
        """Whether a recomputation of ``last`` waits: writes keep coming (two or more
        since it was computed) and the last recomputation ended less than ``REST`` times
        its own duration ago. A single write is always seen by the next read."""
        return self._writes - last.writes >= 2 and time.monotonic() < self._rest_until

    @staticmethod
    def _answered(state: str) -> None:
        request = _REQUEST.get()
        if request is not None:
            request.answered = state_tag(state)

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
    """The book's state as ``AppContext.fingerprint`` describes it, read on ``conn`` in one
    statement (every request asks; under load each statement costs a wait for the
    interpreter lock, so one instead of seven)."""
    return _state_of(tuple(conn.execute(_state_query(theses)).one()), theses=theses)


def _state_of(row: tuple[Any, ...], *, theses: bool) -> str:
    """The state from the first values of a row of ``_state_query``."""
    groups = [row[0:2], row[2:4], row[4:6], row[6:9]]
    if theses:
        groups += [row[9:11], row[11:13], row[13:14]]
    return repr(groups)


#: How many values of ``_state_query(theses=False)`` the state is made of.
_STATE_COLUMNS = 9


@functools.cache
def _after_query() -> Any:
    """The state (without theses) and ``count_rows``'s counts in one statement: what a
    write answers with, read in one wait for the interpreter lock instead of two."""
    from conviction.store.book_store import count_columns

    return _state_query(False).add_columns(*count_columns())


@functools.cache
def _state_query(theses: bool) -> Any:
    """The statement of ``_state``, built once (building it cost more than running it)."""
    from conviction.store.theses_tables import MilestoneEntryRow, ScoreEntryRow, ThesisRow

    def count_and_last(t: Any) -> list[Any]:
        return [
            select(func.count()).select_from(t).scalar_subquery(),
            select(func.max(t.id)).scalar_subquery(),
        ]

    # the book's parts first: the state with theses extends the state without them
    parts = [*count_and_last(TransactionRow), *count_and_last(MarkRow), *count_and_last(FxRow)]
    parts += [
        select(getattr(BookRow, c)).where(BookRow.id == 1).scalar_subquery()
        for c in ("as_of", "currency", "revision")
    ]
    if theses:
        parts += [*count_and_last(MilestoneEntryRow), *count_and_last(ScoreEntryRow)]
        parts.append(select(func.count()).select_from(ThesisRow).scalar_subquery())
    return select(*parts)


async def context(request: Request) -> AppContext:
    """FastAPI dependency: the app's context. A coroutine, so that FastAPI runs it on the
    event loop: a plain function is run in a worker thread, and under load every hop to
    a thread and back waits its turn for the interpreter lock."""
    ctx: AppContext = request.app.state.ctx
    return ctx
