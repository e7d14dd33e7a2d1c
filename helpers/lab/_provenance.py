"""A lab's run as code: reading the values :func:`~helpers.lab._code.run_to_code` needs.

The data call, the model's code, the optimizer's settings and the seed, read from a
:class:`~helpers.lab.LossWeightLab` (and checked against it), then handed to the pure
:func:`~helpers.lab._code.run_to_code`.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from ._code import DEFAULT_IMPORTS, DEFAULT_MODEL_CALL, run_to_code

__all__ = ["infer_data_call", "lab_to_code", "optimizer_call"]


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
    import numpy as np

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


def lab_to_code(
    lab: Any,
    run: Any = None,
    *,
    data_call: str | None = None,
    build_model: Callable[[], Any] | str | None = None,
    seed: int | None = 0,
    check_data: bool = True,
) -> str:
    """The cell that repeats one of ``lab``'s runs (default: its last finished run).

    Parameters
    ----------
    lab : helpers.lab.LossWeightLab
    run : Run or int, optional
        A run of the lab, or its number in the runs table. Default: the last finished.
    data_call : str, optional
        The call that made the lab's data, such as ``"make_posts(3000, seed=0)"``.
        Default: worked out from the lab's data, for data that ``make_posts`` made with
        its default settings apart from the number of posts, ``length``,
        ``one_hot_income``, ``standardize_age`` and ``seed`` (0 to 9).
    build_model : callable or str, optional
        What the lab was given as ``build_model``: a function (its import, or its source
        if it was written in the notebook, goes into the cell) or an expression. Default:
        :func:`helpers.models.compact_posts_model`.
    seed : int or None, default 0
        The seed the lab was created with.
    check_data : bool, default True
        Run ``data_call`` here and check that it gives the lab's data exactly.

    Raises
    ------
    ValueError
        When the lab has no finished run, when the data cannot be worked out or
        ``data_call`` gives other data, and in the cases :func:`run_to_code` refuses.
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
    config = lab.trainer.config
    n_train, n_test = len(config.x_train), len(config.x_test)
    test_fraction = _fraction(n_train, n_test)
    if data_call is None:
        data_call = infer_data_call(config, test_fraction)
    elif check_data:
        _check_data_call(data_call, config, test_fraction)
    model_call, model_source, imports = _model_code(build_model)
    return run_to_code(
        run,
        heads=config.heads,
        loss=config.loss,
        metrics=config.metrics,
        data_call=data_call,
        test_fraction=test_fraction,
        model_call=model_call,
        model_source=model_source,
        imports=imports,
        seed=seed,
        optimizer=optimizer_call(lab.model.optimizer),
        batch_size=config.batch_size,
    )


def _fraction(n_train: int, n_test: int) -> float:
    """The shortest test_fraction that ``Posts.split`` turns into ``n_test`` posts."""
    n = n_train + n_test
    for digits in range(2, 8):
        fraction = round(n_test / n, digits)
        if int(round(n * fraction)) == n_test:
            return fraction
    return n_test / n


def _data_matches(posts: Any, config: Any, test_fraction: float) -> bool:
    import numpy as np

    if not (hasattr(posts, "posts") and hasattr(posts, "split")):
        return False
    if len(posts) != len(config.x_train) + len(config.x_test):
        return False
    train, test = posts.split(test_fraction)
    pairs = [(train.posts, config.x_train), (test.posts, config.x_test)]
    pairs += [(train.targets[h], config.y_train[h]) for h in config.heads]
    pairs += [(test.targets[h], config.y_test[h]) for h in config.heads]
    return all(
        np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a), np.asarray(b))
        for a, b in pairs
    )


def infer_data_call(config: Any, test_fraction: float) -> str:
    """The ``make_posts(...)`` call that made the lab's data, checked, or a ValueError."""
    import numpy as np

    from helpers.data import make_posts

    how = (
        "pass data_call='make_posts(...)' written as you called it (or set check_data=False "
        "for data of your own)"
    )
    x_train = np.asarray(config.x_train)
    if x_train.ndim != 2 or not isinstance(config.y_train, Mapping) or "age" not in config.y_train:
        raise ValueError(f"the lab's data does not look like make_posts' posts; {how}")
    n = len(config.x_train) + len(config.x_test)
    options = []
    if x_train.shape[1] != 60:
        options.append(f"length={x_train.shape[1]}")
    if np.ndim(config.y_train["income"]) == 2:
        options.append("one_hot_income=True")
    age = np.asarray(config.y_train["age"], dtype=np.float64)
    if not np.all(age == np.round(age)):
        options.append("standardize_age=True")
    kwargs = dict(item.split("=") for item in options)
    kwargs = {k: (int(v) if v.isdigit() else v == "True") for k, v in kwargs.items()}
    for seed in range(10):
        try:
            posts = make_posts(n, seed=seed, **kwargs)
        except ValueError:
            break
        if _data_matches(posts, config, test_fraction):
            return f"make_posts({', '.join([str(n), *options, f'seed={seed}'])})"
    raise ValueError(
        f"cannot tell how the lab's data was made: no make_posts({n}, ...) with "
        f"{', '.join(options) or 'default settings'} and seed 0 to 9 gives it; {how}"
    )


def _check_data_call(data_call: str, config: Any, test_fraction: float) -> None:
    import helpers.data as data_module

    names = {name: getattr(data_module, name) for name in data_module.__all__}
    try:
        posts = eval(data_call, {"__builtins__": __builtins__}, names)  # noqa: S307
    except Exception as exc:  # the learner's own expression: say what went wrong
        raise ValueError(
            f"data_call {data_call!r} could not be run to check it ({type(exc).__name__}: "
            f"{exc}); use only helpers.data's functions in it, or pass check_data=False"
        ) from exc
    if not _data_matches(posts, config, test_fraction):
        raise ValueError(
            f"data_call {data_call!r} does not give the lab's data (split with test_fraction="
            f"{test_fraction}); write it exactly as the lab's data was made"
        )


def _model_code(build_model: Any) -> tuple[str, str, tuple[str, ...]]:
    """(model_call, model_source, imports) for what the lab was given as build_model."""
    data_import = DEFAULT_IMPORTS[0]
    if build_model is None:
        return DEFAULT_MODEL_CALL, "", DEFAULT_IMPORTS
    if isinstance(build_model, str):
        return build_model, "", (data_import,)
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
        return f"{name}()", "", (data_import, f"from {module} import {name}")
    try:
        source = inspect.getsource(build_model)
    except (OSError, TypeError) as exc:
        raise ValueError(
            f"cannot read the source of {name}(); pass build_model='expression' and put "
            "the function in the cell yourself"
        ) from exc
    return f"{name}()", _dedent(source), (data_import, "from keras import layers")


def _dedent(source: str) -> str:
    lines = source.splitlines()
    pad = min((len(s) - len(s.lstrip()) for s in lines if s.strip()), default=0)
    return "\n".join(s[pad:] for s in lines)
