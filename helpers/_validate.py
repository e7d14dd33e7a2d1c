"""Argument checks shared by the whole package: data generators, live plots and the lab.

Every message names the argument, the value received and what is allowed, in the
style of scikit-learn's ``make_*`` generators, so a learner can fix the call from the
message alone. NumPy only: importing this loads neither Keras nor widgets.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

__all__ = [
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_number",
    "make_rng",
    "split_cut",
]


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``, ``value`` and the allowed range.

    Examples
    --------
    >>> check_int("epochs", 3, low=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_range_text(low, high)}, got {value}")
    return value


def check_float(name: str, value, *, low: float | None = None, high: float | None = None) -> float:
    """Return ``value`` as a finite float within [low, high], or raise a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_range_text(low, high)}, got {value:g}")
    return value


def check_number(
    name: str,
    value,
    *,
    low: float,
    high: float | None = None,
    low_open: bool = False,
    fix: str,
) -> float:
    """Return ``value`` as a float in ``(low or [low, high]``, or raise with ``fix`` appended.

    Examples
    --------
    >>> check_number("max_overhead", 0.05, low=0.0, high=1.0, low_open=True, fix="e.g. 0.05")
    0.05
    """
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (high is None or value <= high)
    if not ok:
        low_text = f"> {low}" if low_open else f">= {low}"
        high_text = f" and <= {high}" if high is not None else ""
        raise ValueError(f"{name} must be a number {low_text}{high_text}, got {value!r}; {fix}")
    return float(value)


def check_bool(name: str, value, *, numpy_ok: bool = False) -> bool:
    """Return ``value`` if it is True or False, else raise a ``TypeError`` naming it.

    With ``numpy_ok``, NumPy's ``np.True_`` and ``np.False_`` are accepted too.
    """
    kinds = (bool, np.bool_) if numpy_ok else bool
    if not isinstance(value, kinds):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_seed(name: str, value) -> int:
    """Return ``value`` if it is a non-negative whole number, else raise naming it.

    Examples
    --------
    >>> check_seed("seed", 3)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return int(value)


def check_choice(name: str, value, allowed: Iterable) -> object:
    """Return ``value`` if it is one of ``allowed``, else raise listing the choices.

    Examples
    --------
    >>> check_choice("mode", "live", ("retrain", "live"))
    'live'
    """
    allowed = tuple(allowed)
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def split_cut(n: int, test_fraction, what: str) -> int:
    """Where a dataset of ``n`` items splits so the last ``test_fraction`` is held out.

    Raises if ``test_fraction`` is outside 0.05 to 0.95 or leaves a part empty, naming
    ``what`` the items are ("posts", "images").

    Examples
    --------
    >>> split_cut(1000, 0.2, "posts")
    800
    """
    test_fraction = check_float("test_fraction", test_fraction, low=0.05, high=0.95)
    n_test = int(round(n * test_fraction))
    if n_test < 1 or n_test >= n:
        raise ValueError(
            f"test_fraction={test_fraction:g} of {n} {what} leaves an empty part; "
            f"generate more {what} or choose another fraction"
        )
    return n - n_test


def make_rng(seed) -> np.random.Generator:
    """A private ``numpy.random.Generator`` for ``seed``; global random state is untouched."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"seed must be a non-negative integer or a numpy.random.Generator, got {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng(int(seed))


def _range_text(low, high) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f">= {low}"
    return f"<= {high}"
