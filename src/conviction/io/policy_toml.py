"""Read a policy TOML file into a validated :class:`~conviction.policies.Policy`.

    [policy]
    name = "baron"
    start = 2014-06-02          # optional: the first and last date a backtest runs
    end = 2025-11-14
    margin = 0.0                # optional: cash may go to -margin x account value

    [costs]                     # optional, in basis points of traded value
    commission_bps = 1.0
    slippage_bps = 5.0
    sizing = "conviction"       # or "bt", "vectorbt": how amounts become shares

    [[rules]]
    rule = "trim_to_cap"        # hold, add_on_drawdown, trim_to_cap, last_seller,
    cap = 0.30                  # rebalance, contribute, withdraw
    every = "quarter"

Every error names the file, the line and the key (``rules[1].cap``); nothing is returned
on error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from conviction.errors import FormatError, SpecError
from conviction.io.limits import MAX_MAGNITUDE, date_error
from conviction.io.text_files import read_text_file
from conviction.io.toml_lines import locate
from conviction.policies.spec import RULE_TYPES, SIZINGS, Costs, Policy, Rule

__all__ = ["read_policy", "read_policy_text"]

_TOP = ("policy", "costs", "rules")
_POLICY_KEYS = ("name", "description", "start", "end", "margin")
_TUPLES = ("kinds", "accounts", "companies")
_DATES = ("start", "end")


def read_policy(path: str | Path) -> Policy:
    """The policy in ``path``; its name defaults to the file's stem."""
    path = Path(path)
    text = read_text_file(path)
    return read_policy_text(text, file=path, default_name=path.stem)


