"""Feature vectors in classes: the dataset for lesson 01's 64 -> 32 -> 32 -> 10 MLP."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers._validate import check_float, check_int, make_rng

from ._base import call_text, made_by_field


@dataclass(frozen=True)
class Clusters:
    """A train/test split of labelled feature vectors.

    Attributes
    ----------
    x_train, x_test : ndarray of float32, shape (n, n_features)
    y_train, y_test : ndarray of int64, shape (n,)
        Class ids in ``range(n_classes)``.
    n_classes : int
    made_by : str or None
        The call that made this data (``None`` for a NumPy ``Generator`` seed).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    made_by: str | None = made_by_field()

    @property
    def chance(self) -> float:
        """Expected accuracy of guessing uniformly at random: ``1 / n_classes``."""
        return 1.0 / self.n_classes

    @property
    def majority_baseline(self) -> float:
        """Test accuracy of always predicting the most frequent training class."""
        majority = np.bincount(self.y_train, minlength=self.n_classes).argmax()
        return float(np.mean(self.y_test == majority))


def make_clusters(
    n_samples: int = 2000,
    *,
    n_features: int = 64,
    n_classes: int = 10,
    n_informative: int = 16,
    class_sep: float = 0.5,
    noise: float = 1.0,
    test_fraction: float = 0.25,
    seed=0,
) -> Clusters:
    """Feature vectors whose class depends on a few informative features.

    Each class has a centre in an ``n_informative``-dimensional subspace; samples are
    the centre plus Gaussian noise, then mixed into all ``n_features`` dimensions by a
    random rotation, so no single input column gives the answer away. Classes are
    balanced.

    Parameters
    ----------
    n_samples : int, default 2000
        Total number of samples, split into train and test.
    n_features : int, default 64
        Width of each feature vector (the book's MLP takes 64).
    n_classes : int, default 10
        Number of classes (the book's softmax has 10).
    n_informative : int, default 16
        Dimensions that carry class information; at most ``n_features``.
    class_sep : float, default 0.5
        Distance scale between class centres. Larger is easier.
    noise : float, default 1.0
        Standard deviation of the within-class noise. Larger is harder.
    test_fraction : float, default 0.25
        Share of samples held out for testing, between 0.05 and 0.95.
    seed : int or numpy.random.Generator, default 0
        The same seed gives identical data.

    Returns
    -------
    Clusters

    Examples
    --------
    >>> data = make_clusters(1000, seed=1)
    >>> data.x_train.shape, data.n_classes
    ((750, 64), 10)
    """
    made_by = call_text(make_clusters, locals())
    n_samples = check_int("n_samples", n_samples, low=20)
    n_features = check_int("n_features", n_features, low=1)
    n_classes = check_int("n_classes", n_classes, low=2)
    n_informative = check_int("n_informative", n_informative, low=1, high=n_features)
    class_sep = check_float("class_sep", class_sep, low=0.0)
    noise = check_float("noise", noise, low=0.0)
    test_fraction = check_float("test_fraction", test_fraction, low=0.05, high=0.95)
    if n_samples < 2 * n_classes:
        raise ValueError(
            f"n_samples must be at least 2 * n_classes = {2 * n_classes} so that every class "
            f"appears in both splits, got n_samples={n_samples}"
        )
    rng = make_rng(seed)

    centres = rng.normal(0.0, class_sep * 2.0, size=(n_classes, n_informative))
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    informative = centres[y] + rng.normal(0.0, noise, size=(n_samples, n_informative))
    x = np.zeros((n_samples, n_features))
    x[:, :n_informative] = informative
    if n_features > n_informative:
        x[:, n_informative:] = rng.normal(0.0, noise, size=(n_samples, n_features - n_informative))
    rotation, _ = np.linalg.qr(rng.normal(size=(n_features, n_features)))
    x = (x @ rotation).astype(np.float32)

    n_test = max(n_classes, int(round(n_samples * test_fraction)))
    return Clusters(
        x_train=x[n_test:],
        y_train=y[n_test:].astype(np.int64),
        x_test=x[:n_test],
        y_test=y[:n_test].astype(np.int64),
        n_classes=n_classes,
        made_by=made_by,
    )
