"""Empty cells: a transaction's ``quantity`` and ``fees`` may be NULL, as a mark's
``grade`` already may, so that a cell the book's files leave empty is stored as not given
(NULL) rather than as the default it stands for (an empty fee's 0, a rename's or a
listing's ratio 1, a mark's grade by its kind). The readers fill the defaults in
(``book.defaults``), so every figure reads the same; an export writes the cell empty.

The upgrade keeps every stored value: a database at 0007 holds the defaults as values
(a fee 0, a ratio 1, a grade), and nothing in it says which of them the files gave and
which the loader filled in, so none is guessed away. Reads and exports of an upgraded
database give what they gave before; the next ``conviction load`` replaces the rows of
the book's files with what the files say, empty cells as NULL.

The downgrade writes the defaults back where a value is NULL (a fee 0, a ratio 1, a
mark's grade by its kind), which is what 0007 stored for an empty cell.

Revision ID: 0008_empty_cells
Revises: 0007_exact_amounts
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from conviction._typing import DEFAULT_GRADE

revision = "0008_empty_cells"
down_revision = "0007_exact_amounts"
branch_labels = None
depends_on = None

#: The amount columns of ``transactions`` that become nullable.
NULLABLE = ("quantity", "fees")
EXACT = sa.Numeric().with_variant(sa.Text(), "sqlite")


def _alter(nullable: bool) -> None:
    with op.batch_alter_table("transactions") as batch:
        for column in NULLABLE:
            batch.alter_column(
                column, existing_type=EXACT, existing_nullable=not nullable, nullable=nullable
            )


def upgrade() -> None:
    _alter(nullable=True)


def downgrade() -> None:
    bind = op.get_bind()
    zero: Any = "0" if bind.dialect.name == "sqlite" else 0
    one: Any = "1" if bind.dialect.name == "sqlite" else 1
    bind.execute(sa.text('UPDATE "transactions" SET "fees" = :v WHERE "fees" IS NULL'), {"v": zero})
    bind.execute(
        sa.text('UPDATE "transactions" SET "quantity" = :v WHERE "quantity" IS NULL'), {"v": one}
    )
    for kind, grade in DEFAULT_GRADE.items():
        bind.execute(
            sa.text('UPDATE "mark" SET "grade" = :g WHERE "grade" IS NULL AND "kind" = :k'),
            {"g": grade, "k": kind},
        )
    _alter(nullable=False)