def read_policy_text(
    text: str, *, file: str | Path | None = None, default_name: str = "policy"
) -> Policy:
    """The policy in a TOML string (``file`` is only used in error messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise FormatError(f"not valid TOML ({exc})", file=file, line=line) from None
    reader = _Reader(text, file)
    return reader.policy(data, default_name)


class _Reader:
    def __init__(self, text: str, file: str | Path | None) -> None:
        self.text = text
        self.file = str(file) if file is not None else None

    def fail(
        self, message: str, table: str, key: str | None, index: int | None = None
    ) -> FormatError:
        line = locate(self.text, table, index, key.split(".")[0] if key else None)
        name = table if index is None else f"{table}[{index}]"
        field = f"{name}.{key}" if key else name
        return FormatError(message, file=self.file, line=line, field=field)

    def spec_error(self, exc: SpecError, table: str, index: int | None = None) -> SpecError:
        key = exc.field
        line = locate(self.text, table, index, key.split(".")[0] if key else None)
        name = table if index is None else f"{table}[{index}]"
        return SpecError(
            exc.message, file=self.file, line=line, field=f"{name}.{key}" if key else name
        )

    def policy(self, data: dict[str, Any], default_name: str) -> Policy:
        for key in data:
            if key not in _TOP:
                raise FormatError(
                    f"unknown table {key!r} (expected {', '.join(_TOP)})",
                    file=self.file,
                    line=locate(self.text, key),
                    field=key,
                )
        head = self.table(data, "policy")
        for key in head:
            if key not in _POLICY_KEYS:
                raise self.fail(
                    f"unknown key {key!r} (expected one of {', '.join(_POLICY_KEYS)})",
                    "policy",
                    key,
                )
        name = head.get("name", default_name)
        if not isinstance(name, str) or not name:
            raise self.fail("expected a non-empty string", "policy", "name")
        description = head.get("description", "")
        if not isinstance(description, str):
            raise self.fail("expected a string", "policy", "description")
        start = self.date(head.get("start"), "policy", "start")
        end = self.date(head.get("end"), "policy", "end")
        margin = self.number(head.get("margin", 0.0), "policy", "margin")
        costs = self.costs(self.table(data, "costs"))
        raw_rules = data.get("rules")
        if raw_rules is None:
            raise FormatError(
                'a policy needs at least one [[rules]] table (use rule = "hold")',
                file=self.file,
                field="rules",
            )
        if not isinstance(raw_rules, list):
            raise self.fail("expected [[rules]] tables", "rules", None)
        rules = tuple(self.rule(i, raw) for i, raw in enumerate(raw_rules))
        try:
            return Policy(
                name=name,
                rules=rules,
                costs=costs,
                margin=margin,
                start=start,
                end=end,
                description=description,
                source=self.file,
            )
        except SpecError as exc:
            found = re.fullmatch(r"rules\[(\d+)\]\.(\w+)", exc.field or "")
            if found:  # a rule that is fine alone but not in this policy
                line = locate(self.text, "rules", int(found.group(1)), found.group(2))
                raise SpecError(exc.message, file=self.file, line=line, field=exc.field) from None
            if exc.field == "rules":
                line = locate(self.text, "rules")
                raise SpecError(exc.message, file=self.file, line=line, field="rules") from None
            raise self.spec_error(exc, "policy") from None

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise FormatError(f"expected a [{name}] table", file=self.file, field=name)
        return value

    def costs(self, raw: dict[str, Any]) -> Costs:
        names = [f.name for f in dataclasses.fields(Costs)]
        for key in raw:
            if key not in names:
                raise self.fail(
                    f"unknown key {key!r} (expected one of {', '.join(names)})", "costs", key
                )
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "sizing":
                if not isinstance(value, str):
                    raise self.fail(
                        f"expected one of {', '.join(SIZINGS)} in quotes, got {value!r}",
                        "costs",
                        key,
                    )
                values[key] = value
            else:
                values[key] = self.number(value, "costs", key)
        try:
            return Costs(**values)
        except SpecError as exc:
            raise self.spec_error(exc, "costs") from None

    def rule(self, index: int, raw: Any) -> Rule:
        if not isinstance(raw, dict):
            raise self.fail("expected a table", "rules", None, index)
        kind = raw.get("rule")
        if kind is None:
            raise self.fail(
                f"missing key 'rule' (one of {', '.join(RULE_TYPES)})", "rules", "rule", index
            )
        cls = RULE_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise self.fail(
                f"unknown rule {kind!r} (expected one of {', '.join(RULE_TYPES)})",
                "rules",
                "rule",
                index,
            )
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "rule":
                continue
            if key not in fields:
                allowed = ", ".join(["rule", *fields])
                raise self.fail(
                    f"unknown key {key!r} for rule {kind!r} (expected one of {allowed})",
                    "rules",
                    key,
                    index,
                )
            values[key] = self.value(cls, key, value, index)
        missing = [
            name
            for name, f in fields.items()
            if f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
            and name not in values
        ]
        if missing:
            raise self.fail(f"missing key {missing[0]!r}", "rules", missing[0], index)
        try:
            return cls(**values)
        except SpecError as exc:
            raise self.spec_error(exc, "rules", index) from None

    def value(self, cls: type[Rule], key: str, value: Any, index: int) -> Any:
        where = ("rules", key, index)
        if key in _TUPLES:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail("expected a list of strings", *where)
            return tuple(value)
        if key in _DATES:
            return self.date(value, "rules", key, index)
        if key == "targets":
            if isinstance(value, str):
                return value
            if not isinstance(value, dict):
                raise self.fail("expected a table of weights, 'equal' or 'initial'", *where)
            return tuple(
                (str(k), self.number(v, "rules", f"targets.{k}", index)) for k, v in value.items()
            )
        if key == "reinvest":
            if not isinstance(value, bool):
                raise self.fail("expected true or false", *where)
            return value
        if key == "cooldown":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail("expected a whole number of days", *where)
            return value
        if key == "every":
            if not isinstance(value, str):
                raise self.fail("expected a period: day, week, month, quarter or year", *where)
            return value
        return self.number(value, "rules", key, index)

    def number(self, value: Any, table: str, key: str, index: int | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"expected a number, got {value!r}", table, key, index)
        if not math.isfinite(value) or abs(value) >= MAX_MAGNITUDE:
            raise self.fail(
                f"expected a finite number below {MAX_MAGNITUDE:g} in magnitude, got {value!r}",
                table,
                key,
                index,
            )
        return float(value)

    def date(self, value: Any, table: str, key: str, index: int | None = None) -> dt.date | None:
        if value is None:
            return None
        # a TOML date, as in every other file: a date in quotes is text (docs/formats.md)
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            hint = (
                " (a date in quotes is text: write it without quotes)"
                if isinstance(value, str)
                else ""
            )
            raise self.fail(f"expected a date YYYY-MM-DD, got {value!r}{hint}", table, key, index)
        date = value
        if (why := date_error(date)) is not None:
            raise self.fail(why, table, key, index)
        return date
