"""Enter and correct the book in the browser: transactions, marks, FX rates, uploads."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["api", "pages"]

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)
