import numpy as np
import pytest

from helpers.data import SHAPES, Shapes, make_shapes


def test_shapes_dtypes_and_balanced_classes_of_the_defaults():
    d = make_shapes()
    assert isinstance(d, Shapes) and len(d) == 2400
    assert d.images.shape == (2400, 28, 28, 1) and d.images.dtype == np.float32
    assert d.labels.dtype == np.int64 and d.class_names == SHAPES
    assert np.bincount(d.labels).tolist() == [400] * 6
    assert d.n_classes == 6 and d.chance == pytest.approx(1 / 6)
    assert d.majority_baseline == pytest.approx(1 / 6)
    assert not np.array_equal(d.labels[:12], np.arange(12) % 6)  # shuffled
    assert "2400 images of 28 x 28 x 1" in repr(d)


def test_noise_has_the_requested_standard_deviation():
    clean = make_shapes(200, noise=0.0, seed=2)
    noisy = make_shapes(200, noise=0.5, seed=2)
    np.testing.assert_array_equal(clean.labels, noisy.labels)
    np.testing.assert_array_equal(clean.radius, noisy.radius)
    assert (noisy.images - clean.images).std() == pytest.approx(0.5, rel=0.02)


def test_clean_images_are_dark_outside_and_bright_inside_each_shape():
    d = make_shapes(600, noise=0.0, min_radius=7, max_radius=9, seed=5)
    assert d.images.min() == 0.0 and 0.6 <= d.images.max() <= 1.0
    # A shape never touches the image border: it was placed where it fits whole.
    border = np.concatenate(
        [d.images[:, 0], d.images[:, -1], d.images[:, :, 0], d.images[:, :, -1]], axis=1
    )
    assert border.max() == 0.0
    # Filled shapes light up more pixels than their outlines at the same size.
    lit = (d.images[..., 0] > 0.3).sum(axis=(1, 2)) / d.radius**2
    by_class = {name: lit[d.labels == k].mean() for k, name in enumerate(d.class_names)}
    assert by_class["disc"] > 1.5 * by_class["ring"]
    assert by_class["square"] > 1.5 * by_class["frame"]
    assert by_class["square"] > by_class["disc"] > by_class["plus"]


def test_the_centre_of_a_ring_is_dark_and_of_a_disc_bright():
    d = make_shapes(300, noise=0.0, classes=["disc", "ring"], min_radius=5, seed=1)
    centre_value = []
    for image in d.images[..., 0]:
        ys, xs = np.nonzero(image > 0.3)
        centre_value.append(image[int(round(ys.mean())), int(round(xs.mean()))])
    centre_value = np.asarray(centre_value)
    assert (centre_value[d.labels == 0] > 0.5).all()  # disc
    assert (centre_value[d.labels == 1] < 0.1).all()  # ring


def test_radius_range_is_respected_and_sizes_follow_it():
    d = make_shapes(500, min_radius=4, max_radius=6, noise=0.0, seed=3)
    assert d.radius.min() >= 4 and d.radius.max() <= 6
    big = make_shapes(500, min_radius=8, max_radius=9, noise=0.0, seed=3)
    assert (big.images > 0.3).sum() > 1.5 * (d.images > 0.3).sum()


def test_a_subset_of_classes_in_a_chosen_order():
    d = make_shapes(100, classes=["cross", "disc"], noise=0.0, seed=0)
    assert d.class_names == ("cross", "disc") and d.n_classes == 2
    assert d.chance == 0.5 and set(np.unique(d.labels)) == {0, 1}
    # Label 1 is a disc: its bright pixels form a compact blob (many of them at its size).
    lit = (d.images[..., 0] > 0.3).sum(axis=(1, 2)) / d.radius**2
    assert lit[d.labels == 1].mean() > 2 * lit[d.labels == 0].mean()


def test_other_image_sizes():
    d = make_shapes(20, image_size=12, seed=0)
    assert d.images.shape == (20, 12, 12, 1)
    d = make_shapes(20, image_size=64, seed=0)
    assert d.images.shape == (20, 64, 64, 1)
    assert d.radius.max() <= 64 / 3


