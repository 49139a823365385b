"""Reads never write: ``conviction.store.connect`` opens SQLite read-only, never migrates,
never changes the journal mode, and says which command upgrades an older schema.

Real SQLite files throughout; the commands run as the installed ``conviction`` program in
a subprocess, so what is checked is what a person sees (exit code, stderr, the file).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy.exc import OperationalError

from conviction.errors import DataError, StoreError
from conviction.store import connect, connect_for_writing, read_book
from conviction.store.engine import HEAD_REVISION, MIGRATIONS, REVISIONS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
CONVICTION = Path(sys.executable).parent / "conviction"
READS = [
    ["status", "--json"],
    ["history", "--json"],
    ["gains", "--json"],
]


class Ran(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def run(db: Path | str, *args: str, process: bool = False) -> Ran:
    """``conviction --db DB ARGS``: in a subprocess (the installed program) or, faster, the
    same entry point in this process; either way exit code, stdout and stderr."""
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    if process:
        done = subprocess.run(
            [str(CONVICTION), "--db", url, *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return Ran(done.returncode, done.stdout, done.stderr)
    from conviction.cli import main

    out, err, argv = io.StringIO(), io.StringIO(), sys.argv
    sys.argv = ["conviction", "--db", url, *args]
    code: Any = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = argv
    return Ran(
        code if isinstance(code, int) else int(code is not None), out.getvalue(), err.getvalue()
    )


def checkpoint(path: Path, journal_mode: str) -> None:
    """Fold the write-ahead log into the file and set the journal mode (as another tool would)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"PRAGMA journal_mode={journal_mode}")
    finally:
        conn.close()


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(path)  # not read-only: that would leave -wal and -shm behind
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def schema(path: Path) -> list[Any]:
    """sqlite_master and the revision: equal lists mean an unchanged schema."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        rows = [tuple(r) for r in master]
        return rows + [tuple(r) for r in conn.execute("SELECT * FROM alembic_version")]
    finally:
        conn.close()


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def fingerprint(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_size


def no_traceback(result: Ran) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def set_revision(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    finally:
        conn.close()


def alembic(url: str, verb: str, target: str) -> None:
    """Move a database to ``target`` with Alembic itself (the older schema, really built)."""
    from alembic import command
    from alembic.config import Config

    engine = connect_for_writing(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, verb)(config, target)
    engine.dispose()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example as ``conviction load`` writes it (WAL mode), loaded once."""
    path = tmp_path_factory.mktemp("loaded") / "baron.db"
    result = run(path, "load", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    checkpoint(path, "WAL")  # the whole book in the main file, so that a copy holds it
    assert journal_mode(path) == "wal"
    return path


@pytest.fixture(scope="module")
def expected(loaded: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What each read command prints on a private writable copy of the loaded example."""
    path = tmp_path_factory.mktemp("expected") / "baron.db"
    shutil.copy(loaded, path)
    answers = {}
    for args in READS:
        result = run(path, *args)
        assert result.returncode == 0, result.stderr
        answers[args[0]] = json.loads(result.stdout)
    return answers


@pytest.fixture
def plain_db(loaded: Path, tmp_path: Path) -> Path:
    """A copy of the example in rollback-journal mode (not WAL), as another tool leaves it."""
    path = tmp_path / "plain.db"
    shutil.copy(loaded, path)
    checkpoint(path, "DELETE")
    assert journal_mode(path) == "delete"
    return path


# --- the head revision -------------------------------------------------------------------------


def test_the_revision_constants_match_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS))
    assert scripts.get_heads() == [HEAD_REVISION]
    oldest_first = [s.revision for s in scripts.walk_revisions()][::-1]
    assert tuple(oldest_first) == REVISIONS


def test_a_read_does_not_import_alembic(plain_db: Path) -> None:
    code = (
        "import sys\n"
        "from conviction.store import connect, read_book\n"
        f"book = read_book(connect({f'sqlite:///{plain_db}'!r}))\n"
        "assert book.meta.name, book\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- reads leave the file alone ----------------------------------------------------------------


@pytest.mark.parametrize("args", READS, ids=lambda a: a[0])
def test_a_read_leaves_a_non_wal_file_unchanged(
    plain_db: Path, expected: dict[str, Any], args: list[str]
) -> None:
    before, files = fingerprint(plain_db), sorted(os.listdir(plain_db.parent))
    result = run(plain_db, *args, process=args[0] == "status")
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert json.loads(result.stdout) == expected[args[0]]
    assert fingerprint(plain_db) == before  # bytes, mtime and size
    assert journal_mode(plain_db) == "delete"
    assert sorted(os.listdir(plain_db.parent)) == files  # no -wal, -shm or -journal left


def test_the_read_engine_opens_sqlite_read_only(plain_db: Path) -> None:
    """Even with ``query_only`` turned off again, the connection itself cannot write."""
    engine = connect(f"sqlite:///{plain_db}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 1
        conn.exec_driver_sql("PRAGMA query_only=OFF")
        with pytest.raises(OperationalError, match="readonly database"):
            conn.exec_driver_sql("CREATE TABLE intruder (x INTEGER)")
        with pytest.raises(OperationalError, match="readonly database"):
            conn.exec_driver_sql("UPDATE book SET name = 'changed'")
    raw = engine.raw_connection()  # a fresh connection, outside any transaction
    try:
        cursor = raw.cursor()
        with pytest.raises(sqlite3.OperationalError, match="readonly database"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
    finally:
        raw.close()
    engine.dispose()
    assert journal_mode(plain_db) == "delete"
    assert "intruder" not in str(schema(plain_db))


def test_reads_work_on_a_read_only_file_in_a_read_only_folder(
    plain_db: Path, expected: dict[str, Any]
) -> None:
    """chmod 0444 / 0555 (which root ignores; see the next test for a real refusal)."""
    before = fingerprint(plain_db)
    plain_db.chmod(0o444)
    plain_db.parent.chmod(0o555)
    try:
        for args in READS:
            result = run(plain_db, *args)
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout) == expected[args[0]]
    finally:
        plain_db.parent.chmod(0o755)
        plain_db.chmod(0o644)
    assert fingerprint(plain_db) == before


def _without_write_permission() -> list[str]:
    """A prefix that runs a command with file permissions enforced, even for root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    caps = "-dac_override,-dac_read_search"
    prefix = [setpriv or "setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
    if setpriv is None or subprocess.run([*prefix, "true"], check=False).returncode != 0:
        pytest.skip("running as root, and cannot drop the capability that ignores chmod")
    return prefix


@pytest.mark.parametrize("mode", ["delete", "wal"])
def test_reads_work_where_the_process_really_cannot_write(
    loaded: Path, tmp_path: Path, expected: dict[str, Any], mode: str
) -> None:
    """The folder and the file are read-only for the process (for root too: setpriv drops
    CAP_DAC_OVERRIDE), so SQLite can create no -journal, -wal or -shm file beside it."""
    prefix = _without_write_permission()
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "baron.db"
    shutil.copy(loaded, path)
    checkpoint(path, mode)
    assert journal_mode(path) == mode
    before, files = fingerprint(path), sorted(os.listdir(folder))
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        result = subprocess.run(
            [*prefix, str(CONVICTION), "--db", f"sqlite:///{path}", "status", "--json"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        write = subprocess.run(
            [*prefix, str(CONVICTION), "--db", f"sqlite:///{path}", "load", str(EXAMPLE)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected["status"]
    assert sorted(os.listdir(folder)) == files
    assert fingerprint(path) == before
    # a write there is refused with a message, not a traceback
    assert write.returncode == 4, write.stderr
    no_traceback(write)


def test_a_wal_database_reads_read_only_and_sees_uncheckpointed_rows(loaded: Path) -> None:
    """A loader's WAL database, with a writer still holding rows in the -wal file."""
    path = loaded.parent / "live.db"
    shutil.copy(loaded, path)
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        with writer:
            writer.execute("UPDATE book SET name = 'renamed while reading'")
        assert Path(f"{path}-wal").stat().st_size > 0  # the row is only in the log
        main = fingerprint(path)
        engine = connect(f"sqlite:///{path}")
        assert read_book(engine).meta.name == "renamed while reading"
        engine.dispose()
        assert fingerprint(path) == main
    finally:
        writer.close()
    assert journal_mode(path) == "wal"


# --- the schema revision -----------------------------------------------------------------------


@pytest.fixture
def older_db(loaded: Path, tmp_path: Path) -> Path:
    """The loaded example, taken back to the first revision by Alembic's downgrade."""
    path = tmp_path / "older.db"
    shutil.copy(loaded, path)
    alembic(f"sqlite:///{path}", "downgrade", REVISIONS[0])
    checkpoint(path, "DELETE")
    assert schema(path)[-1] == (REVISIONS[0],)
    return path


@pytest.mark.parametrize("args", READS, ids=lambda a: a[0])
def test_a_read_of_an_older_schema_names_the_upgrade_and_changes_nothing(
    older_db: Path, args: list[str]
) -> None:
    before, rows, files = schema(older_db), dump(older_db), fingerprint(older_db)
    result = run(older_db, *args, process=args[0] == "status")
    assert result.returncode == 4, result.stderr
    no_traceback(result)
    message = " ".join(result.stderr.split())
    assert f"the database at {older_db} has schema revision {REVISIONS[0]}" in message
    assert f"this conviction needs {HEAD_REVISION}" in message
    assert "run `conviction init` (or `conviction load PATH`) to upgrade it" in message
    assert result.stdout == ""
    assert schema(older_db) == before and dump(older_db) == rows
    assert fingerprint(older_db) == files


def test_the_named_command_upgrades_an_older_schema(
    older_db: Path, expected: dict[str, Any]
) -> None:
    result = run(older_db, "init")
    assert result.returncode == 0, result.stderr
    assert schema(older_db)[-1] == (HEAD_REVISION,)
    after = run(older_db, "status", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == expected["status"]


def test_an_older_schema_is_a_store_error_in_the_library(older_db: Path) -> None:
    with pytest.raises(StoreError, match=f"needs {HEAD_REVISION}: run `conviction init`"):
        read_book(connect(f"sqlite:///{older_db}"))


@pytest.mark.parametrize("revision", ["9999_from_the_future", "c0ffee123456"])
def test_an_unknown_revision_is_a_clear_error_for_reads_and_writes(
    plain_db: Path, revision: str
) -> None:
    set_revision(plain_db, revision)
    before = dump(plain_db)
    for args in [*READS, ["load", str(EXAMPLE)], ["init"]]:
        result = run(plain_db, *args, process=args[0] == "load")
        assert result.returncode == 4, (args, result.stderr)
        no_traceback(result)
        message = " ".join(result.stderr.split())
        assert f"schema revision {revision}, which this conviction does not know" in message
        assert "written by a newer conviction, or is not a conviction database" in message
    assert dump(plain_db) == before


def test_tables_without_a_revision_are_a_clear_error(plain_db: Path) -> None:
    conn = sqlite3.connect(plain_db)
    try:
        conn.execute("DROP TABLE alembic_version")
    finally:
        conn.close()
    result = run(plain_db, "status")
    assert result.returncode == 4, result.stderr
    no_traceback(result)
    assert "has conviction's tables but no schema revision" in " ".join(result.stderr.split())


def test_a_database_with_no_tables_says_load_first(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # a file with no tables (zero bytes)
    before = fingerprint(path)
    for args in READS:
        result = run(path, *args)
        assert result.returncode == 3, result.stderr
        no_traceback(result)
        assert "holds no book yet: run `conviction load PATH` first" in result.stderr
    assert fingerprint(path) == before
    with pytest.raises(DataError, match="holds no book yet"):
        read_book(connect(f"sqlite:///{path}"))


def test_a_missing_database_is_not_created_by_a_read(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    result = run(path, "status", process=True)
    assert result.returncode == 3, result.stderr
    no_traceback(result)
    assert "there is no database at" in result.stderr
    assert "run `conviction load PATH` first" in result.stderr
    assert not path.exists() and os.listdir(tmp_path) == []


def test_the_write_path_sets_wal_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = run(path, "init")
    assert result.returncode == 0, result.stderr
    assert journal_mode(path) == "wal"
    assert schema(path)[-1] == (HEAD_REVISION,)


def test_a_write_command_writes_and_upgrades_an_older_schema(older_db: Path) -> None:
    """``thesis update`` is a write: it takes the write path, so an older schema is brought
    up to date first (after `conviction load` has stored the theses again)."""
    before = fingerprint(older_db)
    assert run(older_db, "load", str(EXAMPLE)).returncode == 0
    assert schema(older_db)[-1] == (HEAD_REVISION,)
    update = [
        "thesis",
        "update",
        "tesla",
        "--milestone",
        "ai5-chip",
        "--status",
        "slipped",
        "--evidence",
        "samples late",
        "--date",
        "2026-01-15",
        "--json",
    ]
    result = run(older_db, *update)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "slipped"
    assert fingerprint(older_db) != before
    shown = run(older_db, "thesis", "show", "tesla", "--json")
    assert shown.returncode == 0, shown.stderr
    (chip,) = (m for m in json.loads(shown.stdout)["milestones"] if m["id"] == "ai5-chip")
    assert chip["history"][-1]["status"] == "slipped"
