"""Draw a Keras model as a graph of layers, with shapes: the one way every lesson does it.

:func:`draw_model` gives the picture ``keras.utils.plot_model(model, show_shapes=True)``
draws: Keras's own ``keras.utils.model_to_dot`` builds the graph description (DOT text,
through the pure-Python ``pydot``), and a Graphviz ``dot`` program turns it into a PNG.

Which program? ``keras.utils.plot_model`` runs one called ``dot``, which comes with a
system install of Graphviz (``apt-get install graphviz``, ``brew install graphviz``): a
step a learner would have to do by hand. ``requirements.txt`` installs instead the
``graphviz-pure`` wheel, a self-contained port of Graphviz's ``dot`` command line with
wheels for Linux, macOS (Intel and Apple silicon) and Windows, so ``make lab``, Binder
and CI all draw the same pictures with no system package. Its command is called
``graphviz-pure`` (it never installs a ``dot`` that would shadow a real Graphviz), so
this module runs it itself. A system ``dot`` is used when ``graphviz-pure`` is missing
or fails. With neither, :func:`draw_model` prints one line saying what to install and
returns ``None``: a lesson never stops because a picture cannot be drawn.

Keras is imported only when a model is drawn, so ``import helpers.graphs`` stays fast.

Examples
--------
>>> from helpers.graphs import draw_model
>>> draw_model(model)  # doctest: +SKIP   (the last line of a cell shows the picture)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from helpers._validate import check_bool, check_choice, check_int

__all__ = ["RENDERERS", "SPLINES", "draw_model", "renderer"]

RENDERERS = ("graphviz-pure", "dot")
"""Programs that can turn DOT text into a PNG, in the order they are tried."""

INSTALL_HINT = (
    "run `pip install -r requirements.txt` in this kernel's environment "
    "(it installs pydot and graphviz-pure), or install Graphviz's `dot`"
)

_RANKDIRS = ("TB", "LR", "BT", "RL")
SPLINES = ("ortho", "spline", "polyline")
"""How :func:`draw_model` can draw arrows: right angles, curves, or straight segments."""
_TIMEOUT_S = 60
# The table cell in which Keras's model_to_dot shows a layer's input shape (the title
# row above spans it and the output cell: colspan="2").
_INPUT_SHAPE_CELL = re.compile(
    r'<td bgcolor="white"><font point-size="\d+">Input shape: <b>.*?</b></font></td>'
)


def renderer() -> str | None:
    """The name of the program :func:`draw_model` will run, or ``None`` if there is none.

    ``"graphviz-pure"`` (installed by ``requirements.txt``) is preferred, then a system
    Graphviz ``dot``. Programs are looked up on ``PATH`` and next to the running Python
    (a Jupyter kernel started from a virtual environment often lacks its ``bin`` folder on
    ``PATH``).

    Examples
    --------
    >>> renderer() in ("graphviz-pure", "dot", None)
    True
    """
    found = _find_renderers()
    return found[0][0] if found else None


def draw_model(
    model,
    *,
    show_shapes: bool = True,
    show_layer_names: bool = True,
    dpi: int = 72,
    rankdir: str = "TB",
    expand_nested: bool = False,
    show_input_shapes: bool = True,
    inputs_in_order: bool = False,
    splines: str = "ortho",
):
    """Draw ``model`` as a graph of layers; the picture ``keras.utils.plot_model`` gives.

    Each box is one layer (name and class), with its input and output shapes when
    ``show_shapes`` is true; each arrow is a tensor passed from one layer to the next.

    Parameters
    ----------
    model : keras.Model
        A built model: a functional model, a ``Sequential`` model with an ``Input``, or
        a model that has been called on data.
    show_shapes : bool, default True
        Show each layer's input and output shapes (``None`` is the batch dimension).
    show_layer_names : bool, default True
        Show each layer's name before its class.
    dpi : int, default 72
        Resolution of the PNG, between 20 and 300. 72 fits a notebook column.
    rankdir : {"TB", "LR", "BT", "RL"}, default "TB"
        Direction of the arrows: top to bottom, left to right, and so on.
    expand_nested : bool, default False
        Draw the layers of a model used inside ``model`` in a dashed box, instead of one
        box for the whole inner model.
    show_input_shapes : bool, default True
        With ``show_shapes``, show each layer's input shape beside its output shape.
        False shows output shapes only: each box is about half as wide (a wide graph
        then fits a notebook column), and nothing is lost, since a layer's input is the
        output of the box its arrow comes from.
    inputs_in_order : bool, default False
        Place the boxes that feed a layer with several inputs (``concatenate``, ``add``)
        in the order of its inputs, left to right (top to bottom with ``rankdir="LR"``),
        so branches appear in the order the code passes them. By default Graphviz
        chooses the order.
    splines : {"ortho", "spline", "polyline"}, default "ortho"
        How arrows are drawn: right angles (Keras's choice), curves, or straight
        segments. Right-angled arrows that cross may run out of the side of a box and
        along another; curves and segments leave every box at the bottom.

    Returns
    -------
    IPython.display.Image or None
        The PNG picture (the last line of a notebook cell shows it), or ``None`` when no
        program can draw it. In that case one line says what to install; nothing raises.

    Raises
    ------
    TypeError, ValueError
        For arguments that are not a model, not a bool, or out of range.

    Examples
    --------
    >>> inputs = keras.Input(shape=(64,))  # doctest: +SKIP
    >>> model = keras.Model(inputs, layers.Dense(10)(inputs))  # doctest: +SKIP
    >>> draw_model(model)  # doctest: +SKIP
    <IPython.core.display.Image object>

    A wide graph (four parallel branches) drawn narrower, branches in the code's order:

    >>> draw_model(module, show_input_shapes=False, inputs_in_order=True)  # doctest: +SKIP
    <IPython.core.display.Image object>
    """
    options = _check_options(
        show_shapes=show_shapes,
        show_layer_names=show_layer_names,
        dpi=dpi,
        rankdir=rankdir,
        expand_nested=expand_nested,
        show_input_shapes=show_input_shapes,
        inputs_in_order=inputs_in_order,
        splines=splines,
    )
    _check_model(model)

    try:
        import pydot  # noqa: F401  (keras.utils.model_to_dot needs it)
    except ImportError:
        print(f"No model picture: the pydot package is missing; {INSTALL_HINT}.")
        return None
    source = dot_source(model, **options)

    found = _find_renderers()
    if not found:
        print(f"No model picture: no Graphviz program found; {INSTALL_HINT}.")
        return None
    failures = []
    for name, path in found:
        png, problem = _render(path, source)
        if png is not None:
            from IPython.display import Image

            return Image(data=png, format="png")
        failures.append(f"{name} {problem}")
    print(f"No model picture: {'; '.join(failures)}; {INSTALL_HINT}.")
    return None


def dot_source(
    model,
    *,
    show_shapes: bool = True,
    show_layer_names: bool = True,
    dpi: int = 72,
    rankdir: str = "TB",
    expand_nested: bool = False,
    show_input_shapes: bool = True,
    inputs_in_order: bool = False,
    splines: str = "ortho",
) -> str:
    """The DOT text :func:`draw_model` renders: Keras's ``model_to_dot``, as a string.

    Takes :func:`draw_model`'s arguments. Needs ``pydot`` (no Graphviz program). Useful
    to check a graph's boxes and arrows without drawing it, or to paste into any
    Graphviz viewer.
    """
    options = _check_options(
        show_shapes=show_shapes,
        show_layer_names=show_layer_names,
        dpi=dpi,
        rankdir=rankdir,
        expand_nested=expand_nested,
        show_input_shapes=show_input_shapes,
        inputs_in_order=inputs_in_order,
        splines=splines,
    )
    from helpers.env import quiet_keras_import

    keras = quiet_keras_import()
    graph = keras.utils.model_to_dot(
        model,
        show_shapes=options["show_shapes"],
        show_layer_names=options["show_layer_names"],
        rankdir=options["rankdir"],
        expand_nested=options["expand_nested"],
        dpi=options["dpi"],
    )
    graph.set("splines", options["splines"])
    if options["inputs_in_order"]:
        graph.set("ordering", "in")
    if options["show_shapes"] and not options["show_input_shapes"]:
        for node in _nodes(graph):
            label = node.get("label")
            if label and _INPUT_SHAPE_CELL.search(label):
                label = _INPUT_SHAPE_CELL.sub("", label).replace('colspan="2"', 'colspan="1"')
                node.set("label", label)
    return graph.to_string()


def _check_options(**options) -> dict:
    """:func:`draw_model`'s drawing options, checked, by name."""
    flags = ("show_shapes", "show_layer_names", "expand_nested")
    for name in (*flags, "show_input_shapes", "inputs_in_order"):
        options[name] = check_bool(name, options[name])
    options["dpi"] = check_int("dpi", options["dpi"], low=20, high=300)
    check_choice("rankdir", options["rankdir"], _RANKDIRS)
    check_choice("splines", options["splines"], SPLINES)
    return options


def _nodes(graph) -> list:
    """Every node of a pydot graph, those in nested clusters (``expand_nested``) included."""
    found = list(graph.get_nodes())
    for subgraph in graph.get_subgraphs():
        found += _nodes(subgraph)
    return found


def _find_renderers() -> list[tuple[str, str]]:
    """(name, path) of each available program in :data:`RENDERERS`, in that order."""
    folders = []
    for folder in (Path(sys.executable).parent, _scripts_folder()):
        if folder is not None and folder not in folders:
            folders.append(folder)
    found = []
    for name in RENDERERS:
        path = shutil.which(name)
        if path is None:
            for folder in folders:
                path = shutil.which(name, path=str(folder))
                if path is not None:
                    break
        if path is not None:
            found.append((name, path))
    return found


def _scripts_folder() -> Path | None:
    try:
        return Path(sysconfig.get_path("scripts"))
    except (KeyError, TypeError):
        return None


def _render(program: str, source: str) -> tuple[bytes | None, str]:
    """Run ``program -Tpng`` on ``source``: (PNG bytes, "") or (None, what went wrong)."""
    try:
        result = subprocess.run(
            [program, "-Tpng"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"took over {_TIMEOUT_S} s"
    except OSError as exc:
        return None, f"could not start ({exc.strerror or exc})"
    if result.returncode != 0 or not result.stdout.startswith(b"\x89PNG"):
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {message[-1]}" if message else ""
        return None, f"failed (exit status {result.returncode}{detail})"
    return result.stdout, ""


def _check_model(model) -> None:
    if "keras" in sys.modules:
        keras = sys.modules["keras"]
        if isinstance(model, keras.Model):
            return
    raise TypeError(
        f"model must be a keras.Model (functional or Sequential), got {type(model).__name__}; "
        "build one with keras.Model(inputs, outputs) first"
    )
