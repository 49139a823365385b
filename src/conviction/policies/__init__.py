"""Policies: the investor's rules as code, and the one engine that runs them.

The same engine replays a policy on history (one path) and on simulated futures (many
paths, streamed in chunks); see :class:`PolicyEngine` and :mod:`conviction.policies.spec`.
"""

from conviction.policies.engine import PolicyEngine, Progress, Setup, run_policy
from conviction.policies.results import PolicyRun, TradeLog
from conviction.policies.spec import (
    PERIODS,
    RULE_TYPES,
    AddOnDrawdown,
    Contribute,
    Costs,
    Hold,
    LastSeller,
    Period,
    Policy,
    Rebalance,
    Rule,
    TrimToCap,
    Withdraw,
)

__all__ = [
    "PERIODS",
    "RULE_TYPES",
    "AddOnDrawdown",
    "Contribute",
    "Costs",
    "Hold",
    "LastSeller",
    "Period",
    "Policy",
    "PolicyEngine",
    "PolicyRun",
    "Progress",
    "Rebalance",
    "Rule",
    "Setup",
    "TradeLog",
    "TrimToCap",
    "Withdraw",
    "run_policy",
]
