import numpy as np
import pytest

from helpers.data import Views, make_views


def clean(n=400, seed=0, **kwargs):
    return make_views(n, noise=0.0, seed=seed, **kwargs)


def test_shapes_dtypes_and_names_of_the_defaults():
    d = make_views()
    assert isinstance(d, Views) and len(d) == 1500
    assert d.left.shape == d.right.shape == (1500, 12, 40, 1)
    assert d.left.dtype == d.right.dtype == np.float32
    assert d.depth.shape == d.disparity.shape == (1500,)
    assert d.depth.dtype == d.disparity.dtype == np.int64
    assert d.depth_names == ("near", "middle", "far")
    assert set(np.unique(d.depth)) == {0, 1, 2}
    assert d.inputs.keys() == {"left", "right"} and d.inputs["right"] is d.right
    assert make_views(20, height=8, width=24).left.shape == (20, 8, 24, 1)


def test_depth_names_for_other_numbers_of_classes():
    assert make_views(20, n_depths=2).depth_names == ("near", "far")
    assert make_views(20, n_depths=4, disparity_step=2).depth_names == (
        "near",
        "depth 1",
        "depth 2",
        "far",
    )


def test_disparities_fall_in_each_class_range_nearer_is_larger():
    d = make_views(3000, seed=1)  # step 3: far 0-1, middle 3-4, near 6-7
    for k, allowed in enumerate([{6, 7}, {3, 4}, {0, 1}]):
        assert set(np.unique(d.disparity[d.depth == k])) == allowed
    d = make_views(2000, n_depths=4, disparity_step=4, seed=2)
    for k in range(4):
        base = (3 - k) * 4
        assert set(np.unique(d.disparity[d.depth == k])) == {base, base + 1, base + 2}


def test_without_noise_the_right_view_is_the_left_shifted_by_the_disparity():
    d = clean(300, seed=5)
    for i in range(len(d)):
        shifted = np.roll(d.left[i], -int(d.disparity[i]), axis=1)
        np.testing.assert_array_equal(d.right[i], shifted)


def test_each_scene_holds_one_rectangle_of_the_documented_size_and_brightness():
    d = clean(500, seed=6)
    for image in d.left[:, :, :, 0]:
        bright = image > 0
        rows, cols = np.flatnonzero(bright.any(axis=1)), np.flatnonzero(bright.any(axis=0))
        values = image[bright]
        assert np.allclose(values, values[0]) and 0.5 <= values[0] <= 1.0
        assert 3 <= len(rows) <= 6 and np.all(np.diff(rows) == 1)
        assert 3 <= len(cols) <= 6 and bright.sum() == len(rows) * len(cols)


def test_one_view_alone_says_nothing_about_depth():
    """Object columns, sizes and brightness have the same distribution at every depth."""
    d = clean(6000, seed=7)
    for view in (d.left, d.right):
        image = view[:, :, :, 0]
        column_share = (image > 0).any(axis=1).mean(axis=0)  # how often each column is lit
        brightness = image.max(axis=(1, 2))
        area = (image > 0).sum(axis=(1, 2))
        per_depth = [
            (column_share_k, brightness[d.depth == k].mean(), area[d.depth == k].mean())
            for k in range(3)
            for column_share_k in [(image[d.depth == k] > 0).any(axis=1).mean(axis=0)]
        ]
        for columns, mean_brightness, mean_area in per_depth:
            assert np.abs(columns - column_share).max() < 0.04
            assert abs(mean_brightness - brightness.mean()) < 0.02
            assert abs(mean_area - area.mean()) < 1.0


def test_two_views_together_give_the_depth_by_a_simple_comparison():
    """Shift-and-compare (the idea a stereo model learns) recovers the depth from noisy views."""
    d = make_views(600, seed=8)
    shifts = np.arange(0, 8)
    errors = np.stack(
        [((np.roll(d.left, -s, axis=2) - d.right) ** 2).mean(axis=(1, 2, 3)) for s in shifts],
        axis=1,
    )
    best = shifts[errors.argmin(axis=1)]
    predicted_depth = np.select([best >= 6, best >= 3], [0, 1], 2)
    assert np.mean(predicted_depth == d.depth) > 0.9


