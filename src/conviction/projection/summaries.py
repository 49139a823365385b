"""Streaming summaries of a projection with bounded memory.

Each block of paths is reduced at once to what the result needs: its terminal multiples
(book and per company), the book at each year end, the maximum drawdown, and a few sums.
The kernel's book is the projected holdings; the sums (P(target), means) count the whole
book, cash and unprojected holdings included, path by path (``ProjectionSpec.whole_book``),
and P(target) of the holdings alone beside it.
Two ways to keep the samples for percentiles:

* ``exact``: every path's numbers as float32 (float64 for the book's terminal multiple),
  about 4·(companies + years + 3) bytes a path — 96 MB for 10^6 paths, 10 companies and 10
  years. Percentiles are then exactly ``numpy.percentile`` of all paths.
* ``histogram``: fixed bins — 0.001 wide in log multiple over [-30, 30] and 0.0001 in
  drawdown — a few MB whatever the number of paths; percentiles are read off the bins
  (error about a bin: 0.1% of the value, more only where the paths are sparse).

Sums are kept per block and added in block order at the end, so the result is the same
bit for bit however the blocks were grouped into chunks or spread over workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from conviction._typing import Float32Array, Float64Array, IntArray

__all__ = [
    "LOG_BIN",
    "LOG_MAX",
    "Accumulator",
    "ChunkSummary",
    "SummaryMode",
    "Totals",
    "choose_mode",
    "concat_blocks",
    "histogram_percentiles",
    "log_histogram",
    "summarise_block",
]

SummaryMode = Literal["exact", "histogram"]

#: Histogram mode: width and half-range of the bins of log multiples.
LOG_BIN = 1e-3
LOG_MAX = 30.0
_N_LOG = round(2 * LOG_MAX / LOG_BIN)
#: Histogram mode: width of the drawdown bins on [0, 1].
DD_BIN = 1e-4
_N_DD = round(1.0 / DD_BIN)

#: Exact mode while the kept samples stay under this many bytes.
EXACT_LIMIT_BYTES = 512 * 2**20


def choose_mode(
    paths: int, n_assets: int, years: int, limit: int = EXACT_LIMIT_BYTES
) -> SummaryMode:
    """``exact`` while every path's summary numbers fit in ``limit`` bytes."""
    per_path = 4 * (n_assets + years + 2) + 8
    return "exact" if paths * per_path <= limit else "histogram"


def log_histogram(log_values: Float64Array) -> IntArray:
    """Counts of log multiples per column in the fixed bins; (columns, bins + 2) with an
    underflow bin first and an overflow bin last."""
    values = np.atleast_2d(log_values.T) if log_values.ndim == 2 else log_values[None, :]
    pos = np.floor((values + LOG_MAX) / LOG_BIN)
    pos = np.clip(pos, -1, _N_LOG).astype(np.int64) + 1
    cols = values.shape[0]
    flat = pos + (np.arange(cols)[:, None] * (_N_LOG + 2))
    counts = np.bincount(flat.ravel(), minlength=cols * (_N_LOG + 2))
    return counts.reshape(cols, _N_LOG + 2)


def _dd_histogram(dd: Float64Array) -> IntArray:
    pos = np.clip(np.floor(dd / DD_BIN), 0, _N_DD - 1).astype(np.int64)
    return np.bincount(pos, minlength=_N_DD)


def histogram_percentiles(
    counts: IntArray, q: Float64Array, *, low: float, width: float
) -> Float64Array:
    """Percentiles ``q`` (0-100) from one row of bin counts; bin i covers
    [low + i·width, low + (i + 1)·width) and its values are taken as evenly spread in it,
    so a percentile is off ``numpy.percentile`` of the values themselves by at most a bin
    plus the gap between the two sorted values it falls between (negligible with many
    paths, a little more in the far tails of a small run)."""
    total = counts.sum()
    cum = np.cumsum(counts)
    # Linear-interpolated rank as numpy.percentile: position q/100·(N − 1) among N sorted.
    rank = np.asarray(q, dtype=np.float64) / 100.0 * (total - 1)
    i = np.searchsorted(cum, rank, side="right")
    before = np.where(i > 0, cum[np.maximum(i - 1, 0)], 0)
    inside = counts[np.minimum(i, counts.size - 1)]
    frac = np.where(inside > 0, (rank - before + 0.5) / np.maximum(inside, 1), 0.5)
    out: Float64Array = low + (i + np.clip(frac, 0.0, 1.0)) * width
    return out


