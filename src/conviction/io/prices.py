"""Read price files: ``date,close`` or ``date,open,high,low,close,adj_close,volume``."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

from conviction.errors import FormatError
from conviction.io.csv_tables import csv_parse_error, record_lines
from conviction.io.limits import MAX_DATE, MAX_MAGNITUDE, MIN_DATE, date_error
from conviction.io.text_files import read_text_file

__all__ = ["read_price_csv"]


def read_price_csv(path: str | Path, *, column: str | None = None) -> pd.Series:
    """A date-indexed price series from a CSV file, validated.

    Uses ``adj_close`` when the file has it with values, else ``close`` (or ``column``).
    Raises ``FormatError`` naming file, line and field for a missing column, a bad date or
    number, a non-positive price, or dates that are duplicated or out of order.
    Lines are counted as in an editor: the header is line 1, blank lines count.
    """
    path = Path(path)
    text = read_text_file(path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise csv_parse_error(exc, path, text) from None
    except pd.errors.EmptyDataError:
        raise FormatError("empty file (expected a header line)", file=path, line=1) from None
    line_of = record_lines(text, len(frame))
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "date" not in frame.columns:
        raise FormatError("missing column 'date'", file=path, line=1, field="date")
    if column is None:
        has_adj = "adj_close" in frame.columns and (frame["adj_close"].str.strip() != "").all()
        column = "adj_close" if has_adj else "close"
    if column not in frame.columns:
        raise FormatError(f"missing column '{column}'", file=path, line=1, field=column)

    dates = pd.to_datetime(frame["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise FormatError(
            f"expected a date YYYY-MM-DD, got {frame['date'].iloc[i]!r}",
            file=path,
            line=int(line_of[i]),
            field="date",
        )
    days = dates.to_numpy().astype("datetime64[D]")
    low, high = np.datetime64(MIN_DATE, "D"), np.datetime64(MAX_DATE, "D")
    bad = np.flatnonzero((days < low) | (days > high))
    if bad.size:
        i = int(bad[0])
        raise FormatError(
            date_error(dt.date.fromisoformat(str(days[i]))) or "date out of range",
            file=path,
            line=int(line_of[i]),
            field="date",
        )
    values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
    numbers = values.to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(numbers) | (numbers <= 0) | (numbers >= MAX_MAGNITUDE))
    if bad.size:
        i = int(bad[0])
        raise FormatError(
            f"expected a positive number below {MAX_MAGNITUDE:g}, got {frame[column].iloc[i]!r}",
            file=path,
            line=int(line_of[i]),
            field=column,
        )
    order = dates.to_numpy()
    steps = np.diff(order.astype("datetime64[D]").astype(np.int64))
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        what = "duplicate" if steps[i - 1] == 0 else "out-of-order"
        raise FormatError(
            f"{what} date {frame['date'].iloc[i]} (dates must be strictly increasing)",
            file=path,
            line=int(line_of[i]),
            field="date",
        )
    series = pd.Series(
        values.to_numpy(dtype=float),
        index=pd.DatetimeIndex(dates, name="date"),
        name=path.stem,
    )
    # The physical line of each price, for later errors. A tuple, not an array: pandas
    # compares attrs when it combines series (concat, alignment), and arrays of different
    # lengths cannot be compared.
    series.attrs["lines"] = tuple(int(n) for n in np.asarray(line_of).tolist())
    return series
