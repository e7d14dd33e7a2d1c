import base64
import json
import os
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.display import Image

from helpers import graphs
from helpers.env import quiet_keras_import
from helpers.graphs import INSTALL_HINT, RENDERERS, dot_source, draw_model, renderer

keras = quiet_keras_import()
layers = keras.layers


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def chain_model():
    inputs = keras.Input(shape=(64,), name="features")
    x = layers.Dense(32, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(10, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="chain")


def branching_model():
    """Two branches from one input, joined by concatenate: a graph no stack can express."""
    inputs = keras.Input(shape=(8, 8, 3), name="images")
    a = layers.Conv2D(4, 1, name="branch_a")(inputs)
    b = layers.Conv2D(4, 3, padding="same", name="branch_b1")(inputs)
    b = layers.Conv2D(4, 3, padding="same", name="branch_b2")(b)
    joined = layers.concatenate([a, b], name="joined")
    return keras.Model(inputs, joined, name="branching")


def four_branch_model():
    """Four branches built in another order than concatenate takes them (like Inception)."""
    inputs = keras.Input(shape=(8, 8, 3), name="images")
    d = layers.Conv2D(4, 1, name="d_1x1")(inputs)
    b = layers.Conv2D(4, 1, name="b_1x1")(inputs)
    c = layers.AveragePooling2D(3, 1, padding="same", name="c_pool")(inputs)
    d = layers.Conv2D(4, 3, padding="same", name="d_3x3")(d)
    a = layers.Conv2D(4, 1, name="a_1x1")(inputs)
    b = layers.Conv2D(4, 3, padding="same", name="b_3x3")(b)
    c = layers.Conv2D(4, 3, padding="same", name="c_3x3")(c)
    joined = layers.concatenate([a, b, c, d], name="branches")
    return keras.Model(inputs, joined, name="four_branches")


def crossing_model():
    """Two encoders each feeding two merges: their arrows must cross (lesson 06's pair)."""
    left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    left_code = layers.Dense(3, name="left_encoder")(layers.Dense(3, name="left_hidden")(left))
    right_code = layers.Dense(3, name="right_encoder")(layers.Dense(3, name="right_hidden")(right))
    difference = layers.subtract([left_code, right_code], name="difference")
    product = layers.multiply([left_code, right_code], name="product")
    same = layers.Dense(1, name="same")(layers.concatenate([difference, product]))
    return keras.Model([left, right], same, name="pair")


def layout(model, **options):
    """Graphviz's layout of the picture: {layer name: (x, y, width, height)} and the arrows
    as (from, to, points), in inches, y upwards (``-Tplain``)."""
    names = {str(id(layer)): layer.name for layer in model.layers}
    program = graphs._find_renderers()[0][1]
    source = dot_source(model, **options)
    plain = subprocess.run([program, "-Tplain"], input=source.encode(), capture_output=True)
    assert plain.returncode == 0, plain.stderr
    boxes, arrows = {}, []
    for line in plain.stdout.decode().splitlines():
        words = line.split()
        if words[0] == "node":
            boxes[names[words[1]]] = tuple(float(v) for v in words[2:6])
        elif words[0] == "edge":
            count = int(words[3])
            values = [float(v) for v in words[4 : 4 + 2 * count]]
            arrows.append(
                (
                    names[words[1]],
                    names[words[2]],
                    list(zip(values[::2], values[1::2], strict=True)),
                )
            )
    return boxes, arrows


def no_renderers(monkeypatch):
    monkeypatch.setattr(graphs, "_find_renderers", lambda: [])


def fake_program(tmp_path, name, script):
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_renderer_is_installed_by_the_requirements():
    # CI and `make lab` install requirements.txt; a missing renderer there is a failure.
    assert renderer() in RENDERERS


def test_draw_model_returns_a_png_image_of_the_model():
    image = draw_model(chain_model())
    assert isinstance(image, Image)
    width, height = png_size(image.data)
    assert width > 100 and height > 100
    # What a notebook saves as image/png: the same bytes, base64-encoded.
    assert base64.b64decode(image._repr_png_()) == image.data


def test_the_text_form_of_the_picture_is_stable_for_nbval():
    assert repr(draw_model(chain_model())) == repr(draw_model(branching_model()))
    assert "0x" not in repr(draw_model(chain_model()))


def test_rankdir_lr_lays_the_graph_out_sideways():
    tb_width, tb_height = png_size(draw_model(chain_model()).data)
    lr_width, lr_height = png_size(draw_model(chain_model(), rankdir="LR").data)
    assert lr_width > 2 * tb_width and tb_height > 2 * lr_height


def test_dpi_scales_the_picture():
    small = png_size(draw_model(chain_model(), dpi=36).data)
    large = png_size(draw_model(chain_model(), dpi=144).data)
    assert large[0] == pytest.approx(4 * small[0], rel=0.1)
    assert large[1] == pytest.approx(4 * small[1], rel=0.1)


def test_the_graph_has_one_box_per_layer_and_one_arrow_per_connection():
    source = dot_source(branching_model())
    for name in ["images", "branch_a", "branch_b1", "branch_b2", "joined"]:
        assert f"<b>{name}</b>" in source
    assert source.count("->") == 5  # input->a, input->b1, b1->b2, a->joined, b2->joined


def test_shapes_and_names_can_be_left_out():
    with_shapes = dot_source(branching_model())
    assert "Output shape: <b>(None, 8, 8, 8)</b>" in with_shapes
    assert "Input shape: <b>[(None, 8, 8, 4), (None, 8, 8, 4)]</b>" in with_shapes
    plain = dot_source(branching_model(), show_shapes=False, show_layer_names=False)
    assert "Output shape" not in plain and "branch_a" not in plain
    assert "<b>Conv2D</b>" in plain


def test_output_shapes_only_leave_out_input_shapes_and_narrow_the_picture():
    source = dot_source(four_branch_model(), show_input_shapes=False)
    assert "Input shape" not in source
    assert source.count("Output shape:") == 9  # every box: the input and eight layers
    both = png_size(draw_model(four_branch_model()).data)
    outputs = png_size(draw_model(four_branch_model(), show_input_shapes=False).data)
    assert outputs[0] < 0.75 * both[0] and outputs[1] == both[1]
    # Without shapes there is nothing to leave out.
    model, plain = chain_model(), dict(show_shapes=False, show_layer_names=False)
    assert dot_source(model, show_input_shapes=False, **plain) == dot_source(model, **plain)


def test_output_shapes_only_applies_inside_expanded_nested_models():
    stack = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)], name="inner")
    inputs = keras.Input(shape=(4,), name="outer_input")
    outer = keras.Model(inputs, layers.Dense(1, name="top")(stack(inputs)), name="outer")
    source = dot_source(outer, expand_nested=True, show_input_shapes=False)
    assert "cluster" in source and "Input shape" not in source


