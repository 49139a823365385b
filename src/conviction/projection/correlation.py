"""Correlation matrices from pairs, checked and factored once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from conviction._typing import Float64Array
from conviction.errors import SpecError

__all__ = ["correlation_factor", "correlation_matrix"]

#: Eigenvalues above -EIG_TOL count as zero: a matrix with rho = 1 is PSD but singular.
EIG_TOL = 1e-10


def correlation_matrix(
    names: Sequence[str], pairs: Iterable[tuple[str, str, float]], *, field: str
) -> Float64Array:
    """The full matrix over ``names`` (identity where no pair is given)."""
    index = {n: i for i, n in enumerate(names)}
    c = np.eye(len(names))
    for a, b, rho in pairs:
        i, j = index[a], index[b]
        if c[i, j] != 0.0 and c[i, j] != rho:
            raise SpecError(f"correlation {a}-{b} given twice ({c[i, j]} and {rho})", field=field)
        c[i, j] = c[j, i] = rho
    return c


def correlation_factor(c: Float64Array, names: Sequence[str], *, field: str) -> Float64Array:
    """F with F @ F.T == c: the Cholesky factor, or an eigen factor when c is singular.

    Raises ``SpecError`` when c is not positive semi-definite, naming its smallest eigenvalue
    and the pair that contributes most to the offending direction.
    """
    if c.shape[0] == 0:
        return c.copy()
    try:
        lower: Float64Array = np.asarray(np.linalg.cholesky(c), dtype=np.float64)
        return lower
    except np.linalg.LinAlgError:
        pass
    vals, vecs = np.linalg.eigh(c)
    if vals[0] < -EIG_TOL:
        v = vecs[:, 0]
        i, j = np.argsort(-np.abs(v))[:2]
        raise SpecError(
            f"the correlation matrix is not positive semi-definite (smallest eigenvalue "
            f"{vals[0]:.4g}); the pairs are inconsistent, e.g. around {names[int(i)]!r} and "
            f"{names[int(j)]!r}",
            field=field,
        )
    factor: Float64Array = vecs * np.sqrt(np.clip(vals, 0.0, None))
    return factor
