"""A broker's id for a transaction (``transactions.ref``, written by ``conviction import``,
NULL for rows without one) and the trading calendar a book's valuation grid follows
(``book.calendar``, an ``exchange_calendars`` name; NULL: the default), and the book's
revision (``book.revision``), one more on every load and web write: a load that changes
only values keeps row counts and highest ids (SQLite hands ids out again), so a running
server would not see it from those alone.

Revision ID: 0006_refs_and_calendar
Revises: 0005_corporate_actions
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_refs_and_calendar"
down_revision = "0005_corporate_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as table:
        table.add_column(sa.Column("ref", sa.String(200), nullable=True))
    with op.batch_alter_table("book") as table:
        table.add_column(sa.Column("calendar", sa.String(20), nullable=True))
        table.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("book") as table:
        table.drop_column("revision")
        table.drop_column("calendar")
    with op.batch_alter_table("transactions") as table:
        table.drop_column("ref")
