"""Provenance: what a lab was made from, as code for :func:`~helpers.lab._replay_cell.run_to_code`.

The data's own record of its call (``made_by``), the model's code, the optimizer's
settings and the seed, read from a :class:`~helpers.lab.LossWeightLab`.
"""

from __future__ import annotations

import inspect
import numbers
import re
from typing import Any

import numpy as np

from ._replay_cell import DEFAULT_IMPORTS, DEFAULT_MODEL_CALL, run_to_code

__all__ = ["data_lines", "lab_to_code", "optimizer_call"]


def optimizer_call(optimizer: Any) -> str:
    """A Keras optimizer as the expression that makes a fresh one with the same settings.

    Only settings that differ from the class's defaults are written; numbers held in
    float32 are written as their shortest float32 text (``0.02``, not ``0.0199999995``).

    Examples
    --------
    >>> optimizer_call(keras.optimizers.Adam(learning_rate=0.02))  # doctest: +SKIP
    'keras.optimizers.Adam(learning_rate=0.02)'
    """
    import keras

    # On some backends keras.optimizers.Adam() makes a subclass of its own (PyTorch's
    # torch_adam.Adam): the public class is the first of keras.optimizers in the MRO.
    # A learner's own class (a subclass of Adam, say) is refused: its code is not known.
    mro = type(optimizer).__mro__
    public = [c for c in mro if getattr(keras.optimizers, c.__name__, None) is c]
    own = public and all(c.__module__.startswith("keras.") for c in mro[: mro.index(public[0])])
    if not own or public[0].__name__ == "Optimizer":
        cls = type(optimizer)
        raise ValueError(
            f"the lab's optimizer is a {cls.__module__}.{cls.__name__}, not one of "
            "keras.optimizers; give optimizer='...' as the code that makes it"
        )
    cls = public[0]
    config = optimizer.get_config()
    default = cls().get_config()
    args = []
    for key, value in config.items():
        if key == "name" or default.get(key) == value:
            continue
        if isinstance(value, float) and isinstance(default.get(key), float):
            if np.float32(value) == np.float32(default[key]):
                continue
            value = float(str(np.float32(value)))
        if isinstance(value, dict):
            raise ValueError(
                f"the lab's optimizer has a {key} that is not a number ({value!r}); give "
                "optimizer='...' as the code that makes it"
            )
        args.append(f"{key}={value!r}")
    return f"keras.optimizers.{cls.__name__}({', '.join(args)})"


def lab_to_code(lab: Any, run: Any = None, *, data_call: str | None = None) -> str:
    """The cell that repeats one of ``lab``'s runs (default: its last finished run).

    Parameters
    ----------
    lab : helpers.lab.LossWeightLab
    run : Run or int, optional
        A run of the lab, or its number in the runs table. Default: the last finished.
    data_call : str, optional
        An expression making the lab's data as one ``Posts``, which the cell splits as
        the lab did. Default: the call the data recorded itself (``Posts.made_by``).

    Raises
    ------
    ValueError
        When the lab has no finished run, when its data recorded no call (a NumPy
        ``Generator`` as the seed, arrays sliced by hand) and no ``data_call`` is given,
        and in the cases :func:`run_to_code` refuses.
    """
    runs = list(lab.runs)
    if run is None:
        finished = [r for r in runs if r.status != "running"]
        if not finished:
            raise ValueError("the lab has no finished run yet: train once, then ask again")
        run = finished[-1]
    elif isinstance(run, numbers.Integral) and not isinstance(run, bool):
        matches = [r for r in runs if r.number == run]
        if not matches:
            numbers_ = [r.number for r in runs]
            raise ValueError(f"the lab has no run {run}; its runs are {numbers_}")
        run = matches[0]
    config = lab.config
    fraction = _fraction(len(config.x_train), len(config.x_test))
    lines = data_lines(config.made_by if data_call is None else data_call, fraction)
    if lines is None:
        raise ValueError(
            "the lab's data cannot be replayed: it does not record a call that makes it "
            "again (made with a NumPy Generator as the seed, or arrays sliced by hand). "
            "Pass the call that makes the same posts, split as the lab split them "
            f"(test_fraction={fraction}): lab.to_code(data_call='make_posts(...)'); or "
            "make the data with an int seed and give the lab the Posts itself."
        )
    model_call, model_source, imports = _model_code(lab.built_by)
    return run_to_code(
        run,
        heads=config.heads,
        loss=config.loss,
        metrics=config.metrics,
        data_lines=lines,
        model_call=model_call,
        model_source=model_source,
        imports=(*_data_imports(lines), *imports),
        seed=lab.seed,
        optimizer=optimizer_call(lab.model.optimizer),
        batch_size=config.batch_size,
    )


