"""Array aliases and option types shared across conviction."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

Float64Array: TypeAlias = npt.NDArray[np.float64]
Float32Array: TypeAlias = npt.NDArray[np.float32]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
DateArray: TypeAlias = npt.NDArray[np.datetime64]
FloatArray: TypeAlias = npt.NDArray[np.floating]

SeedLike: TypeAlias = "int | np.random.Generator | np.random.SeedSequence | None"

AccountKind = Literal["client", "fund", "personal"]
Action = Literal[
    "buy",
    "sell",
    "deposit",
    "withdraw",
    "dividend",
    "split",
    "fee",
    "exchange",
    "spinoff",
    "rename",
    "listing",
]
MarkKind = Literal["close", "round", "tender", "model"]
MarkGrade = Literal["A", "B", "C"]
LotMethod = Literal["fifo", "lifo", "hifo", "average", "specific"]

ACCOUNT_KINDS: tuple[AccountKind, ...] = ("client", "fund", "personal")
ACTIONS: tuple[Action, ...] = (
    "buy",
    "sell",
    "deposit",
    "withdraw",
    "dividend",
    "split",
    "fee",
    "exchange",
    "spinoff",
    "rename",
    "listing",
)
MARK_KINDS: tuple[MarkKind, ...] = ("close", "round", "tender", "model")
MARK_GRADES: tuple[MarkGrade, ...] = ("A", "B", "C")
#: The grade a mark gets when its row names none: a close or a priced round is A, a tender
#: (a transaction between others) B, a model C.
DEFAULT_GRADE: dict[str, MarkGrade] = {"close": "A", "round": "A", "tender": "B", "model": "C"}
LOT_METHODS: tuple[LotMethod, ...] = ("fifo", "lifo", "hifo", "average", "specific")
