"""The contract every dataset generator keeps, checked once over every ``make_*``.

Generators are found in ``helpers.data.__all__``, so a new one is covered when it is
exported. Each dataset's own file tests only what is specific to it (learnability, layout,
its knobs).
"""

import ast
import dataclasses
import random
import subprocess
import sys

import numpy as np
import pytest

import helpers.data

MAKERS = {
    name: getattr(helpers.data, name) for name in helpers.data.__all__ if name.startswith("make_")
}
SMALL = {"make_clusters": 200, "make_posts": 120, "make_qa": 120}  # others: 100
SPLITS = sorted(name for name in MAKERS if name != "make_clusters")  # clusters come pre-split


def _make(name, **kwargs):
    return MAKERS[name](SMALL.get(name, 100), **kwargs)


def _arrays(data) -> dict[str, np.ndarray]:
    """Every array a dataset holds, by field name (dicts of arrays flattened)."""
    found = {}
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if isinstance(value, np.ndarray):
            found[field.name] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, np.ndarray):
                    found[f"{field.name}[{key}]"] = item
    return found


def _same(a, b) -> bool:
    left, right = _arrays(a), _arrays(b)
    return left.keys() == right.keys() and all(np.array_equal(left[k], right[k]) for k in left)


def _replay(call: str):
    """Rebuild data from its ``made_by`` text: one ``make_*`` call with literal arguments,
    then ``.split(f)[i]`` or ``.swapped()``; anything else fails the test."""

    def build(node):
        if isinstance(node, ast.Subscript):
            return build(node.value)[ast.literal_eval(node.slice)]
        assert isinstance(node, ast.Call), ast.dump(node)
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        if isinstance(node.func, ast.Name):
            return MAKERS[node.func.id](*args, **kwargs)
        assert node.func.attr in ("split", "swapped"), node.func.attr
        return getattr(build(node.func.value), node.func.attr)(*args, **kwargs)

    return build(ast.parse(call, mode="eval").body)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_same_seed_gives_identical_data_and_different_seeds_differ(name):
    a, b, c = _make(name, seed=3), _make(name, seed=3), _make(name, seed=4)
    assert _same(a, b)
    assert not _same(a, c)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_generator_seed_is_used_as_given_and_cannot_be_replayed(name):
    a = _make(name, seed=np.random.default_rng(7))
    b = _make(name, seed=np.random.default_rng(7))
    assert _same(a, b)
    assert a.made_by is None


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_global_random_state_is_untouched(name):
    np.random.seed(123)
    random.seed(123)
    expected = np.random.random(3), random.random()
    np.random.seed(123)
    random.seed(123)
    _make(name, seed=1)
    np.testing.assert_array_equal(np.random.random(3), expected[0])
    assert random.random() == expected[1]


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_made_by_rebuilds_the_same_data(name):
    data = _make(name, seed=5)
    assert data.made_by.startswith(f"{name}(")
    assert "seed=5" in data.made_by
    assert _same(_replay(data.made_by), data)


@pytest.mark.parametrize("name", SPLITS)
def test_split_keeps_order_and_sizes_and_each_part_records_its_call(name):
    data = _make(name, seed=2)
    train, test = data.split(0.25)
    n = len(data)
    assert len(test) == round(n * 0.25) and len(train) + len(test) == n
    sliced = [f.name for f in dataclasses.fields(data) if f.metadata.get("per_example")]
    assert sliced, "no field is marked per_example"
    for key, whole in _arrays(data).items():
        if key.split("[")[0] in sliced:  # one row per example: the parts, in order
            np.testing.assert_array_equal(
                np.concatenate([_arrays(train)[key], _arrays(test)[key]]), whole
            )
        else:  # shared by both parts
            assert _arrays(train)[key] is whole and _arrays(test)[key] is whole
    assert test.made_by == f"{data.made_by}.split(0.25)[1]"
    assert _same(_replay(train.made_by), train) and _same(_replay(test.made_by), test)


@pytest.mark.parametrize("name", SPLITS)
@pytest.mark.parametrize("fraction", [0.0, 0.999, "0.2"])
def test_split_rejects_fractions_outside_the_allowed_range(name, fraction):
    with pytest.raises((ValueError, TypeError), match="test_fraction"):
        _make(name).split(fraction)


def test_every_generator_module_needs_only_numpy():
    modules = sorted(f"helpers.data.{name.removeprefix('make_')}" for name in MAKERS)
    code = (
        f"import sys; import {', '.join(modules)}; "
        "bad = [m for m in ('keras', 'tensorflow', 'jax', 'torch', 'matplotlib') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_generator_is_found():
    assert len(MAKERS) >= 6, sorted(MAKERS)
