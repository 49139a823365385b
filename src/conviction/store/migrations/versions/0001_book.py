"""The book: people, companies, accounts, transactions, marks, FX rates.

Revision ID: 0001_book
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_book"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "book",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("long_term_days", sa.Integer(), nullable=False),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "company",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("ticker", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("themes", sa.Text(), nullable=False),
    )
    op.create_table(
        "company_person",
        sa.Column("company_id", sa.String(100), sa.ForeignKey("company.id"), primary_key=True),
        sa.Column("person_id", sa.String(100), sa.ForeignKey("person.id"), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=True),
    )
    op.create_table(
        "company_link",
        sa.Column("company_id", sa.String(100), sa.ForeignKey("company.id"), primary_key=True),
        sa.Column("to_id", sa.String(100), sa.ForeignKey("company.id"), primary_key=True),
        sa.Column("kind", sa.String(60), primary_key=True),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("max_weight", sa.Float(), nullable=True),
        sa.Column("lot_method", sa.String(10), nullable=False),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(100), sa.ForeignKey("account.id"), nullable=True),
        sa.Column("company_id", sa.String(100), sa.ForeignKey("company.id"), nullable=True),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("fees", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("fx_rate", sa.Float(), nullable=True),
        sa.Column("lot", sa.String(200), nullable=True),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
    )
    op.create_index("ix_transactions_account_date", "transactions", ["account_id", "date"])
    op.create_table(
        "mark",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("company_id", sa.String(100), sa.ForeignKey("company.id"), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("grade", sa.String(1), nullable=True),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
    )
    op.create_index("ix_mark_company_date", "mark", ["company_id", "date", "kind"], unique=True)
    op.create_table(
        "fx_rate",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("pair", sa.String(6), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
    )
    op.create_index("ix_fx_pair_date", "fx_rate", ["pair", "date"], unique=True)


def downgrade() -> None:
    for index, table in (
        ("ix_fx_pair_date", "fx_rate"),
        ("ix_mark_company_date", "mark"),
        ("ix_transactions_account_date", "transactions"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "fx_rate",
        "mark",
        "transactions",
        "account",
        "company_link",
        "company_person",
        "company",
        "person",
        "book",
    ):
        op.drop_table(table)
