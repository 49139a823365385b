"""What must be true: the value each input must reach for the book to reach the target.

One run of the spec is kept at the horizon (:func:`simulate_terminals`); every question is
then answered on those same paths (common random numbers), by bisection:

- ``company.<id>``: the company's multiple at the horizon, the same on every path, the
  others as specified; with the CAGR it needs.
- ``asset.<id>.expected_return``: the drift mu (every path's log value moves by
  (mu − mu₀)·years, exactly what the kernel does with a different drift).
- ``driver.<name>``: the driver's value at the horizon, pinned on every path (the other
  drivers keep their draws); driver-modelled companies follow through their formulas, their
  jumps kept.

Each is solved for the median book multiple = target, and for P(book ≥ target) =
``probability``, the book being the whole book as ``project`` counts it (cash at the
spec's ``cash_rate``, unprojected holdings kept: ``ProjectionSpec.whole_book``). When
the input alone cannot get there inside its search range (a company
worth nothing today, a driver the book barely depends on), ``reachable`` says so; when the
target is met whatever the input (at the bottom of its range), ``note`` says that too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from conviction._typing import Float64Array, SeedLike
from conviction.projection.engine import WIPED_OUT, _block_size, _generators, normalise_seed
from conviction.projection.sensitivity import (
    Runner,
    Terminals,
    evaluate_drivers,
    simulate_terminals,
)
from conviction.projection.spec import ProjectionSpec

__all__ = ["Requirement", "SolveResult", "solve"]

SolveKind = Literal["company", "expected_return", "driver"]

_ITERATIONS = 200


@dataclass(frozen=True, slots=True)
class Requirement:
    """What one input must reach. ``for_median`` / ``for_probability`` are None where
    ``reachable_*`` is False. ``cagr_*`` is the company's CAGR for that multiple."""

    input: str
    kind: SolveKind
    base: float | None
    for_median: float | None
    for_probability: float | None
    reachable_median: bool
    reachable_probability: bool
    cagr_median: float | None = None
    cagr_probability: float | None = None
    note: str = ""


@dataclass(frozen=True)
class SolveResult:
    paths: int
    years: int
    seed: int | None
    target_multiple: float
    probability: float
    base_median: float
    base_p: float
    requirements: tuple[Requirement, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "paths": self.paths,
            "years": self.years,
            "seed": self.seed,
            "target_multiple": self.target_multiple,
            "probability": self.probability,
            "required_cagr": self.target_multiple ** (1 / self.years) - 1,
            "base": {"median_multiple": self.base_median, "prob_target": self.base_p},
            "requirements": [asdict(r) for r in self.requirements],
        }


