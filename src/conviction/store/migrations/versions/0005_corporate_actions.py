"""Corporate actions: the company an ``exchange``, ``spinoff`` or ``rename`` row leads
into (``transactions.into_id``, NULL for every other row).

Revision ID: 0005_corporate_actions
Revises: 0004_book_changes
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_corporate_actions"
down_revision = "0004_book_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as table:
        table.add_column(sa.Column("into_id", sa.String(100), nullable=True))
        table.create_foreign_key("fk_transactions_into_id", "company", ["into_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("transactions") as table:
        table.drop_constraint("fk_transactions_into_id", type_="foreignkey")
        table.drop_column("into_id")
