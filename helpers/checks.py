"""Checkpoint cells: check a learner's result and print one clear, stable line.

A checkpoint that passes prints a line starting with ``✅``; one that fails raises
:class:`CheckpointError` (an ``AssertionError``) that says what was expected, what was
found and what to try. Printed lines hold no timings or machine paths, so nbval can
compare them across machines.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "CheckpointError",
    "check_beats_baseline",
    "check_finite",
    "check_param_count",
    "checkpoint",
]


class CheckpointError(AssertionError):
    """A checkpoint found a result that differs from what the lesson expects."""


def checkpoint(condition: bool, passed: str, failed: str) -> None:
    """Print ``✅ passed`` if ``condition`` holds, else raise ``CheckpointError(failed)``.

    Examples
    --------
    >>> checkpoint(2 + 2 == 4, "arithmetic works", "2 + 2 is not 4")
    ✅ arithmetic works
    """
    if not condition:
        raise CheckpointError(f"❌ {failed}")
    print(f"✅ {passed}")


def check_finite(values, what: str, hint: str = "") -> None:
    """Raise a ``ValueError`` if ``values`` (a tensor or array) holds NaN or infinity.

    Some mistakes raise on one Keras backend and only give NaN on another: an
    ``Embedding`` given an id outside its table raises on TensorFlow and PyTorch but
    returns rows of NaN on JAX. Checking the result makes a cell stop the same way on
    every backend.

    Parameters
    ----------
    values
        A backend tensor or a NumPy array.
    what : str
        How to name the values in the message.
    hint : str
        What may have caused NaN, and the fix.

    Examples
    --------
    >>> check_finite([0.25, 0.75], "the answer")
    >>> check_finite([0.25, float("nan")], "the answer", "Check the ids.")
    Traceback (most recent call last):
    ...
    ValueError: the answer holds 1 NaN or infinite value(s) out of 2. Check the ids.
    """
    if not isinstance(values, (list, tuple, np.ndarray)):
        from keras import ops

        values = ops.convert_to_numpy(values)
    array = np.asarray(values, dtype=float)
    bad = int(array.size - np.isfinite(array).sum())
    if bad:
        message = f"{what} holds {bad} NaN or infinite value(s) out of {array.size}."
        raise ValueError(f"{message} {hint}".strip())


def check_param_count(model, expected: int, what: str | None = None) -> None:
    """Check that ``model`` has ``expected`` parameters in total.

    Parameters
    ----------
    model : keras.Model
        A built model.
    expected : int
        The parameter count the lesson derives by hand.
    what : str, optional
        How to name the model in the message; defaults to ``model.name``.
    """
    name = what or getattr(model, "name", "the model")
    found = int(model.count_params())
    checkpoint(
        found == expected,
        f"{name} has {found:,} parameters, as the arithmetic predicts.",
        f"{name} has {found:,} parameters but {expected:,} were expected. "
        "Compare its summary() with the lesson's layer by layer.",
    )


def check_beats_baseline(
    name: str,
    value: float,
    baseline: float,
    *,
    factor: float = 1.0,
    margin: float = 0.0,
    higher_is_better: bool = True,
    unit: str = "accuracy",
) -> None:
    """Check that a held-out score beats a trivial baseline by a clear margin.

    The score passes when ``value >= baseline * factor + margin`` (or, when lower is
    better, ``value <= baseline * factor - margin``). Scores are printed rounded so the
    line stays stable when the last digits vary between machines.

    Parameters
    ----------
    name : str
        What was measured, for example ``"functional model"``.
    value : float
        The held-out score.
    baseline : float
        The trivial baseline, for example chance accuracy or the MAE of the mean.
    factor, margin : float
        The bar is ``baseline * factor`` plus (or minus) ``margin``.
    higher_is_better : bool
        ``False`` for errors such as MAE.
    unit : str
        Name of the score in the message.
    """
    if not math.isfinite(value):
        raise CheckpointError(
            f"❌ {name}: held-out {unit} is {value}; training diverged. "
            "Lower the learning rate or check the targets' scale."
        )
    if higher_is_better:
        bar = baseline * factor + margin
        ok = value >= bar
        relation = "at least"
    else:
        bar = baseline * factor - margin
        ok = value <= bar
        relation = "at most"
    checkpoint(
        ok,
        f"{name}: held-out {unit} clears the bar ({relation} {bar:.2f}; baseline {baseline:.2f}).",
        f"{name}: held-out {unit} {value:.3f} misses the bar ({relation} {bar:.2f}; "
        f"baseline {baseline:.2f}). Train for more epochs or check the data and labels.",
    )
