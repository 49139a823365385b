"""A policy: the investor's rules, written down as frozen, validated values.

A :class:`Policy` is a tuple of rules applied in order at each step, plus trading costs.
Every rule that trades names the account kinds (and optionally account ids and companies)
it acts on, and may be limited to a window of dates. The rules:

- :class:`Hold` — never trade.
- :class:`AddOnDrawdown` — buy a company whose price is ``drawdown`` below its running peak
  ("buy when it is criticised"), with ``fraction`` of the account's cash.
- :class:`TrimToCap` — sell a company whose weight in an account exceeds ``cap`` (+ ``band``)
  down to ``cap``.
- :class:`LastSeller` — insider accounts (kind personal) may sell a company only when every
  other account holds none of it; the engine enforces it for every rule.
- :class:`Rebalance` — back to target weights every period or outside a band.
- :class:`Contribute` / :class:`Withdraw` — scheduled cash flows.

Specs validate themselves on construction and raise :class:`~conviction.errors.SpecError`
naming the field; the TOML reader adds the file, line and rule index.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeAlias

from conviction._typing import ACCOUNT_KINDS, AccountKind
from conviction.errors import SpecError

__all__ = [
    "PERIODS",
    "RULE_TYPES",
    "SIZINGS",
    "AddOnDrawdown",
    "Contribute",
    "Costs",
    "Hold",
    "LastSeller",
    "Period",
    "Policy",
    "Rebalance",
    "Rule",
    "Sizing",
    "TrimToCap",
    "Withdraw",
]

Period = Literal["day", "week", "month", "quarter", "year"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "quarter", "year")

Sizing = Literal["conviction", "bt", "vectorbt"]
SIZINGS: tuple[Sizing, ...] = ("conviction", "bt", "vectorbt")

TargetSpec: TypeAlias = "tuple[tuple[str, float], ...] | Literal['equal', 'initial']"


def _check_kinds(kinds: tuple[str, ...], name: str = "kinds") -> None:
    if not kinds:
        raise SpecError("needs at least one account kind", field=name)
    for kind in kinds:
        if kind not in ACCOUNT_KINDS:
            raise SpecError(
                f"unknown account kind {kind!r} (expected one of {', '.join(ACCOUNT_KINDS)})",
                field=name,
            )


def _check_fraction(value: float, name: str, *, low_open: bool, high: float = 1.0) -> None:
    ok = math.isfinite(value) and (value > 0 if low_open else value >= 0) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise SpecError(f"must be in {bracket}0, {high:g}], got {value!r}", field=name)


def _check_period(value: str | None, name: str = "every") -> None:
    if value is not None and value not in PERIODS:
        raise SpecError(
            f"unknown period {value!r} (expected one of {', '.join(PERIODS)})", field=name
        )


@dataclass(frozen=True, kw_only=True)
class Rule:
    """What every rule shares: which accounts and companies it acts on, and when.

    ``kinds``: account kinds in scope; ``accounts``: account ids (empty: every account of
    those kinds); ``companies``: company ids (empty: all); ``start``/``end``: the dates
    (inclusive) between which the rule acts (None: unbounded). The first step inside the
    window counts as the start of the rule's first period.
    """

    type: ClassVar[str] = "rule"
    kinds: tuple[AccountKind, ...] = ACCOUNT_KINDS
    accounts: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        _check_kinds(self.kinds)
        if self.start is not None and self.end is not None and self.start > self.end:
            raise SpecError(f"start {self.start} is after end {self.end}", field="start")


@dataclass(frozen=True, kw_only=True)
class Hold(Rule):
    """Never trade: the book stays as it is."""

    type: ClassVar[str] = "hold"


@dataclass(frozen=True, kw_only=True)
class AddOnDrawdown(Rule):
    """Buy a held company whose price is ``drawdown`` below its running peak.

    Each trigger spends ``fraction`` of the account's cash, split equally over the
    companies that trigger on the same step, at most once per ``cooldown`` days per
    (account, company). Only companies the account holds are bought, unless ``companies``
    names them. Contributions land in cash first, so with a :class:`Contribute` rule
    before this one it buys with (part of) each contribution.
    """

    type: ClassVar[str] = "add_on_drawdown"
    drawdown: float
    fraction: float
    cooldown: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_fraction(self.drawdown, "drawdown", low_open=True, high=1.0)
        if self.drawdown >= 1.0:
            raise SpecError("must be below 1 (a 100% drawdown is a price of 0)", field="drawdown")
        _check_fraction(self.fraction, "fraction", low_open=True)
        if self.cooldown < 0:
            raise SpecError(f"must be >= 0 days, got {self.cooldown}", field="cooldown")


@dataclass(frozen=True, kw_only=True)
class TrimToCap(Rule):
    """Sell a company whose weight in an account is above ``cap + band`` down to ``cap``.

    Acts at most once per ``every`` period (on its first step). The weight is of the
    account's whole value, cash included. Proceeds stay in cash, or with ``reinvest`` go
    into the account's other holdings in proportion to their value.
    """

    type: ClassVar[str] = "trim_to_cap"
    kinds: tuple[AccountKind, ...] = ("client", "fund")
    cap: float
    band: float = 0.0
    every: Period = "day"
    reinvest: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_fraction(self.cap, "cap", low_open=True)
        _check_fraction(self.band, "band", low_open=False)
        _check_period(self.every)


@dataclass(frozen=True, kw_only=True)
class LastSeller(Rule):
    """Accounts of ``kinds`` (insiders) sell a company only once no other account holds it.

    Ron Baron's rule: "until clients have exited 100%, I will not sell a share". The engine
    applies it to the trades of every rule in the policy.
    """

    type: ClassVar[str] = "last_seller"
    kinds: tuple[AccountKind, ...] = ("personal",)

    def __post_init__(self) -> None:
        super().__post_init__()
        if set(self.kinds) == set(ACCOUNT_KINDS):
            raise SpecError("insiders cannot be every kind of account", field="kinds")


@dataclass(frozen=True, kw_only=True)
class Rebalance(Rule):
    """Trade each account back to target weights (the rest stays in cash).

    ``targets``: ``((company, weight), ...)`` summing to at most 1 + the policy's margin
    (companies not named go to 0), ``"equal"`` (equal weights over the companies held at
    the start) or ``"initial"`` (each account's weights at the start). Rebalances on the
    first step of each ``every`` period, or, with ``band``, only when some weight is more
    than ``band`` from its target (checked at each ``every`` period, or at every step when
    ``every`` is None).
    """

    type: ClassVar[str] = "rebalance"
    targets: TargetSpec = "initial"
    every: Period | None = "quarter"
    band: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_period(self.every)
        if self.every is None and self.band is None:
            raise SpecError("needs 'every', 'band' or both", field="every")
        if self.band is not None:
            _check_fraction(self.band, "band", low_open=True)
        if isinstance(self.targets, str):
            if self.targets not in ("equal", "initial"):
                raise SpecError(
                    f"expected a table of weights, 'equal' or 'initial', got {self.targets!r}",
                    field="targets",
                )
            return
        for company, weight in self.targets:
            if not (math.isfinite(weight) and weight >= 0.0):
                raise SpecError(f"weight must be >= 0, got {weight!r}", field=f"targets.{company}")

    @property
    def total(self) -> float:
        """The sum of the fixed target weights (0 for 'equal' and 'initial')."""
        return 0.0 if isinstance(self.targets, str) else sum(w for _, w in self.targets)


@dataclass(frozen=True, kw_only=True)
class Contribute(Rule):
    """Add ``amount`` of cash to each account in scope on the first step of each period."""

    type: ClassVar[str] = "contribute"
    amount: float
    every: Period = "month"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.amount) and self.amount > 0):
            raise SpecError(f"must be a positive amount, got {self.amount!r}", field="amount")
        _check_period(self.every)


@dataclass(frozen=True, kw_only=True)
class Withdraw(Rule):
    """Take ``amount`` plus ``fraction`` of the account's value out on each period's first step.

    Cash goes first; when it is short, holdings are sold pro rata (subject to the
    last-seller rule and liquidity). What cannot be raised is not withdrawn.
    """

    type: ClassVar[str] = "withdraw"
    amount: float = 0.0
    fraction: float = 0.0
    every: Period = "year"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (math.isfinite(self.amount) and self.amount >= 0):
            raise SpecError(f"must be an amount >= 0, got {self.amount!r}", field="amount")
        _check_fraction(self.fraction, "fraction", low_open=False)
        if self.amount == 0 and self.fraction == 0:
            raise SpecError("needs an 'amount' or a 'fraction'", field="amount")
        _check_period(self.every)


RULE_TYPES: dict[str, type[Rule]] = {
    cls.type: cls
    for cls in (Hold, AddOnDrawdown, TrimToCap, LastSeller, Rebalance, Contribute, Withdraw)
}


@dataclass(frozen=True, slots=True)
class Costs:
    """Trading costs in basis points of the traded value, paid in cash on every trade.

    ``sizing``: how a rule's amount of money becomes a number of shares once costs are
    charged (docs/policies.md, "Costs and sizing"):

    - ``"conviction"`` (the default): rebalances trade the gap to target and pay the costs
      from cash, buys scaled down together when cash is short; a trim lands exactly on its
      cap after its own costs; a buy of a budget spends the budget, costs included.
    - ``"bt"``: as bt 1.4 sizes ``allocate``: a buy of amount A spends A, costs included
      (q = A / (p (1 + r))); a sale raises A after costs (q = A / (p (1 - r))).
    - ``"vectorbt"``: as vectorbt 1.2 with ``fees``: q = A / p, costs paid on top; sales
      first, then buys from the smallest to the largest, each cut to the cash left.
    """

    commission_bps: float = 0.0
    slippage_bps: float = 0.0
    sizing: Sizing = "conviction"

    def __post_init__(self) -> None:
        for name in ("commission_bps", "slippage_bps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value < 10_000.0):
                raise SpecError(f"must be in [0, 10000) bps, got {value!r}", field=name)
        if self.sizing not in SIZINGS:
            raise SpecError(
                f"unknown sizing {self.sizing!r} (expected one of {', '.join(SIZINGS)})",
                field="sizing",
            )

    @property
    def rate(self) -> float:
        """The cost as a fraction of traded value."""
        return (self.commission_bps + self.slippage_bps) / 10_000.0


@dataclass(frozen=True)
class Policy:
    """A named, ordered list of rules with costs, an optional date window and a margin.

    ``margin``: how far cash may go below zero, as a fraction of the account's value
    (0: never). ``source``: the file the policy came from, for error messages.
    """

    name: str
    rules: tuple[Rule, ...]
    costs: Costs = field(default_factory=Costs)
    margin: float = 0.0
    start: dt.date | None = None
    end: dt.date | None = None
    description: str = ""
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.rules:
            raise SpecError("a policy needs at least one rule (use 'hold')", field="rules")
        if not (math.isfinite(self.margin) and self.margin >= 0):
            raise SpecError(f"must be >= 0, got {self.margin!r}", field="margin")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise SpecError(f"start {self.start} is after end {self.end}", field="start")
        for i, rule in enumerate(self.rules):
            if isinstance(rule, Rebalance) and rule.total > 1.0 + self.margin + 1e-9:
                raise SpecError(
                    f"target weights sum to {rule.total:g}, more than 1 + margin "
                    f"({1.0 + self.margin:g})",
                    field=f"rules[{i}].targets",
                )
        if sum(isinstance(r, LastSeller) for r in self.rules) > 1:
            raise SpecError("at most one last_seller rule", field="rules")

    @property
    def last_seller(self) -> LastSeller | None:
        """The last-seller rule, if the policy has one."""
        for rule in self.rules:
            if isinstance(rule, LastSeller):
                return rule
        return None
