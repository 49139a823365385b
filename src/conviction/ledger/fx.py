"""Exchange rates as marks: the rate of a pair on a date is the last one on or before it.

A stored ``USDJPY`` gives yen per dollar; ``JPYUSD`` is its inverse and is never stored
twice; a cross such as ``EURJPY`` is the product of two legs through a shared currency
(EURUSD × USDJPY), searched over the stored pairs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from conviction._typing import BoolArray, Float64Array
from conviction.errors import DataError

__all__ = ["FxRates", "RateSeries", "RateUsed"]


@dataclass(frozen=True)
class RateSeries:
    """Rates of one pair on requested days, and which of them are carried forward."""

    rates: Float64Array
    stale: BoolArray


@dataclass(frozen=True, slots=True)
class RateUsed:
    """One stored rate a conversion used on a day: the pair as stored, its date and source."""

    pair: str
    date: dt.date
    rate: float
    source: str


class FxRates:
    """Look-ups of any pair on any days from a table of stored rates."""

    def __init__(self, fx: pd.DataFrame) -> None:
        self._pairs: dict[str, tuple[np.ndarray, Float64Array]] = {}
        self._sources: dict[str, np.ndarray] = {}
        if len(fx):
            for pair, rows in fx.groupby("pair", sort=False):
                days = rows["date"].to_numpy().astype("datetime64[D]")
                order = np.argsort(days, kind="stable")
                self._pairs[str(pair)] = (days[order], rows["rate"].to_numpy(float)[order])
                if "source" in rows:
                    self._sources[str(pair)] = rows["source"].to_numpy(dtype=object)[order]
        self._graph: dict[str, set[str]] = {}
        for pair in self._pairs:
            a, b = pair[:3], pair[3:]
            self._graph.setdefault(a, set()).add(b)
            self._graph.setdefault(b, set()).add(a)

    @property
    def pairs(self) -> tuple[str, ...]:
        return tuple(self._pairs)

    def currencies(self) -> set[str]:
        return set(self._graph)

    def rate(self, base: str, quote: str, days: np.ndarray) -> RateSeries:
        """Units of ``quote`` per unit of ``base`` on each day (datetime64[D]).

        Raises ``DataError`` when no chain of stored pairs links the two currencies, or
        when a needed leg has no rate on or before a day.
        """
        days = np.asarray(days).astype("datetime64[D]")
        if base == quote:
            return RateSeries(np.ones(days.shape), np.zeros(days.shape, dtype=bool))
        path = self._path(base, quote)
        if path is None:
            raise DataError(
                f"no exchange rate for {base}{quote}: it cannot be derived from the stored "
                f"pairs ({', '.join(sorted(self._pairs)) or 'none'})"
            )
        rates = np.ones(days.shape)
        stale = np.zeros(days.shape, dtype=bool)
        for a, b in pairwise(path):
            leg = self._leg(a, b, days)
            rates *= leg.rates
            stale |= leg.stale
        return RateSeries(rates, stale)

    def used(self, base: str, quote: str, day: dt.date) -> tuple[RateUsed, ...]:
        """The stored rates (one per leg) that convert ``base`` to ``quote`` on ``day``."""
        if base == quote:
            return ()
        path = self._path(base, quote)
        if path is None:
            self.rate(base, quote, np.array([day], dtype="datetime64[D]"))  # raises, explained
            return ()
        when = np.datetime64(day.isoformat(), "D")
        out = []
        for a, b in pairwise(path):
            pair = a + b if a + b in self._pairs else b + a
            stored, values = self._pairs[pair]
            k = int(np.searchsorted(stored, when, side="right")) - 1
            if k < 0:
                raise DataError(f"no {a}{b} rate on or before {when} (first: {stored[0]})")
            sources = self._sources.get(pair)
            source = "" if sources is None else str(sources[k])
            out.append(RateUsed(pair, stored[k].astype(dt.date), float(values[k]), source))
        return tuple(out)

    def _leg(self, a: str, b: str, days: np.ndarray) -> RateSeries:
        if a + b in self._pairs:
            stored, values, invert = *self._pairs[a + b], False
        else:
            stored, values, invert = *self._pairs[b + a], True
        idx = np.searchsorted(stored, days, side="right") - 1
        missing = idx < 0
        if missing.any():
            first = days[np.flatnonzero(missing)[0]]
            raise DataError(f"no {a}{b} rate on or before {first} (first stored rate: {stored[0]})")
        rates = values[idx]
        stale = stored[idx] != days
        return RateSeries(1.0 / rates if invert else rates, stale)

    def _path(self, base: str, quote: str) -> list[str] | None:
        """Shortest chain of currencies from base to quote (breadth-first)."""
        if base not in self._graph or quote not in self._graph:
            return None
        previous: dict[str, str | None] = {base: None}
        frontier = [base]
        while frontier:
            nxt: list[str] = []
            for node in frontier:
                for other in sorted(self._graph[node]):
                    if other not in previous:
                        previous[other] = node
                        nxt.append(other)
            if quote in previous:
                break
            frontier = nxt
        if quote not in previous:
            return None
        chain = [quote]
        while (step := previous[chain[-1]]) is not None:
            chain.append(step)
        return chain[::-1]
