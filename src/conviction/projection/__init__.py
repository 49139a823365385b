"""Ten-year Monte Carlo projection of a book, and driver models ("probabilistic spreadsheets").

Spec → run → immutable result::

    spec = ProjectionSpec(assets=(AssetSpec("tesla", expected_return=0.15, volatility=0.55),))
    result = Projection(spec).run(seed=7)
    result.prob_target, result.terminal_multiple

For another engine (policies) the same paths are available block by block, shaped
(paths, steps + 1, companies): :func:`simulate_paths` and :func:`iter_paths`.

The names below are imported from their modules on first use (conviction._lazy).
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.projection.drivers import DriverCorrelation, DriverModel, DriverSpec
    from conviction.projection.engine import (
        ChunkRunner,
        ChunkTask,
        PathBlock,
        ProgressFn,
        Projection,
        block_seed,
        iter_paths,
        normalise_seed,
        project,
        run_chunk,
        simulate_paths,
    )
    from conviction.projection.expr import Expr, parse
    from conviction.projection.result import ProjectionResult
    from conviction.projection.spec import (
        MODELS,
        AssetSpec,
        CorrelationSpec,
        JumpSpec,
        ModelKind,
        ProjectionSpec,
    )

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.projection.drivers": (
            "DriverCorrelation",
            "DriverModel",
            "DriverSpec",
        ),
        "conviction.projection.engine": (
            "ChunkRunner",
            "ChunkTask",
            "PathBlock",
            "ProgressFn",
            "Projection",
            "block_seed",
            "iter_paths",
            "normalise_seed",
            "project",
            "run_chunk",
            "simulate_paths",
        ),
        "conviction.projection.expr": (
            "Expr",
            "parse",
        ),
        "conviction.projection.result": ("ProjectionResult",),
        "conviction.projection.spec": (
            "MODELS",
            "AssetSpec",
            "CorrelationSpec",
            "JumpSpec",
            "ModelKind",
            "ProjectionSpec",
        ),
    },
)

__all__ = [
    "MODELS",
    "AssetSpec",
    "ChunkRunner",
    "ChunkTask",
    "CorrelationSpec",
    "DriverCorrelation",
    "DriverModel",
    "DriverSpec",
    "Expr",
    "JumpSpec",
    "ModelKind",
    "PathBlock",
    "ProgressFn",
    "Projection",
    "ProjectionResult",
    "ProjectionSpec",
    "block_seed",
    "iter_paths",
    "normalise_seed",
    "parse",
    "project",
    "run_chunk",
    "simulate_paths",
]
