"""Read a projection TOML file into a :class:`~conviction.projection.ProjectionSpec`.

The format (documented with examples in docs/projection.md)::

    [projection]            years, steps_per_year, paths, seed, target_multiple,
                            cash_rate (annual, for the book's cash; default 0),
                            mark_every_years (private companies), percentiles, block_paths
    [[projection.asset]]    company (id or ticker), model, expected_return, volatility, df,
                            prices + block_years (bootstrap), driver + value_today (driver),
                            mark_every_years, start_value
    [[projection.correlation]]  a, b, rho
    [[projection.jump]]     name, annual_probability, loss, people and/or companies
    [[driver]]              name, distribution, value | mean sd | low high | low mode high
                            | formula, note
    [[driver_correlation]]  a, b, rho
    [[sensitivity]]         input, low, high (read by conviction.io.sensitivity_toml)
    [[scenario]]            name, note, [[scenario.shock]] [[scenario.pin]]
                            [[scenario.asset]] [[scenario.markdown]] (conviction.io.scenario_toml)

Every error names the file, the line and the key. With a ``Book``, companies and people are
checked against it, tickers resolve to company ids, key people come from the book, and
private companies (``public = false``) are marked every ``mark_every_years``.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conviction.book.model import Book
from conviction.errors import FormatError, InputError, UnknownIdError
from conviction.io.prices import read_price_csv
from conviction.io.text_files import read_text_file
from conviction.io.toml_lines import locate
from conviction.projection.drivers import DriverCorrelation, DriverModel, DriverSpec
from conviction.projection.spec import (
    AssetSpec,
    CorrelationSpec,
    JumpSpec,
    ProjectionSpec,
)

__all__ = ["BOOTSTRAP_FREQUENCIES", "Overrides", "read_projection"]

#: steps_per_year -> pandas resampling rule for bootstrap histories
BOOTSTRAP_FREQUENCIES: dict[int, str | None] = {252: None, 52: "W-FRI", 12: "ME", 4: "QE", 1: "YE"}

_KEYS: dict[str, set[str]] = {
    "projection": {
        "years",
        "steps_per_year",
        "paths",
        "seed",
        "target_multiple",
        "cash_rate",
        "mark_every_years",
        "percentiles",
        "block_paths",
        "asset",
        "correlation",
        "jump",
    },
    "projection.asset": {
        "company",
        "model",
        "expected_return",
        "volatility",
        "df",
        "prices",
        "block_years",
        "driver",
        "value_today",
        "mark_every_years",
        "start_value",
    },
    "projection.correlation": {"a", "b", "rho"},
    "projection.jump": {"name", "annual_probability", "loss", "people", "companies"},
    "driver": {"name", "distribution", "value", "mean", "sd", "low", "high", "mode", "formula"}
    | {"note", "unit"},
    "driver_correlation": {"a", "b", "rho"},
    # read by conviction.io.sensitivity_toml
    "sensitivity": {"input", "low", "high"},
    # read by conviction.io.scenario_toml
    "scenario": {"name", "note", "shock", "pin", "asset", "markdown"},
    "scenario.shock": {"person", "year", "loss"},
    "scenario.pin": {"driver", "value", "low", "high", "mode"},
    "scenario.asset": {"company", "expected_return", "volatility"},
    "scenario.markdown": {"company", "fraction"},
}


#: The top-level tables of a projection file ([[sensitivity]]: conviction.io.sensitivity_toml,
#: [[scenario]]: conviction.io.scenario_toml).
_TABLES = ("projection", "driver", "driver_correlation", "sensitivity", "scenario")


@dataclass(frozen=True)
class Overrides:
    """Command-line values that replace the file's (None keeps the file's)."""

    paths: int | None = None
    years: int | None = None
    seed: int | None = None
    target_multiple: float | None = None
    steps_per_year: int | None = None
    cash_rate: float | None = None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def error(
        self, cls: type[InputError], msg: str, table: str, index: int | None, key: str | None
    ) -> InputError:
        line = locate(self.text, table, index, key)
        field = table if index is None else f"{table}[{index + 1}]"
        field = f"{field}.{key}" if key else field
        return cls(msg, file=self.path, line=line, field=field)

    def get(
        self,
        tbl: Mapping[str, Any],
        table: str,
        index: int | None,
        key: str,
        kind: type | tuple[type, ...],
        default: Any = None,
        required: bool = False,
    ) -> Any:
        if key not in tbl:
            if required:
                raise self.error(FormatError, f"missing key '{key}'", table, index, key)
            return default
        value = tbl[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(k.__name__.replace("str", "text") for k in kinds)
            raise self.error(FormatError, f"expected {names}, got {value!r}", table, index, key)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(
                FormatError, f"expected a finite number, got {value!r}", table, index, key
            )
        return value

    def strings(self, tbl: Mapping[str, Any], table: str, index: int, key: str) -> list[str]:
        value = tbl.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(FormatError, "expected a list of text", table, index, key)
        return list(value)

    def check_keys(self, tbl: Any, table: str, index: int | None) -> None:
        if not isinstance(tbl, dict):
            raise self.error(FormatError, "expected a table", table, index, None)
        for key in tbl:
            if key not in _KEYS[table]:
                tables = {"asset", "correlation", "jump"} if table == "projection" else set()
                known = ", ".join(sorted(_KEYS[table] - tables))
                raise self.error(
                    FormatError, f"unknown key '{key}' (known: {known})", table, index, key
                )

    def tables(self, doc: Mapping[str, Any], table: str) -> list[dict[str, Any]]:
        """The array of tables ``[[table]]`` (``projection.asset`` is ``doc["asset"]`` of
        the projection table), each checked for unknown keys."""
        value = doc.get(table.rsplit(".", 1)[-1], [])
        if not isinstance(value, list):
            raise self.error(FormatError, f"write [[{table}]] tables", table, None, None)
        for i, tbl in enumerate(value):
            self.check_keys(tbl, table, i)
        return value


def read_projection(
    path: str | Path,
    *,
    book: Book | None = None,
    start_values: Mapping[str, float] | None = None,
    overrides: Overrides | None = None,
    cash: float = 0.0,
) -> ProjectionSpec:
    """The projection in ``path``, checked; ``start_values`` (company id -> value today, e.g.
    from ``conviction.ledger.book_status``) weight the companies, default 1 each; an asset's own
    ``start_value`` wins. Companies in the file that the book does not hold start at 0.

    The whole book the headline figures count: the companies of ``start_values`` that the
    file does not model (kept at today's value) and ``cash``, earning the file's
    ``cash_rate`` (an annual rate, default 0, in (-1, 1])."""
    path = Path(path)
    text = read_text_file(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise FormatError(
            f"not valid TOML ({exc})", file=path, line=int(m.group(1)) if m else None
        ) from None
    r = _Reader(path, text)
    for key in doc:
        if key not in _TABLES:
            raise r.error(
                FormatError,
                f"unknown table '{key}' (known: {', '.join(_TABLES)})",
                key,
                None,
                None,
            )
    proj = doc.get("projection")
    if proj is None:
        raise FormatError("missing table [projection]", file=path, field="projection")
    r.check_keys(proj, "projection", None)
    ov = overrides or Overrides()

    def top(key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        return r.get(proj, "projection", None, key, kind, default)

    steps_per_year = ov.steps_per_year or top("steps_per_year", int, 12)
    private_marks = top("mark_every_years", float, 1.0)
    drivers = _drivers(r, doc)
    assets = _assets(r, proj, book, start_values, steps_per_year, private_marks)
    ids = [a.company for a in assets]
    correlations = _correlations(r, proj, book, ids)
    jumps = _jumps(r, proj, book, ids)
    percentiles = top("percentiles", list, [5, 25, 50, 75, 95])
    if not all(isinstance(q, int | float) and not isinstance(q, bool) for q in percentiles):
        raise r.error(FormatError, "expected a list of numbers", "projection", None, "percentiles")
    cash_rate = top("cash_rate", float, 0.0) if ov.cash_rate is None else ov.cash_rate
    if not -1.0 < cash_rate <= 1.0:
        message = f"cash_rate is an annual rate in (-1, 1] (0.04 for 4%), got {cash_rate:g}"
        if ov.cash_rate is not None:
            raise FormatError(message, field="--cash-rate")
        raise r.error(FormatError, message, "projection", None, "cash_rate")
    modelled = set(ids)
    unprojected = sum(float(v) for c, v in (start_values or {}).items() if c not in modelled)
    try:
        return ProjectionSpec(
            assets=tuple(assets),
            years=ov.years or top("years", int, 10),
            steps_per_year=steps_per_year,
            paths=ov.paths or top("paths", int, 100_000),
            seed=ov.seed if ov.seed is not None else top("seed", int, None),
            target_multiple=ov.target_multiple or top("target_multiple", float, 5.0),
            correlations=tuple(correlations),
            jumps=tuple(jumps),
            drivers=drivers,
            block_paths=top("block_paths", int, 2048),
            percentiles=tuple(float(q) for q in percentiles),
            cash=float(cash),
            cash_rate=cash_rate,
            unprojected=unprojected,
        )
    except InputError as exc:
        raise type(exc)(
            exc.message, file=path, line=_line_of(text, proj, exc.field), field=exc.field
        ) from None


def _line_of(text: str, proj: Mapping[str, Any], field: str | None) -> int | None:
    """The line a spec-level error's field points at (``projection.jump[key-person].people``
    is the ``people`` key of the jump named key-person)."""
    m = re.match(r"projection\.(asset|correlation|jump)\[([^\]]*)\]\.?(\w*)", field or "")
    if m is None:
        key = (field or "").rsplit(".", 1)[-1] if (field or "").count(".") == 1 else None
        return locate(text, "projection", None, key)
    kind, name, key = m.groups()
    rows = proj.get(kind, [])
    ident = {"asset": "company", "jump": "name"}.get(kind)
    index = None
    for i, row in enumerate(rows):
        found = str(row.get(ident, "")) if ident else f"{row.get('a')},{row.get('b')}"
        if found == name:
            index = i
    return locate(text, f"projection.{kind}", index, key or None)


def _resolve(r: _Reader, book: Book | None, name: str, table: str, i: int, key: str) -> str:
    """A company id from an id or a ticker, checked against the book when there is one."""
    if book is None or name in book.companies:
        return name
    for cid, company in book.companies.items():
        if company.ticker and company.ticker.upper() == name.upper():
            return cid
    known = ", ".join(sorted(book.companies))
    raise r.error(UnknownIdError, f"unknown company '{name}' (known: {known})", table, i, key)


def _assets(
    r: _Reader,
    proj: Mapping[str, Any],
    book: Book | None,
    start_values: Mapping[str, float] | None,
    steps_per_year: int,
    private_marks: float,
) -> list[AssetSpec]:
    table = "projection.asset"
    rows = r.tables(proj, table)
    if not rows:
        raise r.error(
            FormatError, "a projection needs [[projection.asset]] tables", table, None, None
        )
    histories: dict[int, pd.Series] = {}
    assets: list[dict[str, Any]] = []
    for i, row in enumerate(rows):

        def get(key: str, kind: type | tuple[type, ...], default: Any = None, **kw: Any) -> Any:
            return r.get(row, table, i, key, kind, default, **kw)  # noqa: B023

        cid = _resolve(r, book, get("company", str, required=True), table, i, "company")
        model = get("model", str, "gbm")
        company = book.companies[cid] if book is not None else None
        mark = get("mark_every_years", float)
        if mark is None and company is not None and not company.public:
            mark = private_marks
        start = get("start_value", float)
        if start is None:
            start = 1.0 if start_values is None else float(start_values.get(cid, 0.0))
        args: dict[str, Any] = {
            "company": cid,
            "model": model,
            "expected_return": get("expected_return", float),
            "volatility": get("volatility", float, 0.0),
            "df": get("df", float),
            "block_years": get("block_years", float, 0.5),
            "driver": get("driver", str),
            "driver_scale": get("value_today", float, required=model == "driver"),
            "mark_every_years": mark,
            "start_value": start,
            "people": tuple(company.key_people) if company is not None else (),
        }
        if args["driver_scale"] is None:
            args["driver_scale"] = 1.0
        if model == "bootstrap":
            file = get("prices", str, required=True)
            histories[i] = _history(r, file, steps_per_year, i)
        elif "prices" in row:
            raise r.error(FormatError, "prices is only for model 'bootstrap'", table, i, "prices")
        assets.append(args)
    if histories:
        joint = pd.concat(histories, axis=1, join="inner").dropna()
        if len(joint) < 2:
            first = min(histories)
            raise r.error(
                FormatError,
                "the bootstrap price files share fewer than 3 dates at this step frequency",
                table,
                first,
                "prices",
            )
        for i in histories:
            assets[i]["history"] = tuple(float(v) for v in joint[i].to_numpy())
    out = []
    for i, args in enumerate(assets):
        try:
            out.append(AssetSpec(**args))
        except InputError as exc:
            key = (exc.field or "").rsplit(".", 1)[-1]
            if key not in rows[i]:
                key = "model" if "model" in rows[i] else "company"
            raise r.error(type(exc), exc.message, table, i, key) from None
    return out


def _history(r: _Reader, file: str, steps_per_year: int, i: int) -> pd.Series:
    """Log returns of a price file at the projection's step frequency."""
    if steps_per_year not in BOOTSTRAP_FREQUENCIES:
        allowed = ", ".join(str(k) for k in BOOTSTRAP_FREQUENCIES)
        raise r.error(
            FormatError,
            f"bootstrap needs steps_per_year in {allowed}, got {steps_per_year}",
            "projection.asset",
            i,
            "prices",
        )
    target = Path(file) if Path(file).is_absolute() else r.path.parent / file
    try:
        prices = read_price_csv(target)
    except InputError as exc:
        if exc.file is None:
            raise exc.at(file=target) from None
        raise
    rule = BOOTSTRAP_FREQUENCIES[steps_per_year]
    if rule is not None:
        prices = prices.resample(rule).last().dropna()
    values = prices.to_numpy(dtype=np.float64)
    returns = np.diff(np.log(values))
    return pd.Series(returns, index=prices.index[1:])


