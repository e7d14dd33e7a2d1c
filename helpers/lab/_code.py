"""A finished lab run as one self-contained notebook cell of plain Keras.

:func:`run_to_code` writes the cell from plain values (pure: no Keras, no widgets):
the data, the model, ``keras.utils.set_random_seed`` before the model is built (so the
same initial weights), ``compile`` with the run's loss weights as numbers, ``fit`` with
``shuffle=False`` and the lab's batch size and epochs (so the same batches in the same
order), and ``evaluate(..., return_dict=True)`` on the held-out posts into ``scores``.
Run in a fresh kernel, it gives the lab run's held-out metrics.

A run whose loss weights changed while it trained (Live mode, or a method that chose
new weights at the start of an epoch) gets its weights as ``keras.Variable``\\ s that
belong to the model's state (so every backend's training step reads them, see
:mod:`helpers.lossweights`) and a small callback that assigns the recorded weights at
the recorded epochs. What the cell cannot reproduce, it says, or refuses with the
reason: uncertainty weighting changes the weights at every training step, inside the
lab's own model, which plain ``compile`` cannot express.

:func:`lab_to_code` reads those values from a :class:`~helpers.lab.LossWeightLab`.
"""

from __future__ import annotations

import inspect
import json
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["DEFAULT_DATA_CALL", "lab_to_code", "optimizer_call", "run_to_code"]

DEFAULT_DATA_CALL = "make_posts(3000, standardize_age=True, seed=0)"
DEFAULT_MODEL_CALL = "compact_posts_model()"
DEFAULT_OPTIMIZER_CALL = "keras.optimizers.Adam(learning_rate=0.02)"
DEFAULT_IMPORTS = (
    "from helpers.data import make_posts",
    "from helpers.models import compact_posts_model",
)
# Methods whose weights change only between epochs: the lab's record replays exactly.
REPLAYABLE_METHODS = ("manual", "dwa", "gradnorm")
LINE = 100  # ruff's line length: the cell reads as `ruff format` would write it