def test_inputs_in_order_places_branches_in_the_order_concatenate_takes_them():
    assert "ordering=in" in dot_source(four_branch_model(), inputs_in_order=True)
    assert "ordering" not in dot_source(four_branch_model())
    boxes, _ = layout(four_branch_model(), inputs_in_order=True)
    lasts = ["a_1x1", "b_3x3", "c_3x3", "d_3x3"]  # the four inputs of `branches`, in order
    assert sorted(lasts, key=lambda name: boxes[name][0]) == lasts
    boxes, _ = layout(four_branch_model(), rankdir="LR", inputs_in_order=True)
    assert sorted(lasts, key=lambda name: -boxes[name][1]) == lasts  # top to bottom


def test_spline_arrows_leave_every_box_at_its_bottom_and_end_above_the_next():
    assert "splines=ortho" in dot_source(crossing_model())
    assert "splines=spline" in dot_source(crossing_model(), splines="spline")
    for splines in ("spline", "polyline"):
        boxes, arrows = layout(crossing_model(), splines=splines)
        assert len(arrows) == 11
        for tail, head, points in arrows:
            (x0, y0), (x1, y1) = points[0], points[-1]
            x, y, width, height = boxes[tail]
            assert abs(x0 - x) <= width / 2 and y0 == pytest.approx(y - height / 2, abs=0.02)
            x, y, width, height = boxes[head]
            assert abs(x1 - x) <= width / 2 and y1 >= y + height / 2 - 0.02
    assert isinstance(draw_model(crossing_model(), splines="spline"), Image)


def test_a_sequential_model_and_a_nested_model_are_drawn():
    stack = keras.Sequential(
        [keras.Input(shape=(4,)), layers.Dense(3), layers.Dense(2)], name="inner"
    )
    inputs = keras.Input(shape=(4,), name="outer_input")
    outer = keras.Model(inputs, layers.Dense(1, name="top")(stack(inputs)), name="outer")
    assert isinstance(draw_model(stack), Image)
    collapsed = dot_source(outer)
    expanded = dot_source(outer, expand_nested=True)
    assert "(Sequential)" in collapsed and "cluster" not in collapsed
    assert "cluster" in expanded and "(Sequential)" not in expanded
    assert isinstance(draw_model(outer, expand_nested=True), Image)


