"""In an 80-column terminal every table stays readable: no id, date or number is cut to "…".

Each command runs as the installed script does, in a subprocess with ``COLUMNS=80``, on the
bundled example; its ``--json`` answer names the ids and dates it shows, and each of them
must appear whole in the table output. Columns left out to fit are named in a caption.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from needs_data import need

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
PRICES = ROOT.parent / "shared" / "data" / "prices"

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: JSON keys whose string values are ids of accounts, companies, people, theses, lots.
ID_KEYS = {"account", "company", "subject", "id", "person", "lot", "policy", "holding"}

#: command -> (arguments, JSON keys whose subtree the table does not show, by design)
COMMANDS: dict[str, tuple[list[str], set[str]]] = {
    "status": (["status"], set()),
    # the table shows the last 24 month ends of the series (checked apart below)
    "history": (["history"], {"series"}),
    "gains": (["gains"], set()),
    # the first cash flow's date is in the IRR, not in a column
    "private": (["private"], {"first_flow"}),
    "review": (["review"], set()),
    # statements and evidence are long text, not table cells
    "thesis list": (["thesis", "list"], set()),
    "people": (["people"], {"evidence"}),
    "sensitivity": (
        ["sensitivity", "--config", str(EXAMPLE / "projection.toml"), "--paths", "128"],
        set(),
    ),
    "solve": (["solve", "--config", str(EXAMPLE / "projection.toml"), "--paths", "128"], set()),
    "backtest": (
        ["backtest", "--policy", str(EXAMPLE / "policies" / "baron.toml")],
        {"daily", "trades", "series", "hold_series", "traded_series", "values"},
    ),
}


#: Runs each argv of a JSON list on stdin through ``conviction.cli.main`` (the installed
#: script's entry point) in one process, so the imports are paid once; prints a JSON list
#: of [exit code, stdout, stderr].
DRIVER = """
import io, json, sys
from conviction.cli import main
done = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr, sys.argv = out, err, ["conviction", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    done.append([code, out.getvalue(), err.getvalue()])
json.dump(done, sys.stdout)
"""


def _run_all(runs: list[list[str]], env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for argv, (code, _, err) in zip(runs, results, strict=True):
        assert code == 0, f"conviction {' '.join(argv)}: {err}"
    return [stdout for _, stdout, _ in results]


STATS = ["stats", str(PRICES / "TSLA.csv"), "--benchmark", str(PRICES / "SPY.csv")]
COMPARE = [
    "compare",
    "--config",
    str(EXAMPLE / "projection.toml"),
    "--paths",
    "64",
    *(f"--policy={EXAMPLE / 'policies' / p}.toml" for p in ("hold", "baron")),
]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], str]:
    """What each command prints: (COLUMNS, *argv) -> stdout, on the example book."""
    db = tmp_path_factory.mktemp("narrow") / "book.db"
    env = {**os.environ, "CONVICTION_DB": f"sqlite:///{db}"}
    env.pop("LINES", None)
    _run_all([["init"], ["load", str(EXAMPLE)]], env)
    runs = [args for args, _ in COMMANDS.values()] + [COMPARE]
    if PRICES.is_dir():
        runs.append(STATS)
    runs += [[*args, "--json"] for args in runs]
    found: dict[tuple[str, ...], str] = {}
    for width, argvs in (("80", runs), ("160", [["gains"], ["thesis", "list"]])):
        outputs = _run_all(argvs, {**env, "COLUMNS": width})
        found.update({(width, *argv): text for argv, text in zip(argvs, outputs, strict=True)})
    return found


def _shown(payload: Any, skip: set[str], key: str = "") -> set[str]:
    """The ids and ISO dates in a JSON answer, leaving out the subtrees under ``skip``."""
    found: set[str] = set()
    if isinstance(payload, dict):
        for k, v in payload.items():
            if k not in skip:
                found |= _shown(v, skip, k)
    elif isinstance(payload, list):
        for v in payload:
            found |= _shown(v, skip, key)
    elif isinstance(payload, str) and (ISO_DATE.match(payload) or key in ID_KEYS):
        found.add(payload)
    return found


def _check(table: str, expected: set[str]) -> None:
    assert "…" not in table, table
    whole = {t for t in expected if re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", table)}
    assert whole == expected, f"{sorted(expected - whole)} not shown whole in:\n{table}"
    # every line of a table fits the terminal (a title or a message wraps in it)
    rows = [line for line in table.splitlines() if any(c in line for c in "│┃━─")]
    assert rows and max(len(line) for line in rows) <= 80, table


@pytest.mark.parametrize("name", list(COMMANDS))
def test_tables_fit_80_columns(name: str, printed: dict[tuple[str, ...], str]) -> None:
    args, skip = COMMANDS[name]
    payload = json.loads(printed[("80", *args, "--json")])
    expected = _shown(payload, skip)
    if name == "history":
        expected |= {row["date"] for row in payload["series"][-24:]}
    assert expected, payload
    _check(printed[("80", *args)], expected)


def test_gains_says_which_columns_it_left_out(printed: dict[tuple[str, ...], str]) -> None:
    assert "left out at 80 columns: term (see --json)" in printed[("80", "gains")]
    wide = printed[("160", "gains")]
    assert "left out" not in wide and "term" in wide


def test_thesis_list_counts_in_one_column_when_narrow(
    printed: dict[tuple[str, ...], str],
) -> None:
    assert "2 pending" in printed[("80", "thesis", "list")]
    wide = printed[("160", "thesis", "list")]
    assert "slipped" in wide and "2 pending" not in wide


def test_stats_tables_fit_80_columns(printed: dict[tuple[str, ...], str]) -> None:
    need(PRICES)
    payload = json.loads(printed[("80", *STATS, "--json")])
    _check(printed[("80", *STATS)], _shown(payload, set()))


def test_compare_tables_fit_80_columns(printed: dict[tuple[str, ...], str]) -> None:
    payload = json.loads(printed[("80", *COMPARE, "--json")])
    _check(printed[("80", *COMPARE)], _shown(payload, set()))
