"""A small, safe expression language for driver formulas (never ``eval``).

    formula  := compare
    compare  := additive [("<" | "<=" | ">" | ">=" | "==" | "!=") additive]
    additive := term (("+" | "-") term)*
    term     := unary (("*" | "/") unary)*
    unary    := ("-" | "+") unary | power
    power    := atom [("^" | "**") unary]          right-associative; -2^2 = -(2^2)
    atom     := NUMBER | NAME | NAME "(" [formula ("," formula)*] ")" | "(" formula ")"

Numbers may use ``_`` separators and exponents (``20_000``, ``1e9``). Functions: ``min``,
``max`` (any number of arguments), ``exp``, ``log``, ``sqrt``, ``abs``, ``pow(a, b)``,
``clip(x, low, high)`` and ``where(condition, a, b)``. Comparisons give 1.0 or 0.0.

A formula is parsed once into a tree of frozen nodes and evaluated on NumPy arrays, one value
per path. Errors say what is wrong and point at the column (1-based).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from conviction._typing import Float64Array
from conviction.errors import SpecError

__all__ = ["FUNCTIONS", "Binary", "Call", "Expr", "Name", "Num", "Unary", "parse"]


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    col: int


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    col: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node
    col: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node
    col: int


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    col: int


Node = Num | Name | Unary | Binary | Call

_Fn = Callable[..., Float64Array]


def _fold(op: np.ufunc, args: tuple[Float64Array, ...]) -> Float64Array:
    out = args[0]
    for a in args[1:]:
        out = op(out, a)
    return out


#: name -> (min args, max args or -1 for any, implementation)
FUNCTIONS: dict[str, tuple[int, int, _Fn]] = {
    "min": (1, -1, lambda *a: _fold(np.minimum, a)),
    "max": (1, -1, lambda *a: _fold(np.maximum, a)),
    "exp": (1, 1, np.exp),
    "log": (1, 1, np.log),
    "sqrt": (1, 1, np.sqrt),
    "abs": (1, 1, np.abs),
    "pow": (2, 2, np.power),
    "clip": (3, 3, lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi)),
    "where": (3, 3, lambda c, a, b: np.asarray(np.where(c != 0, a, b), dtype=np.float64)),
}

_BINARY: dict[str, Callable[[Float64Array, Float64Array], Float64Array]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
    "<": lambda a, b: (a < b).astype(np.float64),
    "<=": lambda a, b: (a <= b).astype(np.float64),
    ">": lambda a, b: (a > b).astype(np.float64),
    ">=": lambda a, b: (a >= b).astype(np.float64),
    "==": lambda a, b: (a == b).astype(np.float64),
    "!=": lambda a, b: (a != b).astype(np.float64),
}

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|<=|>=|==|!=|[-+*/^(),<>])"
    r")"
)


def _error(message: str, text: str, col: int, field: str | None) -> SpecError:
    caret = " " * (col - 1) + "^"
    return SpecError(f"{message} at column {col}\n    {text}\n    {caret}", field=field)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "num", "name", "op", "end"
    text: str
    col: int


def _tokenize(text: str, field: str | None) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            col = pos + len(text[pos:]) - len(text[pos:].lstrip()) + 1
            raise _error(f"unexpected character {text[col - 1]!r}", text, col, field)
        kind = m.lastgroup
        if kind is None:  # pragma: no cover - the pattern always names a group
            raise _error("unreadable input", text, pos + 1, field)
        tokens.append(_Tok(kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    tokens.append(_Tok("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str, field: str | None) -> None:
        self.text = text
        self.field = field
        self.tokens = _tokenize(text, field)
        self.i = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Tok) -> SpecError:
        return _error(message, self.text, tok.col, self.field)

    def expect(self, op: str) -> _Tok:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            found = "the end of the formula" if tok.kind == "end" else repr(tok.text)
            raise self.fail(f"expected {op!r}, found {found}", tok)
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("empty formula", self.peek())
        node = self.compare()
        tok = self.peek()
        if tok.kind != "end":
            raise self.fail(f"unexpected {tok.text!r}", tok)
        return node

    def compare(self) -> Node:
        left = self.additive()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("<", "<=", ">", ">=", "==", "!="):
            self.take()
            return Binary(tok.text, left, self.additive(), tok.col)
        return left

    def additive(self) -> Node:
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            tok = self.take()
            node = Binary(tok.text, node, self.term(), tok.col)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/"):
            tok = self.take()
            node = Binary(tok.text, node, self.unary(), tok.col)
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("-", "+"):
            self.take()
            return Unary(tok.text, self.unary(), tok.col)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("^", "**"):
            self.take()
            return Binary("^", base, self.unary(), tok.col)
        return base

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            try:
                return Num(float(tok.text.replace("_", "")), tok.col)
            except ValueError:
                raise self.fail(f"bad number {tok.text!r}", tok) from None
        if tok.kind == "name":
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call(tok)
            if tok.text in FUNCTIONS:
                raise self.fail(f"{tok.text!r} is a function: write {tok.text}(...)", tok)
            return Name(tok.text, tok.col)
        if tok.kind == "op" and tok.text == "(":
            node = self.compare()
            self.expect(")")
            return node
        found = "the end of the formula" if tok.kind == "end" else repr(tok.text)
        raise self.fail(f"expected a number, a name or '(', found {found}", tok)

    def call(self, name: _Tok) -> Node:
        if name.text not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.fail(f"unknown function {name.text!r} (known: {known})", name)
        self.expect("(")
        args: list[Node] = []
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            args.append(self.compare())
            while self.peek().kind == "op" and self.peek().text == ",":
                self.take()
                args.append(self.compare())
        self.expect(")")
        low, high, _ = FUNCTIONS[name.text]
        if len(args) < low or (high >= 0 and len(args) > high):
            want = f"{low}" if low == high else (f"at least {low}" if high < 0 else f"{low}-{high}")
            raise self.fail(f"{name.text}() takes {want} arguments, got {len(args)}", name)
        return Call(name.text, tuple(args), name.col)


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed formula: its text and its tree."""

    text: str
    root: Node

    def names(self) -> dict[str, int]:
        """Every name the formula reads, with the column of its first use."""
        found: dict[str, int] = {}
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Name):
                found[node.id] = min(found.get(node.id, node.col), node.col)
            elif isinstance(node, Unary):
                stack.append(node.operand)
            elif isinstance(node, Binary):
                stack.extend((node.left, node.right))
            elif isinstance(node, Call):
                stack.extend(node.args)
        return found

    def check_names(self, known: set[str] | frozenset[str], field: str | None = None) -> None:
        """Raise a ``SpecError`` pointing at the first name that is not in ``known``."""
        for name, col in sorted(self.names().items(), key=lambda kv: kv[1]):
            if name not in known:
                raise _error(f"unknown name {name!r}", self.text, col, field)

    def evaluate(self, values: Mapping[str, Float64Array | float], n: int) -> Float64Array:
        """The formula's value on each of ``n`` paths (names must all be in ``values``)."""
        with np.errstate(all="ignore"):
            out = _eval(self.root, values)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (n,)).copy()

    def __str__(self) -> str:
        return self.text


def _eval(node: Node, values: Mapping[str, Float64Array | float]) -> Float64Array | float:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        return values[node.id]
    if isinstance(node, Unary):
        inner = _eval(node.operand, values)
        return -np.asarray(inner) if node.op == "-" else inner
    if isinstance(node, Binary):
        left = np.asarray(_eval(node.left, values), dtype=np.float64)
        right = np.asarray(_eval(node.right, values), dtype=np.float64)
        return _BINARY[node.op](left, right)
    args = [np.asarray(_eval(a, values), dtype=np.float64) for a in node.args]
    return FUNCTIONS[node.func][2](*args)


def parse(text: str, *, field: str | None = None) -> Expr:
    """Parse a formula; a ``SpecError`` names ``field`` and points at the column."""
    if not isinstance(text, str):
        raise SpecError(f"a formula is text, got {text!r}", field=field)
    root = _Parser(text, field).parse()
    if isinstance(root, Num) and not math.isfinite(root.value):
        raise _error("the formula is not a finite number", text, 1, field)
    return Expr(text, root)