def test_noise_sets_the_background_spread():
    d, scenes = make_views(300, noise=0.2, seed=9), clean(300, seed=9)
    for noisy, scene in ((d.left, scenes.left), (d.right, scenes.right)):
        assert (noisy - scene).std() == pytest.approx(0.2, abs=0.01)
        assert abs((noisy - scene).mean()) < 0.01
    # Each camera has its own noise.
    correlation = np.corrcoef((d.left - scenes.left).ravel(), (d.right - scenes.right).ravel())
    assert abs(correlation[0, 1]) < 0.02


def test_baselines():
    d = make_views(3000, seed=10)
    assert d.chance == pytest.approx(1 / 3)
    assert d.majority == pytest.approx(np.bincount(d.depth).max() / 3000)
    assert 1 / 3 <= d.majority < 0.37
    expected_mae = np.mean(np.abs(d.disparity - d.disparity.mean()))
    assert d.disparity_baseline_mae == pytest.approx(expected_mae)
    assert make_views(100, n_depths=2).chance == 0.5


def test_show_draws_both_views_and_the_answer():
    d = clean(20, seed=3)
    text = d.show(0)
    lines = text.splitlines()
    assert lines[0].startswith("left camera") and "right camera" in lines[0]
    assert len(lines) == 12 + 2
    picture = lines[1:-1]
    assert all(len(line) == 40 + 3 + 40 for line in picture)
    lit_left = {c for line in picture for c, ch in enumerate(line[:40]) if ch != " "}
    lit_right = {c for line in picture for c, ch in enumerate(line[43:]) if ch != " "}
    assert lit_right == {(c - int(d.disparity[0])) % 40 for c in lit_left}
    name = d.depth_names[d.depth[0]]
    assert lines[-1] == f"depth: {name} (disparity {d.disparity[0]} px)"
    wrong = (int(d.depth[0]) + 1) % 3
    assert d.show(0, prediction=int(d.depth[0])).endswith(f"model: {name} (right)")
    assert d.show(0, prediction=wrong).endswith(f"model: {d.depth_names[wrong]} (wrong)")
    assert d.show(-1) == d.show(19)
    with pytest.raises(IndexError, match="scene index"):
        d.show(20)
    with pytest.raises(ValueError, match="depth class 0 to 2"):
        d.show(0, prediction=3)
    with pytest.raises(TypeError, match="depth class"):
        d.show(0, prediction=1.5)


def test_repr_is_a_short_summary():
    assert repr(make_views(30)) == (
        "Views(30 scenes, two 12 x 40 grey views each, depths: near, middle, far)"
    )


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n_samples": 5}, ValueError, ["n_samples", "between 10 and 1000000", "5"]),
        ({"n_samples": 2.5}, TypeError, ["n_samples", "integer", "2.5"]),
        ({"height": 3}, ValueError, ["height", "between 4 and 64", "3"]),
        ({"width": 200}, ValueError, ["width", "between 8 and 128", "200"]),
        ({"n_depths": 1}, ValueError, ["n_depths", "between 2 and 6", "1"]),
        ({"disparity_step": 1}, ValueError, ["disparity_step", "between 2 and 8", "1"]),
        (
            {"n_depths": 6, "disparity_step": 4},
            ValueError,
            ["n_depths * disparity_step", "width // 2 = 20", "6 * 4 = 24"],
        ),
        ({"noise": -0.1}, ValueError, ["noise", "between 0.0 and 1.0", "-0.1"]),
        ({"noise": float("inf")}, ValueError, ["noise", "finite", "inf"]),
        (
            {"n_samples": 1_000_000, "height": 64, "width": 64},
            ValueError,
            ["n_samples * height * width", "100,000,000"],
        ),
        ({"seed": -1}, ValueError, ["seed", "non-negative", "-1"]),
        ({"seed": 1.5}, TypeError, ["seed", "1.5"]),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        make_views(**kwargs)
    for word in words:
        assert word in str(info.value)