def run_to_code(
    run: Any,
    *,
    heads: Sequence[str],
    loss: Mapping[str, str],
    metrics: Mapping[str, Any] | None = None,
    data_call: str = DEFAULT_DATA_CALL,
    test_fraction: float = 0.2,
    model_call: str = DEFAULT_MODEL_CALL,
    model_source: str = "",
    imports: Sequence[str] = DEFAULT_IMPORTS,
    seed: int | None = 0,
    optimizer: str = DEFAULT_OPTIMIZER_CALL,
    batch_size: int = 64,
) -> str:
    """One notebook cell that repeats a finished lab run in plain Keras.

    Parameters
    ----------
    run : helpers.lab.Run
        A finished run (``lab.runs[-1]``): its mode, weights, epochs and weight changes.
    heads : sequence of str
        The model's output names, in order.
    loss : dict of str to str
        One loss name per head, as the lab compiled them.
    metrics : dict of str to list of str, optional
        Metrics per head, as the lab compiled them (names only).
    data_call : str, default ``"make_posts(3000, standardize_age=True, seed=0)"``
        An expression that makes the lab's data as one ``Posts`` (it is split with
        ``test_fraction``, as the lab split it).
    test_fraction : float, default 0.2
    model_call : str, default ``"compact_posts_model()"``
        An expression that builds the lab's model, uncompiled.
    model_source : str, optional
        Code to put before the model is built (the source of your own model function).
    imports : sequence of str
        Import lines for the names ``data_call`` and ``model_call`` use.
    seed : int or None, default 0
        The lab's seed (``keras.utils.set_random_seed`` before the model is built).
    optimizer : str, default ``"keras.optimizers.Adam(learning_rate=0.02)"``
        An expression making a fresh optimizer like the lab's.
    batch_size : int, default 64

    Returns
    -------
    str
        The cell's code. It ends with the held-out metrics in ``scores`` (a dict named as
        ``evaluate(..., return_dict=True)`` names them) and prints them.

    Raises
    ------
    ValueError
        For a run still training, a run with no completed epoch, or a run whose weights
        changed within epochs (uncertainty weighting); the message says why.
    """
    heads = [str(h) for h in heads]
    _check_names("loss", loss, heads, required=True)
    metrics = dict(metrics or {})
    _check_names("metrics", metrics, heads, required=False)
    for name, value in (("data_call", data_call), ("model_call", model_call)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a Python expression as text, got {value!r}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
    ):
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size must be an integer, got {batch_size!r}")
    status = getattr(run, "status", "done")
    number = getattr(run, "number", "?")
    if status == "running":
        raise ValueError(
            f"run {number} is still training; wait for it to end (lab.wait()) and ask again"
        )
    epochs = int(getattr(run, "epochs_run", 0) or 0)
    if epochs < 1:
        raise ValueError(f"run {number} completed no epoch, so there is nothing to repeat")
    method = getattr(run, "method", "manual") or "manual"
    if method not in REPLAYABLE_METHODS:
        raise ValueError(
            f"run {number} used {method!r} weighting, which changes the loss weights at every "
            "training step through variables the lab's own model learns; plain Keras's "
            "compile(loss_weights=...) cannot express that, and the lab records the weights "
            "only once per epoch, so no cell can repeat this run exactly. Repeat a manual, "
            "'dwa' or 'gradnorm' run instead."
        )
    start = {h: float(run.weights[h]) for h in heads}
    changes = [
        (int(epoch), {h: float(w[h]) for h in heads})
        for epoch, w in getattr(run, "weight_changes", []) or []
        if int(epoch) <= epochs
    ]
    mode = getattr(run, "mode", "retrain")

    title = f"# Lab run {number} ({_describe(mode, method)}) in plain Keras: {_what(changes)}"
    out: list[str] = _wrap_comment(title)
    out += _notes(run, status, epochs, method)
    out += ["import keras", ""]
    out += [*imports, ""] if imports else []
    if model_source.strip():
        out += [model_source.strip(), "", ""]
    out += [
        f"posts = {data_call.strip()}",
        f"train, test = posts.split({test_fraction!r})",
        "",
    ]
    if seed is not None:
        out.append(
            f"keras.utils.set_random_seed({int(seed)})  # the lab's seed: same initial weights"
        )
    out.append(f"model = {model_call.strip()}")
    if changes:
        out += [
            "# The loss weights live in variables that belong to the model's state, so every",
            "# backend's training step reads them and a callback can change them between epochs.",
            f"start_weights = {_literal(start, 'start_weights = ', '')}",
            "loss_weights = {",
            "    head: keras.Variable("
            'value, dtype="float32", trainable=False, name=f"loss_weight_{head}")',
            "    for head, value in start_weights.items()",
            "}",
            "for head, variable in loss_weights.items():",
            '    setattr(model, f"loss_weight_{head}", variable)',
            "",
            "# As the lab recorded them: (first epoch, counted from 1, they applied to, weights)",
            f"weight_changes = {_literal(changes, 'weight_changes = ', '')}",
            "",
            "",
            "class ReplayWeightChanges(keras.callbacks.Callback):",
            "    def on_epoch_begin(self, epoch, logs=None):",
            "        for first_epoch, weights in weight_changes:",
            "            if epoch + 1 == first_epoch:",
            "                for head, value in weights.items():",
            "                    loss_weights[head].assign(value)",
            "",
            "",
        ]
        weights_arg = "loss_weights"
    else:
        weights_arg = _literal(start, "    loss_weights=", ",")
    out += [
        "model.compile(",
        f"    optimizer={optimizer.strip()},",
        f"    loss={_literal(dict(loss), '    loss=', ',')},",
        f"    loss_weights={weights_arg},",
    ]
    if metrics:
        out.append(f"    metrics={_literal(metrics, '    metrics=', ',')},")
    out += [
        ")",
        "model.fit(",
        "    train.posts,",
        "    train.targets,",
        f"    batch_size={int(batch_size)},",
        f"    epochs={epochs},",
        "    shuffle=False,  # the lab's batches, in the lab's order",
        "    verbose=0,",
    ]
    if changes:
        out.append("    callbacks=[ReplayWeightChanges()],")
    out += [
        ")",
        "scores = model.evaluate("
        f"test.posts, test.targets, batch_size={int(batch_size)}, verbose=0, return_dict=True)",
        "for name, value in sorted(scores.items()):",
        '    print(f"{name:>16}: {value:.3f}")',
    ]
    return "\n".join(out) + "\n"