def data_lines(made_by: Any, test_fraction: float = 0.2) -> tuple[str, ...] | None:
    """The cell's lines that leave the lab's data in ``train`` and ``test``, or None.

    ``made_by`` is the call that made the lab's data as one ``Posts`` (split with
    ``test_fraction``, as the lab splits it), or a pair of calls for a ``(train, test)``
    pair; None (or a None in the pair) when the data cannot be made again by a call.

    Examples
    --------
    >>> data_lines(("make_posts(9).split(0.5)[0]", "make_posts(9).split(0.5)[1]"))
    ('train = make_posts(9).split(0.5)[0]', 'test = make_posts(9).split(0.5)[1]')
    """
    if isinstance(made_by, str) and made_by.strip():
        return (f"posts = {made_by.strip()}", f"train, test = posts.split({test_fraction!r})")
    if isinstance(made_by, (tuple, list)) and len(made_by) == 2 and all(made_by):
        return (f"train = {made_by[0]}", f"test = {made_by[1]}")
    return None


def _data_imports(lines: tuple[str, ...]) -> list[str]:
    """``from helpers.data import make_x`` for each generator the data lines call."""
    names = sorted(set(re.findall(r"\b(make_[a-z_]+)\(", " ".join(lines))))
    return [f"from helpers.data import {name}" for name in names]


def _fraction(n_train: int, n_test: int) -> float:
    """The shortest test_fraction that ``Posts.split`` turns into ``n_test`` posts."""
    n = n_train + n_test
    for digits in range(2, 8):
        fraction = round(n_test / n, digits)
        if int(round(n * fraction)) == n_test:
            return fraction
    return n_test / n


def _model_code(build_model: Any) -> tuple[str, str, tuple[str, ...]]:
    """(model_call, model_source, imports) for what the lab was given as build_model."""
    if build_model is None:
        return DEFAULT_MODEL_CALL, "", DEFAULT_IMPORTS[1:]
    if isinstance(build_model, str):
        return build_model, "", ()
    if not callable(build_model):
        raise TypeError(f"build_model must be a function or an expression, got {build_model!r}")
    name = getattr(build_model, "__name__", "")
    module = getattr(build_model, "__module__", "") or ""
    if name == "<lambda>" or not name.isidentifier():
        raise ValueError(
            "build_model is a lambda, which the cell cannot name; pass "
            "build_model='expression that builds the model' instead"
        )
    if module and module != "__main__":
        return f"{name}()", "", (f"from {module} import {name}",)
    try:
        source = inspect.getsource(build_model)
    except (OSError, TypeError) as exc:
        raise ValueError(
            f"cannot read the source of {name}(); pass build_model='expression' and put "
            "the function in the cell yourself"
        ) from exc
    return f"{name}()", _dedent(source), ("from keras import layers",)


def _dedent(source: str) -> str:
    lines = source.splitlines()
    pad = min((len(s) - len(s.lstrip()) for s in lines if s.strip()), default=0)
    return "\n".join(s[pad:] for s in lines)
