"""The one serializer of answers: a result dataclass -> its pydantic model -> JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from pydantic import ValidationError

from conviction._typing import Float64Array
from conviction.app.answers import answer, answer_model, array_json, to_json
from conviction.io.book_reader import read_book
from conviction.ledger.book_status import BookStatus, status
from conviction.ledger.history import HistoryReport, history_report
from conviction.ledger.valuation import business_days

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "baron"


@dataclass(frozen=True, slots=True)
class Leg:
    name: str
    weight: float
    opened: dt.date | None


@dataclass(frozen=True)
class Sample:
    legs: tuple[Leg, ...]
    pair: tuple[int, str]
    by_key: dict[int, float]
    kind: Literal["a", "b"]
    curve: Float64Array
    days: np.ndarray

    @property
    def total(self) -> float:
        return sum(leg.weight for leg in self.legs)

    def method(self) -> int:  # a method is not an answer's field
        return 1


def _sample(weight: float = 0.5) -> Sample:
    return Sample(
        legs=(Leg("a", weight, dt.date(2025, 1, 2)), Leg("b", 1.0, None)),
        pair=(np.int64(3), "x"),  # type: ignore[arg-type]
        by_key={5: 0.1},
        kind="a",
        curve=np.array([[1.0, np.nan], [np.inf, 2.5]]),
        days=np.array(["2025-01-02", "2025-01-03"], dtype="datetime64[D]"),
    )


def test_fields_then_properties_nested_and_plain_json() -> None:
    doc = to_json(_sample())
    assert list(doc) == ["legs", "pair", "by_key", "kind", "curve", "days", "total"]
    assert doc["legs"][0] == {"name": "a", "weight": 0.5, "opened": "2025-01-02"}
    assert doc["legs"][1]["opened"] is None
    assert doc["pair"] == [3, "x"] and doc["by_key"] == {"5": 0.1}
    assert doc["curve"] == [[1.0, None], [None, 2.5]]  # NaN and infinities are null
    assert doc["days"] == ["2025-01-02", "2025-01-03"]
    assert doc["total"] == 1.5
    json.dumps(doc, allow_nan=False)  # strict JSON


def test_nan_is_null_and_every_number_may_be_null() -> None:
    doc = to_json(_sample(float("nan")))
    assert doc["legs"][0]["weight"] is None and doc["total"] is None
    schema = answer_model(Leg).model_json_schema()
    assert {"type": "null"} in schema["properties"]["weight"]["anyOf"]


def test_one_model_per_class_that_refuses_unknown_keys() -> None:
    model = answer_model(Sample)
    assert answer_model(Sample) is model  # cached
    assert model.model_json_schema()["additionalProperties"] is False
    with pytest.raises(ValidationError):
        answer_model(Leg).model_validate({"name": "a", "weight": 1.0, "opened": None, "x": 1})
    with pytest.raises(TypeError):
        answer_model(int)


def test_array_json_of_scalars_and_lists() -> None:
    assert array_json(np.float64("nan")) is None
    assert array_json([np.int64(2), np.arange(2.0)]) == [2, [0.0, 1.0]]


def test_the_status_answer_has_every_figure_of_the_result() -> None:
    book = read_book(EXAMPLE)
    st = status(book, dt.date(2025, 11, 14))
    doc = to_json(st)
    assert doc["total_gain"] == pytest.approx(st.total_gain)
    assert doc["price_effect"] + doc["currency_effect"] == pytest.approx(st.total_gain)
    tesla = next(c for c in doc["by_company"] if c["company"] == "tesla")
    line = st.company("tesla")
    assert tesla["gain"] == pytest.approx(line.gain)
    assert (tesla["local_currency"], tesla["mark_kind"]) == (line.local_currency, line.mark_kind)
    assert isinstance(answer(st), answer_model(BookStatus))
    assert set(doc) == set(answer_model(BookStatus).model_fields)


def test_an_empty_book_day_has_null_weights_not_nan() -> None:
    book = read_book(EXAMPLE)
    doc = to_json(status(book, dt.date(2000, 1, 3)))
    assert doc["total_value"] == 0
    text = json.dumps(doc, allow_nan=False)
    assert "NaN" not in text


def test_history_rows_carry_each_account() -> None:
    book = read_book(EXAMPLE)
    days = business_days(dt.date(2025, 9, 1), dt.date(2025, 11, 14))
    report = history_report(book, days, freq="M")
    doc = to_json(report)
    assert isinstance(report, HistoryReport) and report.days == days.size
    assert [r["date"] for r in doc["series"]] == ["2025-09-30", "2025-10-31", "2025-11-14"]
    names = [a["account"] for a in doc["accounts"]]
    assert all(set(r) == {"date", *names} for r in doc["series"])
    last = doc["series"][-1]
    for a in doc["accounts"]:
        assert a["end_value"] == pytest.approx(last[a["account"]])
        assert a["base"]["account"] == a["account"]
    assert not any(
        isinstance(v, float) and math.isnan(v) for r in doc["series"] for v in r.values()
    )


def test_the_projection_answer_is_the_cores_document() -> None:
    """``ProjectionResult.to_dict`` (the core's, for notebooks) and the answer agree."""
    from conviction.app.projection_answers import projection_report
    from conviction.app.runs import project_book
    from conviction.io.projection_toml import Overrides

    book = read_book(EXAMPLE)
    run = project_book(book, EXAMPLE / "projection.toml", overrides=Overrides(paths=2000))
    doc = to_json(projection_report(run))
    core = json.loads(json.dumps(run.result.to_dict()))
    assert doc.pop("terminal").pop("mean_note") == core["terminal"].pop("mean_note", None)
    assert {k: doc[k] for k in core if k != "terminal"} == {
        k: v for k, v in core.items() if k != "terminal"
    }
    extra = set(doc) - set(core)
    assert extra == {"as_of", "currency", "config", "not_projected"}
    assert doc["as_of"] == str(book.meta.as_of) and doc["not_projected"] == []
