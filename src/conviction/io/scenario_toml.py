"""Read the ``[[scenario]]`` tables of a projection file (docs/projection.md)::

    [[scenario]]
    name = "key-person-gone-year-3"
    note = "Musk leaves in 2028"
    [[scenario.shock]]               # person, year, loss (default: the jump's loss)
    person = "musk"
    year = 3
    [[scenario.pin]]                 # driver, value | low high [mode]
    driver = "optimus_units"
    value = 1.0e6
    [[scenario.asset]]               # company, expected_return and/or volatility
    company = "tesla"
    volatility = 0.6
    [[scenario.markdown]]            # company, fraction in [0, 1)
    company = "xai"
    fraction = 0.5

Each scenario is checked against the spec read from the same file: a change naming an
unknown company, driver or person, or a value out of range, is an error naming the file,
the line and the field (``scenario[2].markdown[1].fraction``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conviction.book.model import Book
from conviction.errors import FormatError, InputError, UnknownIdError
from conviction.io.projection_toml import _Reader, _resolve
from conviction.io.text_files import read_text_file
from conviction.io.toml_lines import locate
from conviction.projection.scenarios import (
    AssetChange,
    DriverPin,
    KeyPersonShock,
    Markdown,
    Scenario,
    apply_scenario,
)
from conviction.projection.spec import ProjectionSpec

__all__ = ["BASE", "read_scenarios", "select_scenarios"]

#: The name the base case goes by (no scenario may take it).
BASE = "base"
_PARTS = ("shock", "pin", "asset", "markdown")
_FIELD = re.compile(r"^(scenario\[\d+\](?:\.\w+\[\d+\])?)\.?(\w*)")


class _ScenarioReader(_Reader):
    """Errors at ``[[scenario.<part>]]`` number 'index' of the file (counted over every
    scenario, as the headers come) with the field ``scenario[i].<part>[j].key``."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__(path, text)
        self.fields: dict[tuple[str, int], str] = {}
        self.parent: dict[tuple[str, int], int] = {}

    def error(
        self, cls: type[InputError], msg: str, table: str, index: int | None, key: str | None
    ) -> InputError:
        if index is None:
            return super().error(cls, msg, table, index, key)
        field = self.fields.get((table, index), f"{table}[{index + 1}]")
        line = locate(self.text, table, index, key)
        if line is None and (table, index) in self.parent:  # an inline table: its scenario
            line = locate(self.text, "scenario", self.parent[(table, index)])
        return cls(msg, file=self.path, line=line, field=f"{field}.{key}" if key else field)


def read_scenarios(
    path: str | Path, spec: ProjectionSpec, *, book: Book | None = None
) -> tuple[Scenario, ...]:
    """The file's scenarios, each checked by applying it to ``spec`` (companies may be
    given by ticker when there is a ``book``; people are checked against it)."""
    path = Path(path)
    text = read_text_file(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # read_projection has reported it already
        raise FormatError(f"not valid TOML ({exc})", file=path) from None
    r = _ScenarioReader(path, text)
    rows = doc.get("scenario", [])
    if not isinstance(rows, list):
        raise r.error(FormatError, "write [[scenario]] tables", "scenario", None, None)
    counts = dict.fromkeys(_PARTS, 0)
    out: list[Scenario] = []
    names: dict[str, int] = {}
    for i, row in enumerate(rows):
        r.fields[("scenario", i)] = f"scenario[{i + 1}]"
        r.check_keys(row, "scenario", i)
        name = r.get(row, "scenario", i, "name", str, required=True)
        if name == BASE or name in names:
            why = "is the base case's" if name == BASE else f"is taken by scenario {names[name]}"
            raise r.error(FormatError, f"the name {name!r} {why}", "scenario", i, "name")
        names[name] = i + 1
        parts: dict[str, list[Any]] = {p: [] for p in _PARTS}
        for part in _PARTS:
            table = f"scenario.{part}"
            subs = row.get(part, [])
            if not isinstance(subs, list):
                raise r.error(FormatError, f"write [[{table}]] tables", "scenario", i, part)
            for j, sub in enumerate(subs):
                g = counts[part]
                counts[part] += 1
                r.fields[(table, g)] = f"scenario[{i + 1}].{part}[{j + 1}]"
                r.parent[(table, g)] = i
                r.check_keys(sub, table, g)
                parts[part].append(_change(r, book, part, sub, g))
        sc = Scenario(
            name=name,
            note=r.get(row, "scenario", i, "note", str, ""),
            shocks=tuple(parts["shock"]),
            pins=tuple(parts["pin"]),
            assets=tuple(parts["asset"]),
            markdowns=tuple(parts["markdown"]),
            field=f"scenario[{i + 1}]",
        )
        try:
            apply_scenario(spec, sc)
        except InputError as exc:
            raise _placed(r, exc, i) from None
        out.append(sc)
    return tuple(out)


def _change(
    r: _ScenarioReader, book: Book | None, part: str, sub: Mapping[str, Any], g: int
) -> Any:
    table = f"scenario.{part}"
    field = r.fields[(table, g)]

    def num(key: str, required: bool = False) -> Any:
        return r.get(sub, table, g, key, float, required=required)

    if part == "shock":
        person = r.get(sub, table, g, "person", str, required=True)
        if book is not None and person not in book.persons:
            known = ", ".join(sorted(book.persons))
            raise r.error(
                UnknownIdError, f"unknown person '{person}' (known: {known})", table, g, "person"
            )
        return KeyPersonShock(person, num("year", True), num("loss"), field=field)
    if part == "pin":
        driver = r.get(sub, table, g, "driver", str, required=True)
        return DriverPin(driver, num("value"), num("low"), num("high"), num("mode"), field=field)
    company = _resolve(
        r, book, r.get(sub, table, g, "company", str, required=True), table, g, "company"
    )
    if part == "asset":
        if "expected_return" not in sub and "volatility" not in sub:
            raise r.error(
                FormatError, "give expected_return and/or volatility", table, g, "company"
            )
        return AssetChange(company, num("expected_return"), num("volatility"), field=field)
    return Markdown(company, num("fraction", True), field=field)


def _placed(r: _ScenarioReader, exc: InputError, i: int) -> InputError:
    """An error of ``apply_scenario`` placed at its table's line in the file."""
    m = _FIELD.match(exc.field or "")
    if m is None:
        line = locate(r.text, "scenario", i)
        return type(exc)(
            exc.message, file=r.path, line=line, field=exc.field or f"scenario[{i + 1}]"
        )
    prefix, key = m.groups()
    for (table, index), field in r.fields.items():
        if field == prefix:
            return r.error(type(exc), exc.message, table, index, key or None)
    line = locate(r.text, "scenario", i)  # pragma: no cover - every prefix is registered
    return type(exc)(exc.message, file=r.path, line=line, field=exc.field)


def select_scenarios(
    scenarios: Sequence[Scenario], names: Sequence[str], path: str | Path
) -> tuple[Scenario, ...]:
    """The scenarios named on the command line (``--scenario NAME``), in that order; an
    unknown name is an error naming the file and the option."""
    by_name = {s.name: s for s in scenarios}
    out: list[Scenario] = []
    for name in names:
        if name not in by_name:
            known = ", ".join(by_name) or "none: add [[scenario]] tables"
            raise UnknownIdError(
                f"unknown scenario {name!r} (in the file: {known})", file=path, field="--scenario"
            )
        if by_name[name] not in out:
            out.append(by_name[name])
    return tuple(out)
