"""The domain objects every other part reads."""

from conviction.book.model import (
    FX_COLUMNS,
    MARK_COLUMNS,
    TRANSACTION_COLUMNS,
    Account,
    Book,
    BookMeta,
    Company,
    Link,
    Person,
)

__all__ = [
    "FX_COLUMNS",
    "MARK_COLUMNS",
    "TRANSACTION_COLUMNS",
    "Account",
    "Book",
    "BookMeta",
    "Company",
    "Link",
    "Person",
]
