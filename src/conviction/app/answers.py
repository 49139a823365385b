"""One schema per answer: the JSON of a result object, and its pydantic model, generated.

The pure core returns frozen dataclasses (``BookStatus``, ``HistoryReport``, ``Review``...).
Their JSON — ``conviction ... --json``, the REST API's responses, its published OpenAPI
schema — is derived from those classes here, once per class, so the three cannot drift.

Rules of the generated model (``answer_model``) and of its JSON (``to_json``):

- its fields are the dataclass's fields (``typing.get_type_hints``) followed by its public
  ``@property`` members, typed by their return annotation (``BookStatus.total_gain``,
  ``CompanyLine.gain``);
- nested dataclasses become nested models; ``tuple[X, ...]`` and ``list[X]`` JSON arrays;
  ``dict[K, V]`` JSON objects (keys as text); ``dt.date`` ISO text ``YYYY-MM-DD``;
- every ``float`` may be ``null``: NaN and infinities (a figure that does not exist, such as
  the weight of an empty book) are written as ``null``;
- a NumPy array is written as nested JSON lists of its values (``ndarray.tolist()``), NaN
  as ``null`` and ``datetime64`` as ISO text;
- unknown keys are refused (``extra="forbid"``), so the schema is the whole answer.

Nothing here is built at import; ``answer_model`` caches one model per class.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import types
import typing
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, create_model

__all__ = ["answer", "answer_model", "array_json", "to_json"]

_CONFIG = ConfigDict(from_attributes=True, extra="forbid", ser_json_inf_nan="null")


def array_json(value: Any) -> Any:
    """A NumPy array (or scalar) as plain JSON values: nested lists, NaN and infinities as
    ``None``, ``datetime64`` as ISO text."""
    if isinstance(value, np.ndarray):
        if np.issubdtype(value.dtype, np.datetime64):
            return np.datetime_as_string(value.astype("datetime64[D]")).tolist()
        return _finite(value.tolist())
    if isinstance(value, np.generic):
        return _finite(value.item())
    if isinstance(value, list | tuple):
        return [array_json(v) for v in value]
    return value


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _scalar(value: Any) -> Any:
    """NumPy scalars as Python ones (``np.int64`` is not an ``int``); NaN as ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _date(value: Any) -> Any:
    if isinstance(value, np.datetime64):
        return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
    if isinstance(value, dt.datetime):
        return value.date()
    return value


_Array = Annotated[
    list[Any],
    BeforeValidator(array_json),
    PlainSerializer(lambda v: v, return_type=list[Any]),
]
_Float = Annotated[float | None, BeforeValidator(_scalar)]
_Int = Annotated[int, BeforeValidator(_scalar)]
_Date = Annotated[dt.date, BeforeValidator(_date)]


def _wire(tp: Any) -> Any:
    """The wire type of one annotation of a result class."""
    if tp is Any or tp is object:
        return Any
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return answer_model(tp)
    if tp is float:
        return _Float
    if tp is int:
        return _Int
    if tp is dt.date:
        return _Date
    if tp in (str, bool, type(None)):
        return tp
    if tp is np.ndarray:
        return _Array
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is np.ndarray:
        return _Array
    if origin is Literal:
        return tp
    if origin is Annotated:
        return _wire(args[0])
    if origin in (Union, types.UnionType):
        wired = tuple(_wire(a) for a in args)
        return functools.reduce(lambda a, b: a | b, wired) if len(wired) > 1 else wired[0]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return list[_wire(args[0])]  # type: ignore[misc]
        return tuple[tuple(_wire(a) for a in args)]  # type: ignore[misc]
    if origin in (list, typing.Sequence, typing.get_origin(typing.Sequence[int])):
        return list[_wire(args[0])]  # type: ignore[misc]
    if origin in (dict, typing.Mapping, typing.get_origin(typing.Mapping[int, int])):
        return dict[_wire(args[0]), _wire(args[1])]  # type: ignore[misc]
    raise TypeError(f"no JSON form for the annotation {tp!r}")


@functools.cache
def answer_model(cls: type) -> type[BaseModel]:
    """The pydantic model of a frozen result dataclass: its fields, then its properties."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {f.name: (_wire(hints[f.name]), ...) for f in dataclasses.fields(cls)}
    for name in dir(cls):
        member = getattr(cls, name, None)
        if name.startswith("_") or name in fields or not isinstance(member, property):
            continue
        returns = typing.get_type_hints(member.fget).get("return")
        if returns is None:
            raise TypeError(f"{cls.__name__}.{name} has no return annotation")
        fields[name] = (_wire(returns), ...)
    model: type[BaseModel] = create_model(
        cls.__name__,
        __config__=_CONFIG,
        __doc__=cls.__doc__ if cls.__doc__ and not cls.__doc__.startswith(cls.__name__) else None,
        __module__=cls.__module__,
        **fields,
    )
    return model


def answer(result: Any) -> BaseModel:
    """The typed wire object of a result (what the REST API returns)."""
    cls: type = type(result)
    return answer_model(cls).model_validate(result)


def to_json(result: Any) -> Any:
    """The JSON document of a result: plain dicts, lists, text, numbers, null.

    A list or tuple of results gives a list of their documents."""
    if isinstance(result, list | tuple):
        return [to_json(r) for r in result]
    return answer(result).model_dump(mode="json")