@dataclass(frozen=True)
class Totals:
    """Per-block sums (one entry per block) that the result is built from."""

    n: IntArray  # paths per block
    hits: IntArray  # paths with the whole book's multiple >= target
    book_sum: Float64Array  # sum of the whole book's terminal multiple
    book_sq: Float64Array  # sum of its square
    book_log: Float64Array  # sum of its log
    book_log_sq: Float64Array
    asset_sum: Float64Array  # (blocks, A) sum of each company's terminal multiple
    asset_log: Float64Array  # (blocks, A) sum of its log
    holdings_hits: IntArray  # paths with the projected holdings' multiple >= target

    @staticmethod
    def of_block(
        log_terminal: Float64Array,
        book_terminal: Float64Array,
        target: float,
        whole: tuple[float, float] = (1.0, 0.0),
    ) -> Totals:
        """``book_terminal``: the holdings' multiples; ``whole`` (scale, shift) turns them
        into the whole book's (``ProjectionSpec.whole_book``), path by path."""
        scale, shift = whole
        book = book_terminal * scale + shift  # exactly book_terminal for (1, 0)
        log_book = np.log(book)
        return Totals(
            n=np.array([book_terminal.size], dtype=np.int64),
            hits=np.array([np.count_nonzero(book >= target)], dtype=np.int64),
            book_sum=np.array([book.sum()]),
            book_sq=np.array([np.square(book).sum()]),
            book_log=np.array([log_book.sum()]),
            book_log_sq=np.array([np.square(log_book).sum()]),
            asset_sum=np.exp(log_terminal).sum(axis=0)[None, :],
            asset_log=log_terminal.sum(axis=0)[None, :],
            holdings_hits=np.array([np.count_nonzero(book_terminal >= target)], dtype=np.int64),
        )

    @staticmethod
    def concat(parts: list[Totals]) -> Totals:
        return Totals(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Totals.__dataclass_fields__)
        )


@dataclass(frozen=True)
class ChunkSummary:
    """What a chunk (a run of consecutive blocks) sends back to be merged in order."""

    first_block: int
    totals: Totals
    # exact mode: one row per path of the chunk
    book_terminal: Float64Array | None = None  # (n,)
    log_terminal: Float32Array | None = None  # (n, A)
    book_years: Float32Array | None = None  # (n, years + 1)
    max_drawdown: Float32Array | None = None  # (n,)
    # histogram mode: counts
    hist_book: IntArray | None = None  # (1, bins + 2) of the log book multiple
    hist_assets: IntArray | None = None  # (A, bins + 2)
    hist_years: IntArray | None = None  # (years + 1, bins + 2)
    hist_dd: IntArray | None = None  # (dd bins,)

    @property
    def n_paths(self) -> int:
        return int(self.totals.n.sum())


def summarise_block(
    mode: SummaryMode,
    first_block: int,
    log_terminal: Float64Array,
    book_years: Float64Array,
    max_drawdown: Float64Array,
    target: float,
    whole: tuple[float, float] = (1.0, 0.0),
) -> ChunkSummary:
    """Reduce one block's kernel output (the holdings' multiples); the sums count the whole
    book's multiple, ``whole[0]`` · holdings' + ``whole[1]``, and the holdings' hits beside.
    The kept samples stay the holdings': the whole book's percentiles are their image under
    the same increasing map (exact)."""
    book_terminal = book_years[:, -1].copy()
    totals = Totals.of_block(log_terminal, book_terminal, target, whole)
    if mode == "exact":
        return ChunkSummary(
            first_block,
            totals,
            book_terminal=book_terminal,
            log_terminal=log_terminal.astype(np.float32),
            book_years=book_years.astype(np.float32),
            max_drawdown=max_drawdown.astype(np.float32),
        )
    with np.errstate(divide="ignore"):
        log_years = np.log(book_years)
    return ChunkSummary(
        first_block,
        totals,
        hist_book=log_histogram(np.log(book_terminal)),
        hist_assets=log_histogram(log_terminal),
        hist_years=log_histogram(log_years),
        hist_dd=_dd_histogram(max_drawdown),
    )


