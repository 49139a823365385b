"""Policies: the investor's rules as code, and the one engine that runs them.

The same engine replays a policy on history (one path) and on simulated futures (many
paths, streamed in chunks); see :class:`PolicyEngine` and :mod:`conviction.policies.spec`.

    spec        the rules as frozen, validated dataclasses; Policy
    engine      PolicyEngine(policy, setup).run(prices, holdings, cash) -> PolicyRun
    trading     the one place trades happen: liquidity, no shorts, last seller, cash, costs
    rules       each rule bound to a run, vectorised over paths and accounts
    history     backtest on a book's own marks
    simulate    policies side by side on simulated paths, chunk by chunk
    summary     per-path summaries streamed over chunks

The names below are imported from their modules on first use (conviction._lazy).
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.policies.engine import PolicyEngine, Progress, Setup, run_policy
    from conviction.policies.history import Backtest, BacktestInputs, backtest, backtest_inputs
    from conviction.policies.results import PolicyRun, TradeLog
    from conviction.policies.simulate import SimulationInputs, compare_on_paths, simulation_inputs
    from conviction.policies.spec import (
        PERIODS,
        RULE_TYPES,
        SIZINGS,
        AddOnDrawdown,
        Contribute,
        Costs,
        Hold,
        LastSeller,
        Period,
        Policy,
        Rebalance,
        Rule,
        Sizing,
        TrimToCap,
        Withdraw,
    )
    from conviction.policies.summary import Outcome, SimulationSummary, SummaryAccumulator

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.policies.engine": (
            "PolicyEngine",
            "Progress",
            "Setup",
            "run_policy",
        ),
        "conviction.policies.history": (
            "Backtest",
            "BacktestInputs",
            "backtest",
            "backtest_inputs",
        ),
        "conviction.policies.results": (
            "PolicyRun",
            "TradeLog",
        ),
        "conviction.policies.simulate": (
            "SimulationInputs",
            "compare_on_paths",
            "simulation_inputs",
        ),
        "conviction.policies.spec": (
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
        ),
        "conviction.policies.summary": (
            "Outcome",
            "SimulationSummary",
            "SummaryAccumulator",
        ),
    },
)

__all__ = [
    "PERIODS",
    "RULE_TYPES",
    "SIZINGS",
    "AddOnDrawdown",
    "Backtest",
    "BacktestInputs",
    "Contribute",
    "Costs",
    "Hold",
    "LastSeller",
    "Outcome",
    "Period",
    "Policy",
    "PolicyEngine",
    "PolicyRun",
    "Progress",
    "Rebalance",
    "Rule",
    "Setup",
    "SimulationInputs",
    "SimulationSummary",
    "Sizing",
    "SummaryAccumulator",
    "TradeLog",
    "TrimToCap",
    "Withdraw",
    "backtest",
    "backtest_inputs",
    "compare_on_paths",
    "run_policy",
    "simulation_inputs",
]
