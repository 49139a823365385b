"""Exact amounts: quantities, prices, fees and FX rates of transactions, mark prices and
FX rates become exact decimals (PostgreSQL ``NUMERIC``; on SQLite the decimal's text, in
a column of ``TEXT`` affinity, since ``NUMERIC`` affinity would turn ``1.10`` back into
the REAL 1.1). A value stored before, a float, becomes the float's shortest decimal
(``repr``, written plainly: ``0.1``, ``1e-05`` as ``0.00001``), not the server's own
15-digit text of it.

Revision ID: 0007_exact_amounts
Revises: 0006_refs_and_calendar
"""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from conviction.io.amounts import float_text

revision = "0007_exact_amounts"
down_revision = "0006_refs_and_calendar"
branch_labels = None
depends_on = None

#: table -> its amount columns, and whether each may be NULL.
AMOUNTS = {
    "transactions": {"quantity": False, "price": True, "fees": False, "fx_rate": True},
    "mark": {"price": False},
    "fx_rate": {"rate": False},
}
EXACT = sa.Numeric().with_variant(sa.Text(), "sqlite")


def _rows(bind: Any, table: str, columns: list[str]) -> list[Any]:
    names = ", ".join(f'"{c}"' for c in columns)
    return list(bind.execute(sa.text(f'SELECT "id", {names} FROM "{table}"')).all())


def _rewrite(bind: Any, table: str, columns: list[str], rows: list[Any], convert: Any) -> None:
    """Set each row's amounts to ``convert`` of the values read before the change."""
    if not rows:
        return
    sets = ", ".join(f'"{c}" = :{c}' for c in columns)
    params = [
        {"id": r[0], **{c: convert(v) for c, v in zip(columns, r[1:], strict=True)}} for r in rows
    ]
    for lo in range(0, len(params), 50_000):
        bind.execute(
            sa.text(f'UPDATE "{table}" SET {sets} WHERE "id" = :id'), params[lo : lo + 50_000]
        )


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"

    def exact(value: Any) -> Any:
        text = float_text(value)
        if not text:
            return None
        return text if sqlite else Decimal(text)

    for table, columns in AMOUNTS.items():
        names = list(columns)
        rows = _rows(bind, table, names)  # the floats, before any cast of the server's
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns.items():
                batch.alter_column(
                    column,
                    type_=EXACT,
                    existing_type=sa.Float(),
                    existing_nullable=nullable,
                    postgresql_using=f'"{column}"::numeric',
                )
        _rewrite(bind, table, names, rows, exact)


def downgrade() -> None:
    bind = op.get_bind()

    def number(value: Any) -> Any:
        return None if value is None else float(Decimal(str(value)))

    for table, columns in AMOUNTS.items():
        names = list(columns)
        rows = _rows(bind, table, names)
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns.items():
                batch.alter_column(
                    column,
                    type_=sa.Float(),
                    existing_type=EXACT,
                    existing_nullable=nullable,
                    postgresql_using=f'"{column}"::double precision',
                )
        _rewrite(bind, table, names, rows, number)