def concat_blocks(parts: list[ChunkSummary]) -> ChunkSummary:
    """Consecutive blocks' summaries as one chunk summary (in block order)."""
    first = parts[0]
    totals = Totals.concat([p.totals for p in parts])
    if first.book_terminal is not None:
        return ChunkSummary(
            first.first_block,
            totals,
            book_terminal=np.concatenate(
                [p.book_terminal for p in parts if p.book_terminal is not None]
            ),
            log_terminal=np.concatenate(
                [p.log_terminal for p in parts if p.log_terminal is not None]
            ),
            book_years=np.concatenate([p.book_years for p in parts if p.book_years is not None]),
            max_drawdown=np.concatenate(
                [p.max_drawdown for p in parts if p.max_drawdown is not None]
            ),
        )
    return ChunkSummary(
        first.first_block,
        totals,
        hist_book=_add([p.hist_book for p in parts]),
        hist_assets=_add([p.hist_assets for p in parts]),
        hist_years=_add([p.hist_years for p in parts]),
        hist_dd=_add([p.hist_dd for p in parts]),
    )


def _add(arrays: list[IntArray | None]) -> IntArray:
    out = np.array(arrays[0], copy=True)
    for a in arrays[1:]:
        out += np.asarray(a)
    return out


def _pct32(samples: Float32Array, q: Float64Array) -> Float64Array:
    """Percentiles along the first axis of float32 samples, as float64. The samples are
    partitioned in place (no copy of a 10^6-row array): call once, at the end."""
    out: Float64Array = np.percentile(samples, q, axis=0, overwrite_input=True).astype(np.float64)
    return out


class Accumulator:
    """Collects chunk summaries as they arrive, into arrays allocated once.

    Exact mode writes each chunk's rows at the chunk's place (so arrival order does not
    matter); histogram mode adds counts (integers: order does not matter either).
    """

    def __init__(
        self, mode: SummaryMode, paths: int, n_assets: int, years: int, block_paths: int
    ) -> None:
        self.mode = mode
        self.paths = paths
        self.block_paths = block_paths
        self.totals: dict[int, Totals] = {}
        self.done = 0
        if mode == "exact":
            self.book_terminal = np.empty(paths)
            self.log_terminal = np.empty((paths, n_assets), dtype=np.float32)
            self.book_years = np.empty((paths, years + 1), dtype=np.float32)
            self.max_drawdown = np.empty(paths, dtype=np.float32)
        else:
            self.hist_book = np.zeros((1, _N_LOG + 2), dtype=np.int64)
            self.hist_assets = np.zeros((n_assets, _N_LOG + 2), dtype=np.int64)
            self.hist_years = np.zeros((years + 1, _N_LOG + 2), dtype=np.int64)
            self.hist_dd = np.zeros(_N_DD, dtype=np.int64)

    def add(self, chunk: ChunkSummary) -> None:
        self.totals[chunk.first_block] = chunk.totals
        n = chunk.n_paths
        self.done += n
        if self.mode == "exact":
            lo = chunk.first_block * self.block_paths
            sl = slice(lo, lo + n)
            self.book_terminal[sl] = chunk.book_terminal
            self.log_terminal[sl] = chunk.log_terminal
            self.book_years[sl] = chunk.book_years
            self.max_drawdown[sl] = chunk.max_drawdown
        else:
            self.hist_book += np.asarray(chunk.hist_book)
            self.hist_assets += np.asarray(chunk.hist_assets)
            self.hist_years += np.asarray(chunk.hist_years)
            self.hist_dd += np.asarray(chunk.hist_dd)

    def all_totals(self) -> Totals:
        """Per-block sums in block order."""
        return Totals.concat([self.totals[k] for k in sorted(self.totals)])

    def percentiles(self, q: Float64Array) -> dict[str, Float64Array]:
        """Percentiles of the book's terminal multiple ("book", (Q,)), each company's
        terminal multiple ("assets", (A, Q)), the book at each year end ("years",
        (Y + 1, Q)) and the maximum drawdown ("drawdown", (Q,)). Call once, at the end:
        exact mode partitions the samples in place."""
        if self.mode == "exact":
            book = np.percentile(self.book_terminal, q, overwrite_input=True)
            years = _pct32(self.book_years, q).T
            years[-1] = book  # the horizon from the float64 samples, as "book"
            return {
                "book": book,
                "assets": np.exp(_pct32(self.log_terminal, q).T),
                "years": years,
                "drawdown": _pct32(self.max_drawdown, q),
            }
        low = -LOG_MAX - LOG_BIN

        def logs(counts: IntArray) -> Float64Array:
            out: Float64Array = np.exp(
                np.array([histogram_percentiles(r, q, low=low, width=LOG_BIN) for r in counts])
            )
            return out

        years = logs(self.hist_years)
        years[0] = 1.0  # every path starts at 1: no need to read it off a bin
        return {
            "book": logs(self.hist_book)[0],
            "assets": logs(self.hist_assets),
            "years": years,
            "drawdown": histogram_percentiles(self.hist_dd, q, low=0.0, width=DD_BIN),
        }
