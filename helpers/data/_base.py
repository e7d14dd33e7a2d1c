"""What every dataset shares: which fields hold one row per example, the split, and the
call that made it (``made_by``), so a result can be replayed without guessing."""

from __future__ import annotations

import dataclasses
import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from helpers._validate import split_cut

__all__ = ["call_text", "made_by_field", "per_example", "split_dataset"]

_PER_EXAMPLE = "per_example"


def per_example() -> Any:
    """A dataclass field holding one row per example (an array, or a dict of arrays)."""
    return dataclasses.field(metadata={_PER_EXAMPLE: True})


def made_by_field() -> Any:
    """The ``made_by`` field: a call that rebuilds the data, or None (not compared)."""
    return dataclasses.field(default=None, compare=False, repr=False, kw_only=True)


def split_dataset(data, test_fraction, what: str):
    """``(train, test)``: the first part and the last ``test_fraction`` of ``data``.

    Every field marked :func:`per_example` is sliced; the rest is shared. Each part's
    ``made_by`` is its parent's call followed by ``.split(fraction)[0]`` or ``[1]``.
    """
    cut = split_cut(len(data), test_fraction, what)
    parent = data.made_by
    parts = []
    for position, index in enumerate((slice(0, cut), slice(cut, None))):
        call = None if parent is None else f"{parent}.split({float(test_fraction)!r})[{position}]"
        parts.append(_take(data, index, call))
    return parts[0], parts[1]


def _take(data, index, made_by: str | None):
    changes: dict[str, Any] = {"made_by": made_by}
    for field in dataclasses.fields(data):
        if not field.metadata.get(_PER_EXAMPLE):
            continue
        value = getattr(data, field.name)
        if isinstance(value, Mapping):
            changes[field.name] = {key: rows[index] for key, rows in value.items()}
        else:
            changes[field.name] = value[index]
    return dataclasses.replace(data, **changes)


class _NotLiteral(Exception):
    pass


def _literal(value) -> str:
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, (tuple, list)):
        items = [_literal(item) for item in value]
        if isinstance(value, tuple):
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    raise _NotLiteral(value)


def _same(value, default) -> bool:
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
        return False
    if isinstance(value, bool) != isinstance(default, bool):
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


def call_text(function: Callable, arguments: Mapping[str, Any]) -> str | None:
    """The call ``function(...)`` with ``arguments``, as Python source, or None.

    The first parameter is written by position, ``seed`` always (so the call says which
    data it is), the others by keyword only where they differ from the default. None when
    an argument has no literal form (a NumPy ``Generator`` as the seed, say), since such
    data cannot be rebuilt from a call.

    Examples
    --------
    >>> def make_things(n_samples=10, *, seed=0):
    ...     return call_text(make_things, locals())
    >>> make_things(300, seed=2)
    'make_things(300, seed=2)'
    >>> make_things()
    'make_things(10, seed=0)'
    >>> make_things(seed=np.random.default_rng(0)) is None
    True
    """
    parts = []
    try:
        for position, (name, parameter) in enumerate(
            inspect.signature(function).parameters.items()
        ):
            value = arguments[name]
            if position == 0:
                parts.append(_literal(value))
            elif name == "seed" or not _same(value, parameter.default):
                parts.append(f"{name}={_literal(value)}")
    except _NotLiteral:
        return None
    return f"{function.__name__}({', '.join(parts)})"