def _correlations(
    r: _Reader, proj: Mapping[str, Any], book: Book | None, ids: list[str]
) -> list[CorrelationSpec]:
    table = "projection.correlation"
    out = []
    for i, row in enumerate(r.tables(proj, table)):
        pair = []
        for key in ("a", "b"):
            cid = _resolve(r, book, r.get(row, table, i, key, str, required=True), table, i, key)
            if cid not in ids:
                raise r.error(
                    UnknownIdError, f"company '{cid}' is not a projected asset", table, i, key
                )
            pair.append(cid)
        try:
            out.append(
                CorrelationSpec(pair[0], pair[1], r.get(row, table, i, "rho", float, required=True))
            )
        except InputError as exc:
            raise r.error(type(exc), exc.message, table, i, "rho") from None
    return out


def _jumps(
    r: _Reader, proj: Mapping[str, Any], book: Book | None, ids: list[str]
) -> list[JumpSpec]:
    table = "projection.jump"
    out = []
    for i, row in enumerate(r.tables(proj, table)):
        people = r.strings(row, table, i, "people")
        if book is not None:
            for pid in people:
                if pid not in book.persons:
                    known = ", ".join(sorted(book.persons))
                    raise r.error(
                        UnknownIdError,
                        f"unknown person '{pid}' (known: {known})",
                        table,
                        i,
                        "people",
                    )
        companies = []
        for name in r.strings(row, table, i, "companies"):
            cid = _resolve(r, book, name, table, i, "companies")
            if cid not in ids:
                raise r.error(
                    UnknownIdError,
                    f"company '{cid}' is not a projected asset",
                    table,
                    i,
                    "companies",
                )
            companies.append(cid)
        name = r.get(row, table, i, "name", str, f"jump {i + 1}")
        probability = r.get(row, table, i, "annual_probability", float, required=True)
        loss = r.get(row, table, i, "loss", float, required=True)
        try:
            out.append(JumpSpec(name, probability, loss, tuple(companies), tuple(people)))
        except InputError as exc:
            key = (exc.field or "").rsplit(".", 1)[-1]
            raise r.error(type(exc), exc.message, table, i, key if key in row else None) from None
    return out


