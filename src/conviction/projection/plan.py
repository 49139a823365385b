"""A spec turned into the flat arrays the kernels read (built once per run)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from conviction._typing import Float64Array, IntArray
from conviction.errors import SpecError
from conviction.projection.correlation import correlation_factor, correlation_matrix
from conviction.projection.spec import ProjectionSpec

__all__ = ["KIND_BOOTSTRAP", "KIND_DRIVER", "KIND_NORMAL", "Plan", "build_plan"]

KIND_NORMAL = 0  # gbm and student_t: drift + vol · (correlated normal · t-scale)
KIND_BOOTSTRAP = 1  # a row of the joint history
KIND_DRIVER = 2  # log-space Brownian bridge to the driver value

#: Poisson probabilities below this are dropped from the inversion table.
_POISSON_TAIL = 1e-17


@dataclass(frozen=True)
class Plan:
    """Per-step numbers for the kernels. Index ``a`` runs over assets in spec order."""

    n_steps: int
    steps_per_year: int
    kind: IntArray  # (A,)
    drift: Float64Array  # (A,) log drift per step
    vol: Float64Array  # (A,) sigma·sqrt(dt)
    zcol: IntArray  # (A,) column of the asset's normal shock, -1 for bootstrap
    factor: Float64Array  # (K, K) correlation factor of the normal shocks
    group: IntArray  # (A,) Student-t group (one chi-square per group and path-step), -1 none
    gdf: Float64Array  # (G,) degrees of freedom per group
    bcol: IntArray  # (A,) column in hist, -1 unless bootstrap
    hist: Float64Array  # (T_h, B) joint log-return history (0 x 0 when none)
    p_new: float  # probability a bootstrap block ends after a step
    dcol: IntArray  # (A,) column in the driver terminal matrix, -1 unless driver
    driver_names: tuple[str, ...]  # (D,) driver behind each driver column
    driver_scales: Float64Array  # (D,) today's value of that driver quantity
    jcdf: Float64Array  # (J, M) cumulative Poisson probabilities per step, padded with 2.0
    jlog: Float64Array  # (J, A) log(1 - loss) where a jump hits, else 0
    mark: IntArray  # (A,) steps between marks (1 = every step); the horizon always marks
    weights: Float64Array  # (A,) start values
    x0: Float64Array  # (A,) log value today: log(1 - loss) of the shocks at year 0, else 0
    shock: Float64Array  # (S, A) certain log shocks per step (0 x A when there are none)

    @property
    def n_assets(self) -> int:
        return int(self.kind.shape[0])

    @property
    def years(self) -> int:
        return self.n_steps // self.steps_per_year


def build_plan(spec: ProjectionSpec) -> Plan:
    """Check what needs the whole spec (correlations PSD) and lay it out as arrays."""
    dt = 1.0 / spec.steps_per_year
    assets = spec.assets
    n = len(assets)
    kind = np.zeros(n, dtype=np.int64)
    drift = np.zeros(n)
    vol = np.array([a.volatility * math.sqrt(dt) for a in assets])
    zcol = np.full(n, -1, dtype=np.int64)
    group = np.full(n, -1, dtype=np.int64)
    bcol = np.full(n, -1, dtype=np.int64)
    dcol = np.full(n, -1, dtype=np.int64)
    dfs: list[float] = []
    normal_names: list[str] = []
    boot: list[tuple[float, ...]] = []
    driver_names: list[str] = []
    driver_scales: list[float] = []
    for i, a in enumerate(assets):
        if a.model == "bootstrap":
            kind[i] = KIND_BOOTSTRAP
            bcol[i] = len(boot)
            boot.append(a.history)
            if a.expected_return is not None:
                h = np.asarray(a.history)
                s2 = float(np.var(h, ddof=1)) * spec.steps_per_year
                drift[i] = (a.expected_return - 0.5 * s2) * dt - float(np.mean(h))
            continue
        zcol[i] = len(normal_names)
        normal_names.append(a.company)
        if a.model == "driver":
            kind[i] = KIND_DRIVER
            dcol[i] = len(driver_names)
            driver_names.append(str(a.driver))
            driver_scales.append(a.driver_scale)
            continue
        mu = float(a.expected_return or 0.0)
        drift[i] = (mu - 0.5 * a.volatility**2) * dt
        if a.model == "student_t":
            df = float(a.df or 0.0)
            if df not in dfs:
                dfs.append(df)
            group[i] = dfs.index(df)

    boot_set = {a.company for a in assets if a.model == "bootstrap"}
    for c in spec.correlations:
        if c.a in boot_set or c.b in boot_set:
            raise SpecError(
                "a bootstrap asset keeps its historical co-movement with other bootstrap "
                "assets and cannot take a correlation",
                field=f"projection.correlation[{c.a},{c.b}]",
            )
    pairs = [(c.a, c.b, c.rho) for c in spec.correlations]
    cmat = correlation_matrix(normal_names, pairs, field="projection.correlation")
    factor = correlation_factor(cmat, normal_names, field="projection.correlation")

    hist = np.ascontiguousarray(np.array(boot, dtype=np.float64).T) if boot else np.zeros((0, 0))
    block_steps = [a.block_years * spec.steps_per_year for a in assets if a.model == "bootstrap"]
    p_new = 1.0 / max(1.0, min(block_steps)) if block_steps else 1.0

    index = {a.company: i for i, a in enumerate(assets)}
    jcdf_rows: list[list[float]] = []
    jlog = np.zeros((len(spec.jumps), n))
    for j, jump in enumerate(spec.jumps):
        jcdf_rows.append(_poisson_cdf(jump.intensity * dt))
        hit = {index[c] for c in jump.companies}
        hit |= {i for i, a in enumerate(assets) if set(a.people) & set(jump.people)}
        for i in hit:
            jlog[j, i] = math.log1p(-jump.loss)
    width = max((len(r) for r in jcdf_rows), default=0)
    jcdf = np.full((len(jcdf_rows), width), 2.0)
    for j, row in enumerate(jcdf_rows):
        jcdf[j, : len(row)] = row

    x0 = np.zeros(n)
    shock = np.zeros((0, n))
    if any(sh.year > 0 for sh in spec.shocks):
        shock = np.zeros((spec.n_steps, n))
    for sh in spec.shocks:
        hit = {index[c] for c in sh.companies}
        hit |= {i for i, a in enumerate(assets) if set(a.people) & set(sh.people)}
        step = round(sh.year * spec.steps_per_year)
        for i in hit:
            if step == 0:
                x0[i] += math.log1p(-sh.loss)
            else:
                shock[step - 1, i] += math.log1p(-sh.loss)

    every = spec.mark_every_steps
    mark = np.array([every.get(a.company, 1) for a in assets], dtype=np.int64)

    return Plan(
        n_steps=spec.n_steps,
        steps_per_year=spec.steps_per_year,
        kind=kind,
        drift=drift,
        vol=vol,
        zcol=zcol,
        factor=np.ascontiguousarray(factor),
        group=group,
        gdf=np.array(dfs, dtype=np.float64),
        bcol=bcol,
        hist=hist,
        p_new=p_new,
        dcol=dcol,
        driver_names=tuple(driver_names),
        driver_scales=np.array(driver_scales, dtype=np.float64),
        jcdf=jcdf,
        jlog=jlog,
        mark=mark,
        weights=np.array(spec.start_values, dtype=np.float64),
        x0=x0,
        shock=shock,
    )


def _poisson_cdf(lam: float) -> list[float]:
    """P(N <= k) for k = 0, 1, ... until the rest is negligible (N ~ Poisson(lam))."""
    if lam <= 0.0:
        return []
    pmf = math.exp(-lam)
    cdf = [pmf]
    k = 0
    while 1.0 - cdf[-1] > _POISSON_TAIL and pmf > _POISSON_TAIL and k < 1000:
        k += 1
        pmf *= lam / k
        cdf.append(cdf[-1] + pmf)
    return cdf
