"""A load makes the database hold exactly what the book's files say: renamed, emptied and
dropped files replace what they held, a moved folder reloads cleanly, another book is
refused (or replaced on request), loads never merge, and a load killed at any moment
leaves the database fully old or fully new. Real files, real SQLite, real processes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conviction.store import connect, connect_for_writing, count_rows, read_book_at
from conviction.store.appends import NewTransaction, append_transactions

ROOT = Path(__file__).resolve().parents[2]
BARON, YEN = ROOT / "examples" / "baron", ROOT / "examples" / "yen-holder"
CONVICTION = Path(sys.executable).parent / "conviction"

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_book import make_book  # type: ignore[import-not-found]  # noqa: E402


def load(db: Path, folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONVICTION), "--db", f"sqlite:///{db}", "load", str(folder), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def loaded(db: Path, folder: Path, *extra: str) -> None:
    done = load(db, folder, *extra)
    assert done.returncode == 0, done.stderr


def counts(db: Path) -> dict[str, int]:
    engine = connect(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = count_rows(conn)
    engine.dispose()
    return rows


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def book_name(db: Path) -> str:
    return read_book_at(f"sqlite:///{db}").meta.name


@pytest.fixture
def baron(tmp_path: Path) -> Path:
    """A private copy of the example book, to edit."""
    folder = tmp_path / "baron"
    shutil.copytree(BARON, folder)
    return folder


def test_a_renamed_transactions_file_replaces_its_rows(baron: Path, tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    loaded(db, baron)
    before = counts(db)
    value = read_book_at(f"sqlite:///{db}").transactions["quantity"].sum()
    (baron / "transactions.csv").rename(baron / "trades.csv")
    toml = baron / "book.toml"
    toml.write_text(toml.read_text().replace('"transactions.csv"', '"trades.csv"'))
    loaded(db, baron)
    assert counts(db) == before  # 119 rows, not 238
    assert read_book_at(f"sqlite:///{db}").transactions["quantity"].sum() == value


def test_an_emptied_file_leaves_no_rows(baron: Path, tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    loaded(db, baron)
    path = baron / "transactions.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")  # the header only
    done = load(db, baron)
    assert done.returncode == 0, done.stderr
    assert "loaded" in done.stdout and "0 transactions" in done.stdout
    assert counts(db)["transactions"] == 0


def test_a_dropped_file_and_a_dropped_company_leave_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "yen"
    shutil.copytree(YEN, folder)
    db = tmp_path / "y.db"
    loaded(db, folder)
    assert counts(db)["fx"] > 0
    toml = folder / "book.toml"
    toml.write_text(toml.read_text().replace('fx = "fx.csv"', ""))
    # without its rates the book's yen account cannot buy a dollar stock: keep cash only
    tx = folder / "transactions.csv"
    lines = tx.read_text().splitlines(keepends=True)
    tx.write_text("".join([lines[0], *(x for x in lines[1:] if ",tesla," not in x)]))
    (folder / "marks.csv").write_text("date,company,price,kind,source\n")
    loaded(db, folder)
    after = counts(db)
    assert after["fx"] == 0 and after["marks"] == 0
    assert after["transactions"] == sum(1 for x in lines[1:] if ",tesla," not in x)


def test_a_copy_of_the_folder_elsewhere_reloads_cleanly(baron: Path, tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    loaded(db, BARON)
    before = dump(db)
    done = load(db, baron)  # the same book from another path: was an IntegrityError
    assert done.returncode == 0, done.stderr
    assert counts(db)["transactions"] == 119 and counts(db)["marks"] == 187
    # the same rows, now from the copy's files
    assert len(dump(db)) == len(before)
    assert all(str(BARON) not in line for line in dump(db) if "INSERT" in line)


def test_another_book_is_refused_and_replaced_only_on_request(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    loaded(db, BARON)
    before = dump(db)
    done = load(db, YEN)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "holds the book 'Baron (illustrative)', not 'Yen holder (illustrative)'" in (
        " ".join(done.stderr.split())
    )
    assert "--replace" in done.stderr
    assert dump(db) == before  # nothing changed: name, currency, rows
    loaded(db, YEN, "--replace")
    book = read_book_at(f"sqlite:///{db}")
    assert (book.meta.name, book.meta.currency) == ("Yen holder (illustrative)", "JPY")
    assert set(book.companies) == {"tesla"} and set(book.accounts) == set(
        read_book_at(f"sqlite:///{db}").accounts
    )
    assert (
        counts(db)["transactions"] == len((YEN / "transactions.csv").read_text().splitlines()) - 1
    )


def api_row(db: Path, account: str) -> None:
    """A deposit entered through the API's store function (origin "api")."""
    engine = connect_for_writing(f"sqlite:///{db}")
    row = NewTransaction(
        dt.date(2025, 11, 14), account, "", "deposit", 5.0, None, 0.0, "", None, ""
    )
    with engine.begin() as conn:
        append_transactions(conn, [row], origin="api")
    engine.dispose()


