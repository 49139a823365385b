"""Book changes: every write through the web app (a row added, edited or deleted in
transactions, marks or FX rates) recorded with its time, and the row it replaced, so the
book as recorded at any past moment can be rebuilt.

Revision ID: 0004_book_changes
Revises: 0003_milestone_effects
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_book_changes"
down_revision = "0003_milestone_effects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "book_change",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("recorded", sa.DateTime(), nullable=False),
        sa.Column("what", sa.String(12), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("old_id", sa.Integer(), nullable=True),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(300), nullable=False),
    )
    op.create_index("ix_book_change_recorded", "book_change", ["recorded"])


def downgrade() -> None:
    op.drop_index("ix_book_change_recorded", "book_change")
    op.drop_table("book_change")
