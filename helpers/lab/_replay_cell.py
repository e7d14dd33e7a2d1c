"""The replay cell: a finished lab run as one cell of plain Keras (pure: no Keras, no widgets).

:func:`run_to_code` writes the data, the model built after ``keras.utils.set_random_seed``,
``compile`` with the run's loss weights, ``fit`` with ``shuffle=False`` (the lab's
batches in the lab's order) and the held-out metrics in ``scores``. Weights that changed
between epochs are replayed through variables in the model's state; a method whose
weights change within epochs is refused. ``_provenance`` reads a lab for it.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from ._methods import MANUAL, METHODS

__all__ = ["DEFAULT_DATA_LINES", "run_to_code"]

DEFAULT_DATA_LINES = (
    "posts = make_posts(3000, standardize_age=True, seed=0)",
    "train, test = posts.split(0.2)",
)
DEFAULT_MODEL_CALL = "compact_posts_model()"
DEFAULT_OPTIMIZER_CALL = "keras.optimizers.Adam(learning_rate=0.02)"  # the lab's default
DEFAULT_IMPORTS = (
    "from helpers.data import make_posts",
    "from helpers.models import compact_posts_model",
)
LINE = 100  # ruff's line length: the cell reads as `ruff format` would write it


def run_to_code(
    run: Any,
    *,
    heads: Sequence[str],
    loss: Mapping[str, str],
    metrics: Mapping[str, Any] | None = None,
    data_lines: Sequence[str] = DEFAULT_DATA_LINES,
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
    data_lines : sequence of str
        Code that leaves the lab's training and held-out ``Posts`` in ``train`` and
        ``test`` (see :func:`~helpers.lab._provenance.data_lines`); default: the lab's default data.
    model_call : str, default ``"compact_posts_model()"``
        An expression that builds the lab's model, uncompiled.
    model_source : str, optional
        Code to put before the model is built (the source of your own model function).
    imports : sequence of str
        Import lines for the names ``data_lines`` and ``model_call`` use.
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
    if not isinstance(model_call, str) or not model_call.strip():
        raise ValueError(f"model_call must be a Python expression as text, got {model_call!r}")
    if isinstance(data_lines, str) or not all(isinstance(x, str) for x in data_lines):
        raise ValueError(f"data_lines must be lines of code as text, got {data_lines!r}")
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
    method = getattr(run, "method", MANUAL) or MANUAL
    if not METHODS[method].replays_as_code:
        replayable = [repr(m.name) for m in METHODS.values() if m.replays_as_code]
        raise ValueError(
            f"run {number} used {method!r} weighting, which changes the loss weights at every "
            "training step through variables the lab's own model learns; plain Keras's "
            "compile(loss_weights=...) cannot express that, and the lab records the weights "
            "only once per epoch, so no cell can repeat this run exactly. Repeat a "
            f"{', '.join(replayable[:-1])} or {replayable[-1]} run instead."
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
    out += [*data_lines, ""]
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
    return f"{mode}, weights chosen by {method}" if METHODS[method].chooses_weights else mode


def _what(changes: list) -> str:
    if not changes:
        return "same data, model, seed, loss weights and batches."
    return "same data, model, seed and batches; the weights change as they did in the lab."


def _notes(run: Any, status: str, epochs: int, method: str) -> list[str]:
    notes = []
    if METHODS[method].chooses_weights:
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