def _drivers(r: _Reader, doc: Mapping[str, Any]) -> DriverModel | None:
    rows = r.tables(doc, "driver")
    if not rows:
        return None
    specs = []
    names: dict[str, int] = {}
    for i, row in enumerate(rows):

        def num(key: str) -> float | None:
            return r.get(row, "driver", i, key, float)  # type: ignore[no-any-return]  # noqa: B023

        name = r.get(row, "driver", i, "name", str, required=True)
        names[name] = i
        try:
            specs.append(
                DriverSpec(
                    name=name,
                    distribution=r.get(row, "driver", i, "distribution", str, required=True),
                    value=num("value"),
                    mean=num("mean"),
                    sd=num("sd"),
                    low=num("low"),
                    high=num("high"),
                    mode=num("mode"),
                    formula=r.get(row, "driver", i, "formula", str),
                    note=r.get(row, "driver", i, "note", str, ""),
                )
            )
        except InputError as exc:
            key = (exc.field or "").rsplit(".", 1)[-1]
            raise r.error(
                type(exc), exc.message, "driver", i, key if key in row else "name"
            ) from None
    corr = []
    for i, row in enumerate(r.tables(doc, "driver_correlation")):
        try:
            corr.append(
                DriverCorrelation(
                    r.get(row, "driver_correlation", i, "a", str, required=True),
                    r.get(row, "driver_correlation", i, "b", str, required=True),
                    r.get(row, "driver_correlation", i, "rho", float, required=True),
                )
            )
        except InputError as exc:
            raise r.error(type(exc), exc.message, "driver_correlation", i, "rho") from None
    try:
        return DriverModel(tuple(specs), tuple(corr))
    except InputError as exc:
        field = exc.field or ""
        m = re.match(r"driver\[(\w+)\]\.?(\w*)", field)
        if m and m.group(1) in names:
            raise r.error(
                type(exc), exc.message, "driver", names[m.group(1)], m.group(2) or "name"
            ) from None
        m = re.match(r"driver_correlation\[(\w+),(\w+)\]", field)
        if m:
            idx = next(
                (j for j, c in enumerate(corr) if {c.a, c.b} == {m.group(1), m.group(2)}),
                None,
            )
            raise r.error(
                type(exc), exc.message, "driver_correlation", idx, "a" if idx is not None else None
            ) from None
        first = 0 if field == "driver_correlation" and corr else None
        table = "driver_correlation" if first is not None else "driver"
        raise r.error(type(exc), exc.message, table, first, None) from None
