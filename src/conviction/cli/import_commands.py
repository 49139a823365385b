"""The import command: broker statements into the book's transactions file."""

from __future__ import annotations

from pathlib import Path

import typer

from conviction.cli.app import JSON, app, err, out, print_json, settings, styled
from conviction.errors import FormatError


@app.command("import")
def import_command(
    kind: str = typer.Argument(..., help="ibkr (Flex XML), ofx (OFX/QFX) or csv (--mapping)."),
    files: list[Path] = typer.Argument(..., help="The broker's statement files."),
    book: Path = typer.Option(..., "--book", help="The book's folder or TOML file."),
    account: str = typer.Option(..., "--account", help="The book account the rows go to."),
    mapping: str | None = typer.Option(
        None, "--mapping", help="csv: a shipped mapping (schwab, fidelity) or a mapping TOML."
    ),
    import_map: Path | None = typer.Option(
        None, "--map", help="TOML: [accounts] broker numbers, [securities] ISIN/CUSIP -> company."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the rows; change nothing."),
    create_companies: bool = typer.Option(
        False, "--create-companies", help="Add unmatched securities to book.toml as companies."
    ),
    no_load: bool = typer.Option(
        False, "--no-load", help="Only write the book's files; do not load the database."
    ),
    as_json: bool = JSON,
) -> None:
    """Import broker statements into the book's transactions file, then load the book.

    Rows keep the broker's id in the file's ref column: a re-import of an overlapping
    statement adds nothing twice. A failed import changes no file and not the database.
    """
    from conviction.imports import (
        KINDS,
        load_import_map,
        load_mapping,
        plan_import,
        read_statements,
        write_import,
    )

    if kind not in KINDS:
        raise FormatError(f"unknown kind {kind!r} (expected {', '.join(KINDS)})", field="KIND")
    csv_mapping = None
    securities: dict[str, str] = {}
    if kind == "csv":
        if mapping is None:
            raise FormatError("a csv import needs --mapping", field="--mapping")
        csv_mapping, _ = load_mapping(mapping)
        securities = dict(csv_mapping.securities)
    imap = load_import_map(import_map) if import_map is not None else None
    if imap is not None:
        securities.update(imap.securities)
    from conviction.imports.apply import ImportMap

    full_map = ImportMap(imap.accounts if imap else {}, securities)
    statements = read_statements(kind, files, csv_mapping)
    plan = plan_import(
        book, statements, account, mapping=full_map, create_companies=create_companies
    )
    summary = {
        "rows": plan.rows,
        "added": 0 if dry_run else len(plan.rows),
        "already_imported": plan.duplicates,
        "new_companies": plan.new_companies,
        "skipped": plan.skipped,
        "dry_run": dry_run,
        "loaded": False,
    }
    if (not dry_run and plan.rows) or (plan.toml_text is not None and not dry_run):
        after = None
        if not no_load:
            from conviction.store.engine import writing
            from conviction.store.loading import load_book

            def after(b: object) -> None:
                with writing(settings.db_url) as engine:
                    load_book(engine, plan.toml, b)  # type: ignore[arg-type]

        write_import(plan, after)
        summary["loaded"] = not no_load
    if as_json:
        print_json(summary)
        return
    for line in plan.skipped:
        err.print(styled(("skipped: ", "yellow"), line))
    if plan.rows:
        from rich import box
        from rich.table import Table

        title = "rows that would be added" if dry_run else "rows added"
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        columns = [
            "date",
            "account",
            "company",
            "action",
            "quantity",
            "price",
            "fees",
            "currency",
            "ref",
        ]
        columns = [c for c in columns if any(row.get(c) for row in plan.rows)]
        for c in columns:  # a narrow terminal folds a header first, never cuts a cell
            widest = max(len(row.get(c, "")) for row in plan.rows)
            table.add_column(c, min_width=widest, overflow="fold")
        for row in plan.rows:
            table.add_row(*(row.get(c, "") for c in columns))
        out.print(table)
    verb = "would add" if dry_run else "added"
    out.print(
        f"{verb} {len(plan.rows)} rows to {plan.transactions}; "
        f"{plan.duplicates} already imported"
        + (f"; new companies: {', '.join(plan.new_companies)}" if plan.new_companies else "")
        + ("; book loaded into the database" if summary["loaded"] else "")
    )
