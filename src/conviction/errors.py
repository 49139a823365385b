"""The one error tree of conviction.

Every error a user can cause says where: the file, the line and the field, when known.

    ConvictionError
    ├── InputError            bad input from a file, a command line or a request (carries file,
    │   │                     line, field)
    │   ├── FormatError       malformed TOML/CSV, wrong type, missing key, bad date or number
    │   ├── UnknownIdError    an id that names nothing (unknown account, company, person, thesis,
    │   │                     milestone, ticker, driver)
    │   ├── LedgerError       input that is well formed but impossible (sale larger than position)
    │   └── SpecError         a model or policy specification that cannot run (not PSD, cycle)
    ├── DataError             data missing where a computation needs it (no price on a date, no
    │                         book in the database yet)
    └── StoreError            the database refused, or its schema revision is not the one this
                              code reads (older: run ``conviction init``; unknown)

``conviction.app.book.UnknownId`` is an ``UnknownIdError`` that also carries what kind of id,
the id and the ids the book does hold.

The library raises; only the CLI and the web app turn errors into messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConvictionError",
    "DataError",
    "FormatError",
    "InputError",
    "LedgerError",
    "SpecError",
    "StoreError",
    "UnknownIdError",
]


class ConvictionError(Exception):
    """Base of every error conviction raises on purpose."""


class InputError(ConvictionError):
    """Bad input. Carries where it was found so a person can fix it."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    @property
    def location(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message

    def at(self, *, file: str | Path | None = None, line: int | None = None) -> InputError:
        """The same error, placed in a file (for readers that learn the file late)."""
        return type(self)(
            self.message,
            file=file if self.file is None else self.file,
            line=line if self.line is None else self.line,
            field=self.field,
        )

    def noted(self, why: str) -> InputError:
        """The same error, same place, with why it concerns the caller: a stored row that
        a change would make impossible says so."""
        return type(self)(
            f"{self.message} ({why})", file=self.file, line=self.line, field=self.field
        )


class FormatError(InputError):
    """Malformed input: syntax, a wrong type, a missing key, a bad date or number."""


class UnknownIdError(InputError):
    """An identifier that refers to nothing known (an unknown account, company, person)."""


class LedgerError(InputError):
    """Well-formed input that cannot have happened (selling more than is held)."""


class SpecError(InputError):
    """A specification that cannot run: a correlation matrix that is not PSD, a cycle."""


class DataError(ConvictionError):
    """Data a computation needs is missing (no price for a company on or before a date)."""


class StoreError(ConvictionError):
    """The database refused an operation, or is at a schema revision this code does not read."""
