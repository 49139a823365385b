"""Sensitivity and scenario runs on the web: background jobs, the tornado, scenarios."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["api", "pages"]

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)