def _bisect(
    f: Callable[[float], float], lo: float, hi: float, target: float
) -> tuple[float | None, str]:
    """The smallest x in [lo, hi] with f(x) >= target for an increasing f (None when even
    f(hi) falls short)."""
    if f(lo) >= target:
        return lo, f"met at the bottom of the range ({lo:.6g})"
    if f(hi) < target:
        return None, ""
    for _ in range(_ITERATIONS):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if f(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi, ""


def _goals(
    book: Callable[[float], Float64Array],
    k: float,
    p: float,
    whole: tuple[float, float] = (1.0, 0.0),
) -> tuple[Callable[[float], float], Callable[[float], float]]:
    """The median and P(>= k) of the whole book's multiple, ``whole`` (scale, shift) of
    the holdings' multiple ``book`` gives (``ProjectionSpec.whole_book``)."""
    s, c = whole

    def of(x: float) -> Float64Array:
        out: Float64Array = book(x) * s + c
        return out

    return (lambda x: float(np.median(of(x))), lambda x: float(np.mean(of(x) >= k)))


def _driver_scores(spec: ProjectionSpec, seed: SeedLike) -> Float64Array:
    """The standard-normal scores the driver model drew on every path of the run."""
    model = spec.drivers
    k = len(model.random) if model is not None else 0
    root = normalise_seed(spec.seed if seed is None else seed)
    parts = []
    for block in range(spec.n_blocks):
        n = _block_size(spec, block)
        parts.append(_generators(root, block)[1].standard_normal((n, k)))
    return np.concatenate(parts)


def solve(
    spec: ProjectionSpec,
    seed: SeedLike = None,
    *,
    probability: float = 0.5,
    backend: str = "auto",
    terminals: Terminals | None = None,
    runner: Runner | None = None,
) -> SolveResult:
    """Per company, per asset drift and per random driver, the value for the median book to
    reach ``spec.target_multiple`` and for P(target) to reach ``probability``. ``runner``
    (default: here) computes the run's blocks; the bisections run here, on its terminals."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must lie in (0, 1), got {probability}")
    root = normalise_seed(spec.seed if seed is None else seed)
    t = terminals or simulate_terminals(spec, root, backend=backend, runner=runner)
    k, years = spec.target_multiple, spec.years
    whole = spec.whole_book(years)  # t.book is the whole book's; the functions, holdings'
    w = np.array(spec.start_values, dtype=np.float64)
    total = float(w.sum())
    values = np.exp(t.log_company) * w  # (n, A) value at the horizon / 1
    all_value = values.sum(axis=1)
    reqs: list[Requirement] = []

    def cagr(m: float | None) -> float | None:
        return None if m is None else (m ** (1 / years) - 1 if m > 0 else -1.0)

    for i, a in enumerate(spec.assets):
        rest = all_value - values[:, i]
        wi = float(w[i])
        base_mult = float(np.median(np.exp(t.log_company[:, i])))
        if wi <= 0:
            reqs.append(
                Requirement(
                    f"company.{a.company}",
                    "company",
                    base_mult,
                    None,
                    None,
                    False,
                    False,
                    note="worth nothing today: it cannot move the book",
                )
            )
            continue

        def book_m(m: float, rest: Float64Array = rest, wi: float = wi) -> Float64Array:
            return (rest + wi * m) / total

        med_f, p_f = _goals(book_m, k, probability, whole)
        hi = k * total / wi / whole[0]
        m_med, n1 = _bisect(med_f, 0.0, hi, k)
        m_p, n2 = _bisect(p_f, 0.0, hi, probability)
        reqs.append(
            Requirement(
                f"company.{a.company}",
                "company",
                base_mult,
                m_med,
                m_p,
                m_med is not None,
                m_p is not None,
                cagr(m_med),
                cagr(m_p),
                n1 or n2,
            )
        )
        if a.model in ("gbm", "student_t") or (
            a.model == "bootstrap" and a.expected_return is not None
        ):
            mu0 = float(a.expected_return or 0.0)
            li = t.log_company[:, i]

            def book_mu(
                mu: float,
                rest: Float64Array = rest,
                wi: float = wi,
                li: Float64Array = li,
                mu0: float = mu0,
            ) -> Float64Array:
                return (rest + wi * np.exp(li + (mu - mu0) * years)) / total

            med_f, p_f = _goals(book_mu, k, probability, whole)
            lo, hi_mu = mu0 - 3.0, mu0 + 3.0
            mu_med, n1 = _bisect(med_f, lo, hi_mu, k)
            mu_p, n2 = _bisect(p_f, lo, hi_mu, probability)
            reqs.append(
                Requirement(
                    f"asset.{a.company}.expected_return",
                    "expected_return",
                    mu0,
                    mu_med,
                    mu_p,
                    mu_med is not None,
                    mu_p is not None,
                    note=n1 or n2,
                )
            )
    model = spec.drivers
    if model is not None and model.random:
        z = _driver_scores(spec, root)
        dcols = [
            (i, str(a.driver), a.driver_scale)
            for i, a in enumerate(spec.assets)
            if a.model == "driver"
        ]
        base_dv = evaluate_drivers(model, z)
        base_random = {r: base_dv[r] for r in model.random}
        # the jumps on each driver company: its log multiple less its driver's
        jumps = {
            i: t.log_company[:, i] - np.log(np.maximum(base_dv[name] / s, WIPED_OUT))
            for i, name, s in dcols
        }
        fixed = all_value - sum((values[:, i] for i, _, _ in dcols), np.zeros_like(all_value))
        for name in model.random:
            d = model.get(name)
            lo_v = float(d.quantile(np.array([-6.0]))[0])
            hi_v = float(d.quantile(np.array([6.0]))[0])
            if d.distribution == "lognormal":
                lo_v = 0.0
            span = max(abs(hi_v), abs(lo_v), 1.0)

            def book_d(v: float, name: str = name) -> Float64Array:
                given = {**base_random, name: np.full(z.shape[0], v)}
                dv = evaluate_drivers(model, z, given)
                out = fixed.copy()
                for i, dn, s in dcols:
                    out += w[i] * np.exp(np.log(np.maximum(dv[dn] / s, WIPED_OUT)) + jumps[i])
                result: Float64Array = out / total
                return result

            med_f, p_f = _goals(book_d, k, probability, whole)
            sign = 1.0 if med_f(hi_v) >= med_f(lo_v) else -1.0
            results = []
            for f, goal in ((med_f, k), (p_f, probability)):
                top = hi_v if sign > 0 else lo_v
                bottom = lo_v if sign > 0 else hi_v
                found, note = None, ""
                for widen in (1.0, 10.0, 100.0, 1e4):
                    far = top + sign * (widen - 1.0) * span
                    g = (lambda x, f=f: f(x)) if sign > 0 else (lambda x, f=f: f(-x))
                    a_, b_ = (bottom, far) if sign > 0 else (-bottom, -far)
                    found, note = _bisect(g, a_, b_, goal)
                    if found is not None:
                        found = found if sign > 0 else -found
                        break
                results.append((found, note))
            (v_med, n1), (v_p, n2) = results
            reqs.append(
                Requirement(
                    f"driver.{name}",
                    "driver",
                    float(d.quantile(np.array([0.0]))[0]),
                    v_med,
                    v_p,
                    v_med is not None,
                    v_p is not None,
                    note=n1
                    or n2
                    or (
                        ""
                        if v_med is not None and v_p is not None
                        else "cannot be reached by this driver alone"
                    ),
                )
            )
    base_book = t.book
    entropy = root.entropy
    return SolveResult(
        paths=int(base_book.shape[0]),
        years=years,
        seed=entropy if isinstance(entropy, int) else None,
        target_multiple=k,
        probability=probability,
        base_median=float(np.median(base_book)),
        base_p=float(np.mean(base_book >= k)),
        requirements=tuple(reqs),
    )