def test_show_draws_each_example_as_text_with_its_name():
    d = make_shapes(12, noise=0.0, image_size=16, min_radius=5, seed=2)
    text = d.show(0)
    lines = text.splitlines()
    assert len(lines) == 16 + 1 and lines[-1] == d.class_names[d.labels[0]]
    assert max(len(line) for line in lines[:-1]) <= 32  # two characters per pixel
    assert "@" in text or "%" in text or "#" in text  # the shape is bright
    assert lines[0].strip() == ""  # the border is dark


def test_show_puts_examples_side_by_side_and_wraps_rows():
    d = make_shapes(12, seed=2)
    text = d.show(list(range(8)), per_row=5)
    blocks = text.split("\n\n")
    assert len(blocks) == 2
    assert len(blocks[0].splitlines()) == 14 + 1  # 28 pixels shown at half resolution
    names = blocks[0].splitlines()[-1].split()
    assert names == [d.class_names[k] for k in d.labels[:5]]


def test_show_marks_predictions_right_or_wrong():
    d = make_shapes(12, seed=2)
    right, wrong = int(d.labels[0]), (int(d.labels[1]) + 1) % 6
    text = d.show([0, 1], predictions=[right, wrong])
    assert f"model: {d.class_names[right]} (right)" in text
    assert f"model: {d.class_names[wrong]} (wrong)" in text
    with pytest.raises(ValueError, match="one label per index"):
        d.show([0, 1], predictions=[0])


def test_show_rejects_bad_indices():
    d = make_shapes(12)
    with pytest.raises(IndexError, match=r"\[-12, 12\), got 12"):
        d.show(12)
    with pytest.raises(ValueError, match="at least one"):
        d.show([])


def test_a_nearest_centroid_reader_beats_chance_so_the_data_is_learnable():
    """Even a linear read-out of the raw pixels does better than guessing."""
    d = make_shapes(3000, min_radius=6, max_radius=8, seed=11)
    train, test = d.split(0.25)
    x_train = train.images.reshape(len(train), -1)
    x_test = test.images.reshape(len(test), -1)
    centroids = np.stack([x_train[train.labels == k].mean(0) for k in range(d.n_classes)])
    distances = ((x_test[:, None, :] - centroids[None]) ** 2).sum(-1)
    accuracy = np.mean(distances.argmin(1) == test.labels)
    assert accuracy > 2 * d.chance


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n_samples": 5}, ValueError, ["n_samples", "between 10 and 200000", "5"]),
        ({"n_samples": 2.5}, TypeError, ["n_samples", "integer", "2.5"]),
        ({"image_size": 8}, ValueError, ["image_size", "between 12 and 64", "8"]),
        ({"noise": -0.1}, ValueError, ["noise", "between 0.0 and 2.0", "-0.1"]),
        ({"noise": float("nan")}, ValueError, ["noise", "finite", "nan"]),
        ({"classes": ["disc", "star"]}, ValueError, ["classes", "'star'", "ring"]),
        ({"classes": ["disc"]}, ValueError, ["classes", "at least two", "['disc']"]),
        ({"classes": ["disc", "disc"]}, ValueError, ["classes", "each once"]),
        ({"classes": "disc"}, TypeError, ["classes", "list of shape names", "'disc'"]),
        ({"max_radius": 14}, ValueError, ["max_radius", "between 2.5 and 12.0", "14"]),
        ({"min_radius": 1}, ValueError, ["min_radius", "between 2.5", "1"]),
        ({"min_radius": 8, "max_radius": 5}, ValueError, ["min_radius", "max_radius=5"]),
        ({"seed": -1}, ValueError, ["seed", "non-negative", "-1"]),
        ({"seed": "zero"}, TypeError, ["seed", "'zero'"]),
        (
            {"n_samples": 200_000, "image_size": 64},
            ValueError,
            ["n_samples * image_size**2", "100,000,000"],
        ),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        make_shapes(**kwargs)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("image_size", [12, 28, 33])
def test_the_largest_shapes_still_fit_inside_the_image(image_size):
    largest = image_size / 2 - 2
    d = make_shapes(
        300, image_size=image_size, noise=0.0, min_radius=largest - 0.5, max_radius=largest, seed=4
    )
    assert d.images[:, 0].max() == d.images[:, -1].max() == 0.0
    assert d.images[:, :, 0].max() == d.images[:, :, -1].max() == 0.0
    assert d.images[:, 1:-1, 1:-1].max() > 0.5
