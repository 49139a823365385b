"""Milestone effects: what each outcome of a milestone does to the projection's drivers
(``[[thesis.milestone.effect]]``), a JSON list per milestone.

Revision ID: 0003_milestone_effects
Revises: 0002_theses
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_milestone_effects"
down_revision = "0002_theses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("milestone") as table:
        table.add_column(
            sa.Column("effects", sa.Text(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("milestone") as table:
        table.drop_column("effects")
