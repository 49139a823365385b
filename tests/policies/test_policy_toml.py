"""The policy TOML reader: the example files, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from conviction.errors import FormatError, InputError, SpecError, UnknownIdError
from conviction.io.policy_toml import read_policy, read_policy_text
from conviction.policies import (
    AddOnDrawdown,
    Costs,
    Hold,
    LastSeller,
    Policy,
    Rebalance,
    Setup,
    TrimToCap,
)
from conviction.policies.engine import PolicyEngine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "baron" / "policies"


def test_example_policies_read() -> None:
    hold = read_policy(EXAMPLES / "hold.toml")
    assert hold.rules == (Hold(),)
    baron = read_policy(EXAMPLES / "baron.toml")
    assert baron.name == "baron"
    assert baron.costs == Costs(commission_bps=1.0, slippage_bps=5.0)
    assert baron.rules[0] == LastSeller(kinds=("personal",))
    assert baron.rules[1] == TrimToCap(
        kinds=("client", "fund"), cap=0.41, band=0.04, every="quarter", reinvest=True
    )
    assert baron.rules[2] == AddOnDrawdown(drawdown=0.3, fraction=0.25, cooldown=90)
    index = read_policy(EXAMPLES / "index.toml")
    assert index.rules == (Rebalance(targets="equal", every="quarter"),)
    episode = read_policy(EXAMPLES / "trim_episode.toml")
    assert episode.start == dt.date(2020, 12, 31)
    assert all(isinstance(r, LastSeller | TrimToCap) for r in episode.rules)


def test_full_format() -> None:
    text = """
[policy]
name = "mix"
start = 2015-01-02
end = 2020-12-31
margin = 0.25

[[rules]]
rule = "rebalance"
every = "month"
band = 0.05
targets = { tesla = 0.6, spacex = 0.4 }
accounts = ["ron"]
start = 2016-01-01

[[rules]]
rule = "contribute"
amount = 1000
every = "month"

[[rules]]
rule = "withdraw"
fraction = 0.04
kinds = ["personal"]
"""
    policy = read_policy_text(text, file="mix.toml")
    assert policy.margin == 0.25
    assert policy.end == dt.date(2020, 12, 31)
    rebalance = policy.rules[0]
    assert isinstance(rebalance, Rebalance)
    assert rebalance.targets == (("tesla", 0.6), ("spacex", 0.4))
    assert rebalance.accounts == ("ron",)
    assert rebalance.start == dt.date(2016, 1, 1)


def bad(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        read_policy_text(text, file="p.toml")
    return info.value


@pytest.mark.parametrize(
    ("text", "kind", "field", "line", "words"),
    [
        ('[[rules]]\nrule = "buy_the_dip"\n', FormatError, "rules[0].rule", 2, "unknown rule"),
        (
            '[[rules]]\nrule = "hold"\n\n[[rules]]\nrule = "trim_to_cap"\ncap = 0.3\n'
            "every_day = 1\n",
            FormatError,
            "rules[1].every_day",
            7,
            "unknown key",
        ),
        ('[[rules]]\nrule = "trim_to_cap"\ncap = 0\n', SpecError, "rules[0].cap", 3, "(0, 1]"),
        ('[[rules]]\nrule = "trim_to_cap"\ncap = 1.5\n', SpecError, "rules[0].cap", 3, "(0, 1]"),
        ('[[rules]]\nrule = "trim_to_cap"\n', FormatError, "rules[0].cap", 1, "missing key"),
        (
            '[[rules]]\nrule = "trim_to_cap"\ncap = 0.3\nkinds = ["hedge"]\n',
            SpecError,
            "rules[0].kinds",
            4,
            "unknown account kind 'hedge'",
        ),
        (
            '[policy]\nstart = 2021-01-01\nend = 2020-01-01\n[[rules]]\nrule = "hold"\n',
            SpecError,
            "policy.start",
            2,
            "after end",
        ),
        (
            '[[rules]]\nrule = "hold"\nstart = 2021-01-01\nend = 2020-01-01\n',
            SpecError,
            "rules[0].start",
            3,
            "after end",
        ),
        (
            '[policy]\nstart = "last year"\n[[rules]]\nrule = "hold"\n',
            FormatError,
            "policy.start",
            2,
            "YYYY-MM-DD",
        ),
        (
            '[policy]\nowner = "me"\n[[rules]]\nrule = "hold"\n',
            FormatError,
            "policy.owner",
            2,
            "unknown key",
        ),
        (
            '[costs]\ncommission_bps = "ten"\n[[rules]]\nrule = "hold"\n',
            FormatError,
            "costs.commission_bps",
            2,
            "expected a number",
        ),
        (
            '[costs]\nslippage_bps = -1\n[[rules]]\nrule = "hold"\n',
            SpecError,
            "costs.slippage_bps",
            2,
            "bps",
        ),
        (
            '[[rules]]\nrule = "add_on_drawdown"\ndrawdown = 0.3\nfraction = 0.2\ncooldown = 1.5\n',
            FormatError,
            "rules[0].cooldown",
            5,
            "whole number",
        ),
        (
            '[[rules]]\nrule = "trim_to_cap"\ncap = 0.3\nevery = "fortnight"\n',
            SpecError,
            "rules[0].every",
            4,
            "unknown period",
        ),
        (
            '[[rules]]\nrule = "rebalance"\ntargets = { a = 0.7, b = 0.7 }\n',
            SpecError,
            "rules[0].targets",
            3,
            "more than 1",
        ),
        ('[policy]\nname = "x"\n', FormatError, "rules", None, "at least one"),
        (
            '[[rules]]\nrule = "last_seller"\n[[rules]]\nrule = "last_seller"\n',
            SpecError,
            "rules",
            1,
            "at most one",
        ),
        ("[[rules]\nrule = 1\n", FormatError, None, 1, "not valid TOML"),
        ('[extra]\n[[rules]]\nrule = "hold"\n', FormatError, "extra", 1, "unknown table"),
    ],
)
def test_bad_input_names_file_line_and_key(
    text: str, kind: type[InputError], field: str | None, line: int | None, words: str
) -> None:
    error = bad(text)
    assert type(error) is kind
    assert error.file == "p.toml"
    assert error.field == field
    assert error.line == line
    assert words in error.message


def test_missing_file() -> None:
    with pytest.raises(FormatError, match="file not found"):
        read_policy(Path("no/such/policy.toml"))


def test_binding_to_a_book_checks_ids() -> None:
    dates = np.arange("2024-01-01", "2024-01-03", dtype="datetime64[D]")
    setup = Setup(("tesla",), ("ron",), ("personal",), dates)
    policy = Policy("p", (TrimToCap(cap=0.5, accounts=("partners",)),), source="p.toml")
    with pytest.raises(UnknownIdError) as info:
        PolicyEngine(policy, setup)
    assert info.value.field == "rules[0].accounts" and info.value.file == "p.toml"
    policy = Policy("p", (Rebalance(targets=(("spacex", 0.5),)),), source="p.toml")
    with pytest.raises(UnknownIdError, match="unknown company 'spacex'"):
        PolicyEngine(policy, setup)


def test_a_date_in_quotes_is_text_and_refused() -> None:
    """As in the book, theses and projection files: TOML has dates, and a quoted one is text."""
    text = '[policy]\nend = "2020-12-31"\n[[rules]]\nrule = "hold"\n'
    with pytest.raises(FormatError, match="a date in quotes is text") as info:
        read_policy_text(text, file="quoted.toml")
    assert (info.value.line, info.value.field) == (2, "policy.end")