def test_rows_entered_through_the_api_stay_across_reloads(baron: Path, tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    loaded(db, baron)
    api_row(db, "ron")
    loaded(db, baron)
    assert counts(db)["transactions"] == 120
    # an account the TOML stops declaring, while an API row refers to it: a clear refusal
    before = dump(db)
    toml = baron / "book.toml"
    text = toml.read_text()
    assert 'id = "ron"' in text
    tx = baron / "transactions.csv"
    tx.write_text("".join(x for x in tx.read_text().splitlines(keepends=True) if ",ron," not in x))
    start = text.index("[[account]]", text.index('id = "ron"') - 40)
    end = text.find("[[", start + 5)
    toml.write_text(text[:start] + (text[end:] if end != -1 else ""))
    done = load(db, baron)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    flat = " ".join(done.stderr.split())
    assert "rows stored from 'api'" in flat and "'ron'" in flat
    assert dump(db) == before


def test_a_load_waits_for_the_write_lock_then_says_another_load_is_running(
    tmp_path: Path,
) -> None:
    db = tmp_path / "b.db"
    loaded(db, BARON)
    before = dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        started = time.monotonic()
        done = load(db, BARON)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "another load or write is running on the database at" in " ".join(done.stderr.split())
    assert waited > 4  # it waited for the lock (the driver's 5 s) before giving up
    assert dump(db) == before
    loaded(db, BARON)  # once the lock is free, the load goes through


def test_concurrent_loads_of_two_books_never_merge(tmp_path: Path) -> None:
    for attempt in range(3):
        db = tmp_path / f"c{attempt}.db"
        procs = [
            subprocess.Popen(
                [str(CONVICTION), "--db", f"sqlite:///{db}", "load", str(folder)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for folder in (BARON, YEN)
        ]
        errors = [p.communicate(timeout=300)[1] for p in procs]
        results = [(p.returncode, err) for p, err in zip(procs, errors, strict=True)]
        ok = [code == 0 for code, _ in results]
        assert sum(ok) == 1, results  # one book won, the other was refused
        for code, err in results:
            assert "Traceback" not in err
            if code:
                assert "holds the book" in err or "another load" in err, err
        book = read_book_at(f"sqlite:///{db}")
        winner = BARON if ok[0] else YEN
        assert book.meta.name == ("Baron (illustrative)" if ok[0] else "Yen holder (illustrative)")
        rows = len((winner / "transactions.csv").read_text().splitlines()) - 1
        assert len(book.transactions) == rows
        assert set(book.transactions["file"].map(lambda f: Path(f).parent)) == {winner}


def test_a_load_killed_at_any_moment_leaves_the_old_book_or_the_new(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.mkdir()
    make_book(big, n_tx=60_000, n_accounts=20, n_companies=5, years=3)
    db = tmp_path / "k.db"
    loaded(db, big)
    new = counts(db)
    started = time.monotonic()
    loaded(db, BARON, "--replace")
    full = time.monotonic() - started
    old = counts(db)
    shutil.copy(db, tmp_path / "old.db")
    outcomes = set()
    for fraction in (0.3, 0.6, 0.8, 0.95):
        proc = subprocess.Popen(
            [str(CONVICTION), "--db", f"sqlite:///{db}", "load", str(big), "--replace"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(full * fraction * 1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check = sqlite3.connect(db)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()
        now = counts(db)
        assert now in (old, new), now
        outcomes.add("new" if now == new else "old")
        if now == new:  # put the old book back for the next kill
            shutil.copy(tmp_path / "old.db", db)
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    assert "old" in outcomes  # at least one kill landed inside the load's transaction
    assert os.path.exists(db)
