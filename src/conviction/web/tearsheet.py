"""The tear sheet on the web: heatmap, yearly returns, drawdowns, contributors, treemap."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["api", "pages"]

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)
