"""Files named in requests: only inside the workspace, never anywhere else.

A request may name a projection or policy TOML (or a benchmark CSV) by its path relative
to the workspace folder. The path is resolved (symbolic links followed) and must stay
inside the workspace: absolute paths, ``..`` that climbs out, links that point out, and
NUL bytes are refused before anything is opened.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, status

__all__ = ["inside"]


def inside(workspace: Path, name: str, *, suffix: str | None = None) -> Path:
    """The file ``name`` (relative to ``workspace``), checked to exist inside it.

    Raises 400 for a path that leaves the workspace (or is absolute), 404 for one that
    does not exist, 422 for a wrong kind of file.
    """
    root = workspace.resolve()
    if not name or "\x00" in name or "\\" in name:
        raise _refuse(name)
    candidate = Path(name)
    if candidate.is_absolute() or candidate.drive or any(p == ".." for p in candidate.parts):
        raise _refuse(name)
    resolved = (root / candidate).resolve()
    if not resolved.is_relative_to(root):  # a symbolic link pointing out
        raise _refuse(name)
    if not resolved.is_file():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            {"message": f"no file {name!r} in the workspace", "field": "path"},
        )
    if suffix is not None and resolved.suffix.lower() != suffix:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            {"message": f"{name!r} is not a {suffix} file", "field": "path"},
        )
    return resolved


def _refuse(name: str) -> HTTPException:
    return HTTPException(
        status.HTTP_400_BAD_REQUEST,
        {
            "message": f"path {name!r} is not inside the workspace (give a path relative to it, "
            "without '..')",
            "field": "path",
        },
    )
