"""The export command: the book out, in its own CSV layout or as a Beancount ledger."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import typer

from conviction.cli.app import JSON, app, err, out, print_json, settings, styled
from conviction.errors import FormatError


@app.command("export")
def export_command(
    format: str = typer.Option(
        ..., "--format", help="csv (the book's own files) or beancount (one ledger file)."
    ),
    out_dir: Path = typer.Option(..., "--out", help="The folder to write into (made if need be)."),
    book: Path | None = typer.Option(
        None, "--book", help="Export a book's files (its folder or TOML), not the database's."
    ),
    as_json: bool = JSON,
) -> None:
    """Export the book (transactions, prices, FX) as CSV files conviction loads, or Beancount.

    The book comes from the database (--db), or from its files with --book. No
    file is overwritten: if one of the files to write exists, nothing is written.
    """
    from conviction.export import FORMATS, export_files

    if format not in FORMATS:
        raise FormatError(
            f"unknown format {format!r} (expected {', '.join(FORMATS)})", field="--format"
        )
    # either way the book comes with each amount's exact text and each row's ref
    if book is not None:
        from conviction.io.book_reader import read_book

        the_book = read_book(book)
    else:
        from conviction.store.reading import read_book_at

        the_book = read_book_at(settings.db_url, exact=True)
    files = export_files(the_book, format)
    if out_dir.exists() and not out_dir.is_dir():
        raise FormatError("not a folder", file=out_dir, field="--out")
    clash = [name for name in files if (out_dir / name).exists()]
    if clash:
        raise FormatError(
            f"already holds {', '.join(clash)}; export does not overwrite (choose an empty folder)",
            file=out_dir,
            field="--out",
        )
    made = not out_dir.exists()
    temps = [out_dir / f".{name}.export-tmp" for name in files]
    try:  # every file to a temporary name first: a failed write leaves nothing behind
        out_dir.mkdir(parents=True, exist_ok=True)
        for tmp, text in zip(temps, files.values(), strict=True):
            tmp.write_text(text, encoding="utf-8", newline="")
        for tmp, name in zip(temps, files, strict=True):
            tmp.replace(out_dir / name)
    except OSError as exc:
        with suppress(OSError):
            for tmp in temps:
                tmp.unlink(missing_ok=True)
            if made and out_dir.is_dir() and not any(out_dir.iterdir()):
                out_dir.rmdir()
        raise FormatError(f"cannot write here ({exc.strerror})", file=out_dir) from None
    written = {
        name: {"path": str(out_dir / name), "lines": text.count("\n")}
        for name, text in files.items()
    }
    if as_json:
        print_json({"format": format, "files": written})
        return
    counts = {
        "transactions": len(the_book.transactions),
        "marks": len(the_book.marks),
        "fx rates": len(the_book.fx),
    }
    for info in written.values():
        out.print(f"wrote {info['path']} ({info['lines']} lines)")
    err.print(styled("exported " + ", ".join(f"{v} {k}" for k, v in counts.items())))
