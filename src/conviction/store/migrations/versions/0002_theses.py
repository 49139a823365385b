"""People and theses: scorecard entries with evidence, theses, milestones, their history,
review settings.

Revision ID: 0002_theses
Revises: 0001_book
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_theses"
down_revision = "0001_book"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_entry",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(100), nullable=False),
        sa.Column("pillar", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_score_entry_person_date", "score_entry", ["person_id", "date"])
    op.create_table(
        "score_evidence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "entry_id",
            sa.Integer(),
            sa.ForeignKey("score_entry.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index("ix_score_evidence_entry_id", "score_evidence", ["entry_id"])
    op.create_table(
        "thesis",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("subject_kind", sa.String(10), nullable=False),
        sa.Column("subject_id", sa.String(100), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("horizon", sa.Date(), nullable=False),
        sa.Column("kill_criteria", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "milestone",
        sa.Column(
            "thesis_id",
            sa.String(100),
            sa.ForeignKey("thesis.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(100), nullable=True),
        sa.Column("op", sa.String(2), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "milestone_entry",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("thesis_id", sa.String(100), nullable=False),
        sa.Column("milestone_id", sa.String(100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_milestone_entry_thesis_milestone_date",
        "milestone_entry",
        ["thesis_id", "milestone_id", "date"],
    )
    op.create_table(
        "review_setting",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_setting")
    op.drop_index("ix_milestone_entry_thesis_milestone_date", table_name="milestone_entry")
    op.drop_table("milestone_entry")
    op.drop_table("milestone")
    op.drop_table("thesis")
    op.drop_index("ix_score_evidence_entry_id", table_name="score_evidence")
    op.drop_table("score_evidence")
    op.drop_index("ix_score_entry_person_date", table_name="score_entry")
    op.drop_table("score_entry")