def test_a_model_that_is_not_built_raises_the_keras_error():
    with pytest.raises(ValueError, match="not yet been built"):
        draw_model(keras.Sequential([layers.Dense(2)]))


def test_no_renderer_prints_one_line_saying_what_to_install(monkeypatch, capsys):
    no_renderers(monkeypatch)
    assert draw_model(chain_model()) is None
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.count("\n") == 1
    assert "graphviz-pure" in out.out and "pip install -r requirements.txt" in out.out
    assert INSTALL_HINT in out.out


def test_renderer_is_none_when_no_program_is_found(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(graphs.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(graphs, "_scripts_folder", lambda: tmp_path)
    assert renderer() is None


def test_the_renderer_is_found_next_to_python_when_path_lacks_it(monkeypatch, tmp_path):
    # A kernel started from a virtual environment may not have its bin folder on PATH.
    fake = fake_program(tmp_path, "graphviz-pure", "exit 0")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(graphs.sys, "executable", str(tmp_path / "python"))
    assert renderer() == "graphviz-pure"
    assert graphs._find_renderers()[0] == ("graphviz-pure", fake)


def test_missing_pydot_prints_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pydot", None)  # makes `import pydot` fail
    assert draw_model(chain_model()) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "pydot" in out and "pip install" in out


def test_a_failing_renderer_is_reported_in_one_line(monkeypatch, tmp_path, capsys):
    broken = fake_program(tmp_path, "broken", "echo 'Error: syntax error in line 1' >&2; exit 3")
    monkeypatch.setattr(graphs, "_find_renderers", lambda: [("graphviz-pure", broken)])
    assert draw_model(chain_model()) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "graphviz-pure failed (exit status 3: Error: syntax error in line 1)" in out


def test_the_next_renderer_is_tried_when_the_first_fails(monkeypatch, tmp_path, capsys):
    broken = fake_program(tmp_path, "broken", "exit 1")
    working = graphs._find_renderers()[0][1]
    monkeypatch.setattr(
        graphs, "_find_renderers", lambda: [("graphviz-pure", broken), ("dot", working)]
    )
    assert isinstance(draw_model(chain_model()), Image)
    assert capsys.readouterr().out == ""


def test_a_renderer_that_prints_no_png_counts_as_failed(monkeypatch, tmp_path, capsys):
    liar = fake_program(tmp_path, "liar", "cat >/dev/null; echo not a picture")
    monkeypatch.setattr(graphs, "_find_renderers", lambda: [("dot", liar)])
    assert draw_model(chain_model()) is None
    assert "dot failed (exit status 0)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"dpi": 0}, ValueError, ["dpi", "between 20 and 300", "0"]),
        ({"dpi": 72.5}, TypeError, ["dpi", "integer", "72.5"]),
        ({"rankdir": "XY"}, ValueError, ["rankdir", "'TB'", "'XY'"]),
        ({"show_shapes": "yes"}, TypeError, ["show_shapes", "True or False", "'yes'"]),
        ({"expand_nested": 1}, TypeError, ["expand_nested", "True or False", "1"]),
        ({"show_input_shapes": "no"}, TypeError, ["show_input_shapes", "True or False"]),
        ({"inputs_in_order": 1}, TypeError, ["inputs_in_order", "True or False", "1"]),
        ({"splines": "curved"}, ValueError, ["splines", "'ortho', 'spline'", "'curved'"]),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        draw_model(chain_model(), **kwargs)
    for word in words:
        assert word in str(info.value)


def test_something_that_is_not_a_model_is_refused():
    with pytest.raises(TypeError, match="model must be a keras.Model.*got list"):
        draw_model([layers.Dense(2)])


def test_importing_the_module_does_not_import_keras():
    code = "import sys, helpers.graphs; sys.exit(1 if 'keras' in sys.modules else 0)"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_lesson_shows_the_models_it_draws_as_pictures(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    drawing = [
        c for c in cells if c["cell_type"] == "code" and "draw_model(" in "".join(c["source"])
    ]
    assert drawing, f"{path.name} draws no model; call draw_model(model) after building one"
    for cell in drawing:
        source = "".join(cell["source"])
        outputs = cell.get("outputs", [])
        assert any("image/png" in out.get("data", {}) for out in outputs), (
            f"{path.name}: `{source}` has no picture in its saved output; run the notebook "
            "with tools/execute_notebooks.py where graphviz-pure is installed"
        )
        assert "No model picture" not in json.dumps(outputs)
