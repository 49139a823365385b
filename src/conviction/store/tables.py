"""Database tables (SQLAlchemy 2). Portable SQL only: the same schema runs on SQLite and
PostgreSQL. API and file schemas live elsewhere; these are storage only.

Amounts (quantities, prices, fees, FX rates, mark prices) are exact decimals
(:class:`Amount`, migration 0007): ``NUMERIC`` on PostgreSQL, the decimal's text on SQLite
(a column of ``TEXT`` affinity: one of ``NUMERIC`` affinity would turn the text ``1.10``
into the REAL 1.1, keeping 15 significant digits at most). docs/formats.md, "Exact
amounts". A cell the book's files leave empty is NULL (0008), never the default it stands
for (``book.defaults``): the readers fill that in, an export writes the cell empty again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from conviction.io.amounts import amount_text

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Amount(TypeDecorator[Decimal]):
    """An exact decimal amount: PostgreSQL ``NUMERIC`` (no precision: every digit and the
    scale kept), SQLite ``TEXT`` holding the canonical decimal text (``io.amounts``).

    Binds a ``Decimal``, a decimal text, or a float (as its shortest decimal, ``repr``);
    reads back a ``Decimal`` (None for NULL, and for a NaN bound).
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        text = amount_text(value)
        if not text:
            return None
        return text if dialect.name == "sqlite" else Decimal(text)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


#: The type of the amount columns as the migrations declare it (0007).
AMOUNT_DDL = Numeric().with_variant(Text(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class BookRow(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    long_term_days: Mapped[int] = mapped_column(Integer, default=365)
    # the exchange_calendars name of the valuation grid's sessions (NULL: the default)
    calendar: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # one more on every load and web write (the web app's cache key; ids alone repeat)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PersonRow(Base):
    __tablename__ = "person"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class CompanyRow(Base):
    __tablename__ = "company"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean)
    ticker: Mapped[str | None] = mapped_column(String(40), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    themes: Mapped[str] = mapped_column(Text, default="")  # comma-separated


class CompanyPersonRow(Base):
    __tablename__ = "company_person"
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)


class CompanyLinkRow(Base):
    __tablename__ = "company_link"
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"), primary_key=True)
    to_id: Mapped[str] = mapped_column(ForeignKey("company.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)


class AccountRow(Base):
    __tablename__ = "account"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    max_weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    lot_method: Mapped[str] = mapped_column(String(10), default="fifo")


class TransactionRow(Base):
    __tablename__ = "transactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    date: Mapped[dt.date] = mapped_column(Date)
    # NULL for a split, which is a company event for every account
    account_id: Mapped[str | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    company_id: Mapped[str | None] = mapped_column(ForeignKey("company.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(12))
    # NULL where the file's cell is empty (0008): a rename's or listing's quantity (ratio
    # 1), a fee (none); the readers fill in the default (``book.defaults``)
    quantity: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    price: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    fees: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    fx_rate: Mapped[Decimal | None] = mapped_column(Amount, nullable=True)
    lot: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # the company an exchange, spinoff or rename leads into (NULL for every other row)
    into_id: Mapped[str | None] = mapped_column(ForeignKey("company.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(300))  # file it came from, or "api"
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ref: Mapped[str | None] = mapped_column(String(200), nullable=True)  # a broker's id

    __table_args__ = (Index("ix_transactions_account_date", "account_id", "date"),)


class MarkRow(Base):
    __tablename__ = "mark"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    date: Mapped[dt.date] = mapped_column(Date)
    company_id: Mapped[str] = mapped_column(ForeignKey("company.id"))
    price: Mapped[Decimal] = mapped_column(Amount)
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(Text, default="")
    # NULL where the file's cell is empty: the readers give the kind's grade (book.defaults)
    grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    origin: Mapped[str] = mapped_column(String(300))  # file it came from, "yahoo" or "api"
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_mark_company_date", "company_id", "date", "kind", unique=True),)


class FxRow(Base):
    __tablename__ = "fx_rate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    date: Mapped[dt.date] = mapped_column(Date)
    pair: Mapped[str] = mapped_column(String(6))
    rate: Mapped[Decimal] = mapped_column(Amount)
    source: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(300))
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_fx_pair_date", "pair", "date", unique=True),)