def _check_names(what: str, values: Any, heads: Sequence[str], *, required: bool) -> None:
    if not isinstance(values, Mapping):
        raise TypeError(f"{what} must be a dict keyed by head name {list(heads)}, got {values!r}")
    unknown = [k for k in values if k not in heads]
    missing = [h for h in heads if h not in values] if required else []
    if unknown or missing:
        raise ValueError(
            f"{what} must name the heads {list(heads)}; unknown {unknown}, missing {missing}"
        )
    for head, value in values.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        if not all(isinstance(v, str) for v in items):
            raise ValueError(
                f"{what} of head {head!r} is {value!r}; only names (such as 'mse' or "
                "'accuracy') can be written as code"
            )


def _describe(mode: str, method: str) -> str:
    return mode if method == "manual" else f"{mode}, weights chosen by {method}"


def _what(changes: list) -> str:
    if not changes:
        return "same data, model, seed, loss weights and batches."
    return "same data, model, seed and batches; the weights change as they did in the lab."


def _notes(run: Any, status: str, epochs: int, method: str) -> list[str]:
    notes = []
    if method != "manual":
        notes.append(
            f"# The weights {method} chose in the lab are replayed epoch by epoch; this cell "
            "does not compute them again."
        )
    if status == "stopped":
        notes.append(
            f"# Note: Stop ended this run during epoch {epochs} of {run.epochs}. The lab does "
            "not record after which batch, so this cell trains that epoch in full and its "
            "scores can differ from the lab's."
        )
    elif status == "diverged":
        notes.append(
            f"# Note: this run diverged in the lab (its loss became NaN by epoch {epochs}); "
            "this cell repeats that, so expect NaN scores."
        )
    elif status == "failed":
        notes.append("# Note: this run failed in the lab with an error; this cell may fail too.")
    return [line for note in notes for line in _wrap_comment(note)]


def _wrap_comment(text: str) -> list[str]:
    words, lines, line = text[2:].split(), [], "#"
    for word in words:
        if len(line) + 1 + len(word) > LINE:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line]


def _literal(value: Any, prefix: str, suffix: str) -> str:
    """``value`` as Python source, laid out as ``ruff format`` lays it out.

    On one line when ``prefix + value + suffix`` fits in :data:`LINE` columns, else one
    item per line (each with a trailing comma) at the indent of ``prefix``.
    """
    text = _source(value)
    if len(prefix) + len(text) + len(suffix) <= LINE:
        return text
    indent = len(prefix) - len(prefix.lstrip())
    pad = " " * (indent + 4)
    if isinstance(value, Mapping):
        items = "".join(f"{pad}{_source(k)}: {_source(v)},\n" for k, v in value.items())
        return "{\n" + items + " " * indent + "}"
    if isinstance(value, (list, tuple)):
        items = "".join(f"{pad}{_source(v)},\n" for v in value)
        return "[\n" + items + " " * indent + "]"
    return text


def _source(value: Any) -> str:
    """Python source for numbers, strings, lists, tuples and dicts, with double quotes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_source(k)}: {_source(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_source(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_source(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) as code")


# ---------------------------------------------------------------------- from a lab
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

    cls = type(optimizer)
    if getattr(keras.optimizers, cls.__name__, None) is not cls:
        raise ValueError(
            f"the lab's optimizer is a {cls.__module__}.{cls.__name__}, not one of "
            "keras.optimizers; give optimizer='...' as the code that makes it"
        )
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
