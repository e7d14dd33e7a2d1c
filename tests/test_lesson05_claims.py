"""Lesson 05's learning claims, checked with the notebook's own code on a seed it does not use.

The notebook trains on seed 0. These tests take the functions its cells define
(``inception_module``, ``small_inception_network``, ``deep_stack``, ``fit_model``) from
the committed notebook itself, so they check the code learners run, and train them on
seed 1 with the notebook's budget (6 epochs each) and the notebook's bars. Three small
models in all: about 40 s of CPU time on a 2-core laptop.
"""

import ast
import json
from pathlib import Path

import pytest

from helpers.data import make_shapes
from helpers.env import quiet_keras_import, set_seed

keras = quiet_keras_import()

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05-graphs-of-layers.ipynb"
SEED = 1  # the notebook uses 0
FUNCTIONS = ("inception_module", "small_inception_network", "deep_stack", "fit_model")


class NoPlot(keras.callbacks.Callback):
    """Stands in for LiveLossPlot: nothing to draw in a test."""

    def __init__(self, **kwargs):
        super().__init__()


@pytest.fixture(scope="module")
def lesson():
    """The notebook's functions, defined against seed-1 data."""
    train, test = make_shapes(2400, seed=SEED).split(0.2)
    namespace = {
        "keras": keras,
        "layers": keras.layers,
        "LiveLossPlot": NoPlot,
        "train": train,
    }
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if not any(f"def {name}(" in source for name in FUNCTIONS):
            continue  # other cells may hold IPython magics, which ast cannot parse
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS:
                exec(ast.get_source_segment(source, node), namespace)
    missing = [name for name in FUNCTIONS if name not in namespace]
    assert not missing, f"the notebook no longer defines {missing}"
    namespace["test"] = test
    return namespace


def held_out_accuracy(model, test):
    return model.evaluate(test.images, test.labels, verbose=0, return_dict=True)["accuracy"]


def test_the_small_inception_network_beats_chance_by_a_wide_margin(lesson):
    set_seed(SEED)
    model = lesson["small_inception_network"]()
    lesson["fit_model"](model)
    test = lesson["test"]
    assert held_out_accuracy(model, test) >= 3 * test.chance


def test_the_residual_stack_learns_far_more_than_the_plain_one(lesson):
    set_seed(SEED)
    plain = lesson["deep_stack"](residual=False)
    set_seed(SEED)
    residual = lesson["deep_stack"](residual=True)
    lesson["fit_model"](plain)
    lesson["fit_model"](residual)
    test = lesson["test"]
    plain_accuracy = held_out_accuracy(plain, test)
    residual_accuracy = held_out_accuracy(residual, test)
    assert residual_accuracy >= 3 * test.chance, (plain_accuracy, residual_accuracy)
    assert residual_accuracy - plain_accuracy >= 0.2, (plain_accuracy, residual_accuracy)
