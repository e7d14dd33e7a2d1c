import numpy as np
import pytest

from helpers.data import make_clusters


def test_shapes_dtypes_and_balanced_classes():
    d = make_clusters(1000, n_features=64, n_classes=10, test_fraction=0.2, seed=0)
    assert d.x_train.shape == (800, 64) and d.x_test.shape == (200, 64)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    counts = np.bincount(np.concatenate([d.y_train, d.y_test]), minlength=10)
    assert counts.tolist() == [100] * 10
    assert d.chance == pytest.approx(0.1)
    assert 0.05 <= d.majority_baseline <= 0.2


def test_nearest_centroid_beats_chance_so_the_data_is_learnable():
    d = make_clusters(2000, seed=5)
    centroids = np.stack([d.x_train[d.y_train == k].mean(axis=0) for k in range(d.n_classes)])
    distances = ((d.x_test[:, None, :] - centroids[None]) ** 2).sum(-1)
    accuracy = np.mean(distances.argmin(axis=1) == d.y_test)
    assert accuracy > 5 * d.chance


def test_class_sep_makes_the_task_easier():
    def centroid_accuracy(sep):
        d = make_clusters(2000, class_sep=sep, seed=2)
        c = np.stack([d.x_train[d.y_train == k].mean(axis=0) for k in range(10)])
        pred = ((d.x_test[:, None] - c[None]) ** 2).sum(-1).argmin(1)
        return np.mean(pred == d.y_test)

    assert centroid_accuracy(0.1) < centroid_accuracy(0.5) < centroid_accuracy(2.0)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n_samples": 5}, ValueError, ["n_samples", ">= 20", "5"]),
        ({"n_samples": 2.5}, TypeError, ["n_samples", "integer", "2.5"]),
        ({"n_informative": 100}, ValueError, ["n_informative", "between 1 and 64", "100"]),
        ({"class_sep": float("nan")}, ValueError, ["class_sep", "finite", "nan"]),
        ({"test_fraction": 1.5}, ValueError, ["test_fraction", "between 0.05 and 0.95"]),
        ({"seed": -1}, ValueError, ["seed", "non-negative", "-1"]),
        ({"seed": "zero"}, TypeError, ["seed", "'zero'"]),
        ({"n_samples": 30, "n_classes": 20}, ValueError, ["n_samples", "2 * n_classes = 40"]),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        make_clusters(**kwargs)
    for word in words:
        assert word in str(info.value)
