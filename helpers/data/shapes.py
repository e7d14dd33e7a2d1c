"""Small grey images of shapes in noise: lesson 05's Inception and residual models.

Each image holds one shape (a disc, a ring, a square, a frame, a plus or a cross) of a
random size, position and brightness, drawn with soft edges on a dark background, plus
Gaussian noise. The class is the kind of shape. Telling a disc from a ring, or a square
from a frame, needs the inside of the shape; telling a ring from a frame needs its
outline at the shape's own scale: a small convolutional model that looks at several
scales at once learns it well, a guess scores ``1 / n_classes``.

``Shapes.show`` draws examples as text (NumPy only, no plotting library), so a notebook
can print them and the output stays the same on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers._validate import check_float, check_int, make_rng

from ._base import call_text, made_by_field, per_example, split_dataset

__all__ = ["SHAPES", "Shapes", "make_shapes"]

SHAPES = ("disc", "ring", "square", "frame", "plus", "cross")
"""The classes, in label order: label ``k`` is ``SHAPES[k]``."""

_MIN_SIZE, _MAX_SIZE = 12, 64  # image side in pixels
_THICKNESS = 2.0  # outline and stroke width in pixels
_SHADES = " .:-=+*#%@"  # text shades for show(), dark to bright


@dataclass(frozen=True)
class Shapes:
    """Grey images of shapes with their class labels.

    Attributes
    ----------
    images : ndarray of float32, shape (n, image_size, image_size, 1)
        Pixel values: about 0 for the background, ``brightness`` inside a shape, plus
        Gaussian noise. One channel, last, as ``keras.layers.Conv2D`` expects.
    labels : ndarray of int64, shape (n,)
        Class ids; ``class_names[label]`` names the shape.
    class_names : tuple of str
        The shapes in label order.
    radius : ndarray of float32, shape (n,)
        Each shape's half-width in pixels.
    made_by : str or None
        A call that rebuilds this data, such as ``make_shapes(300, seed=1).split(0.2)[0]``
        (``None`` for a NumPy ``Generator`` seed); ``lab.to_code()`` reads it.
    """

    images: np.ndarray = per_example()
    labels: np.ndarray = per_example()
    class_names: tuple[str, ...]
    radius: np.ndarray = per_example()
    made_by: str | None = made_by_field()

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        side = self.images.shape[1]
        return (
            f"Shapes({len(self)} images of {side} x {side} x 1, "
            f"{self.n_classes} classes: {', '.join(self.class_names)})"
        )

    @property
    def n_classes(self) -> int:
        """How many shapes there are to tell apart."""
        return len(self.class_names)

    @property
    def chance(self) -> float:
        """Expected accuracy of guessing uniformly at random: ``1 / n_classes``."""
        return 1.0 / self.n_classes

    @property
    def majority_baseline(self) -> float:
        """Accuracy of always predicting this set's most frequent class."""
        counts = np.bincount(self.labels, minlength=self.n_classes)
        return float(counts.max() / len(self))

    def split(self, test_fraction: float = 0.2) -> tuple[Shapes, Shapes]:
        """Split into a training part and a held-out part (the last ``test_fraction``).

        Images are in random order, so both parts follow the same distribution.

        Examples
        --------
        >>> train, test = make_shapes(1000).split(0.2)
        >>> len(train), len(test)
        (800, 200)
        """
        return split_dataset(self, test_fraction, "images")

    def show(self, indices, predictions=None, *, per_row: int = 6) -> str:
        """Examples as text pictures, side by side, each named under it.

        Brighter pixels get denser characters (``" .:-=+*#%@"``); each pixel is two
        characters wide so shapes keep their proportions. Images larger than 16 pixels
        are shown at half resolution (2 x 2 blocks averaged).

        Parameters
        ----------
        indices : int or sequence of int
            Which examples to show.
        predictions : int or sequence of int, optional
            Predicted labels, one per example; each picture then says ``model: ring
            (right)`` or ``(wrong)``.
        per_row : int, default 6
            Pictures per row before wrapping.

        Returns
        -------
        str
            ``print`` it.

        Examples
        --------
        >>> print(make_shapes(10, image_size=12, noise=0.0, seed=3).show(0))  # doctest: +SKIP
        """
        indices = self._check_indices(indices)
        per_row = check_int("per_row", per_row, low=1, high=20)
        if predictions is not None:
            predictions = np.atleast_1d(np.asarray(predictions))
            if predictions.shape != (len(indices),):
                raise ValueError(
                    f"predictions must hold one label per index ({len(indices)}), "
                    f"got shape {predictions.shape}"
                )
        pictures = []
        for k, i in enumerate(indices):
            caption = self.class_names[self.labels[i]]
            if predictions is not None:
                guess = int(predictions[k])
                mark = "right" if guess == int(self.labels[i]) else "wrong"
                name = self.class_names[guess] if 0 <= guess < self.n_classes else str(guess)
                caption += f" | model: {name} ({mark})"
            pictures.append((_as_text(self.images[i, :, :, 0]), caption))
        blocks = []
        for start in range(0, len(pictures), per_row):
            row = pictures[start : start + per_row]
            width = max(max(len(p[0][0]), len(p[1])) for p in row)
            lines = [
                "  ".join(p[0][r].ljust(width) for p in row).rstrip() for r in range(len(row[0][0]))
            ]
            lines.append("  ".join(p[1].ljust(width) for p in row).rstrip())
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def _check_indices(self, indices) -> list[int]:
        n = len(self)
        many = isinstance(indices, (Sequence, np.ndarray)) and not isinstance(indices, str)
        items = list(indices) if many else [indices]
        if not items:
            raise ValueError("indices must name at least one example, got an empty sequence")
        for i in items:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
                raise IndexError(f"example index must be an integer in [-{n}, {n}), got {i!r}")
        return [int(i) % n for i in items]


def make_shapes(
    n_samples: int = 2400,
    *,
    image_size: int = 28,
    classes: Sequence[str] | None = None,
    noise: float = 0.3,
    min_radius: float = 3.0,
    max_radius: float | None = None,
    seed=0,
) -> Shapes:
    """Grey images of shapes (disc, ring, square, frame, plus, cross) in Gaussian noise.

    Every image holds one shape, centred at a random position where it fits whole, with
    a half-width drawn uniformly from ``[min_radius, max_radius]`` and a brightness
    drawn uniformly from 0.6 to 1.0. Outlines and strokes are 2 pixels wide. Edges are
    soft (a pixel half inside a shape is half as bright), then noise with standard
    deviation ``noise`` is added to every pixel. Classes are balanced (as close as
    ``n_samples`` allows) and in random order.

    Parameters
    ----------
    n_samples : int, default 2400
        Number of images.
    image_size : int, default 28
        Side of the square images in pixels, between 12 and 64 (the book's Inception
        example assumes 28 x 28).
    classes : sequence of str, optional
        Which shapes to use, in label order; at least two of ``SHAPES``. Default: all six.
    noise : float, default 0.3
        Standard deviation of the pixel noise, between 0 and 2. Larger is harder; at 1.0
        the noise is as bright as the shapes.
    min_radius, max_radius : float
        Range of the shapes' half-widths in pixels. ``max_radius`` defaults to a third
        of ``image_size``; it may be at most ``image_size / 2 - 2`` so that a shape fits.
        ``min_radius`` is at least 2.5 so that an outline leaves a visible hole.
    seed : int or numpy.random.Generator, default 0
        The same seed gives identical data; global random state is never touched.

    Returns
    -------
    Shapes
        ``images`` (float32, ``(n, size, size, 1)``), ``labels``, ``class_names``,
        ``chance``, ``split()`` and ``show()``.

    Examples
    --------
    >>> data = make_shapes(600, seed=1)
    >>> data.images.shape, data.n_classes
    ((600, 28, 28, 1), 6)
    >>> train, test = data.split(0.25)
    >>> len(train), len(test)
    (450, 150)
    """
    made_by = call_text(make_shapes, locals())
    n_samples = check_int("n_samples", n_samples, low=10, high=200_000)
    image_size = check_int("image_size", image_size, low=_MIN_SIZE, high=_MAX_SIZE)
    class_names = _check_classes(classes)
    noise = check_float("noise", noise, low=0.0, high=2.0)
    largest = image_size / 2 - 2  # a shape, its outline and its soft edge fit inside
    if max_radius is None:
        max_radius = image_size / 3
    max_radius = check_float("max_radius", max_radius, low=2.5, high=largest)
    min_radius = check_float("min_radius", min_radius, low=2.5, high=largest)
    if min_radius > max_radius:
        raise ValueError(
            f"min_radius must be at most max_radius, got min_radius={min_radius:g} and "
            f"max_radius={max_radius:g}"
        )
    if n_samples * image_size * image_size > 100_000_000:
        raise ValueError(
            f"n_samples * image_size**2 must be at most 100,000,000 pixels, got "
            f"{n_samples} * {image_size}**2 = {n_samples * image_size**2:,}; make fewer "
            "or smaller images"
        )
    rng = make_rng(seed)

    n_classes = len(class_names)
    labels = np.arange(n_samples) % n_classes
    rng.shuffle(labels)
    radius = rng.uniform(min_radius, max_radius, size=n_samples)
    # A centre where the whole shape (outline and soft edge included) stays inside.
    margin = radius + _THICKNESS / 2 + 0.5
    centre_y = rng.uniform(margin, image_size - 1 - margin)
    centre_x = rng.uniform(margin, image_size - 1 - margin)
    brightness = rng.uniform(0.6, 1.0, size=n_samples)

    grid = np.arange(image_size, dtype=np.float64)
    images = np.empty((n_samples, image_size, image_size), dtype=np.float32)
    kinds = np.asarray([SHAPES.index(name) for name in class_names])[labels]
    chunk = 1024  # draw in chunks so memory stays small for large n_samples
    for start in range(0, n_samples, chunk):
        part = slice(start, start + chunk)
        dy = grid[None, :, None] - centre_y[part, None, None]
        dx = grid[None, None, :] - centre_x[part, None, None]
        distance = _signed_distance(kinds[part], dy, dx, radius[part, None, None])
        coverage = np.clip(0.5 - distance, 0.0, 1.0)  # soft, one-pixel edges
        images[part] = brightness[part, None, None] * coverage
    images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
    return Shapes(
        images=images[..., None],
        labels=labels.astype(np.int64),
        class_names=class_names,
        radius=radius.astype(np.float32),
        made_by=made_by,
    )


def _signed_distance(kinds, dy, dx, r) -> np.ndarray:
    """Distance in pixels to each shape's edge: negative inside, positive outside."""
    half = _THICKNESS / 2
    dy, dx = np.broadcast_arrays(dy, dx)
    r = np.broadcast_to(r, dy.shape)
    out = np.empty(dy.shape)
    round_ = np.hypot(dy, dx)
    box = np.maximum(np.abs(dy), np.abs(dx))
    formulas = {
        "disc": lambda k: round_[k] - r[k],
        "ring": lambda k: np.abs(round_[k] - r[k]) - half,
        "square": lambda k: box[k] - r[k],
        "frame": lambda k: np.abs(box[k] - r[k]) - half,
        "plus": lambda k: _two_bars(np.abs(dy[k]), np.abs(dx[k]), r[k], half),
        "cross": lambda k: _two_bars(
            np.abs(dy[k] + dx[k]) / np.sqrt(2), np.abs(dy[k] - dx[k]) / np.sqrt(2), r[k], half
        ),
    }
    for index, name in enumerate(SHAPES):
        which = kinds == index
        if which.any():
            out[which] = formulas[name](which)
    return out


def _two_bars(a, b, r, half) -> np.ndarray:
    """Two perpendicular bars of half-length ``r`` and half-width ``half``."""
    along_b = np.maximum(a - half, b - r)
    along_a = np.maximum(b - half, a - r)
    return np.minimum(along_a, along_b)


def _as_text(image: np.ndarray) -> list[str]:
    """A grey image as lines of text, two characters per pixel."""
    if image.shape[0] > 16:
        rows, cols = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
        image = image[:rows, :cols].reshape(rows // 2, 2, cols // 2, 2).mean(axis=(1, 3))
    levels = np.clip(np.round(image * (len(_SHADES) - 1)), 0, len(_SHADES) - 1).astype(int)
    return ["".join(_SHADES[v] * 2 for v in row) for row in levels]


def _check_classes(classes) -> tuple[str, ...]:
    if classes is None:
        return SHAPES
    if isinstance(classes, str) or not isinstance(classes, (Sequence, np.ndarray)):
        raise TypeError(
            f"classes must be a list of shape names such as ['disc', 'ring'], got {classes!r}"
        )
    names = tuple(classes)
    unknown = [c for c in names if c not in SHAPES]
    if unknown:
        raise ValueError(f"classes must be names from {', '.join(SHAPES)}; got unknown {unknown!r}")
    if len(set(names)) != len(names) or len(names) < 2:
        raise ValueError(
            f"classes must name at least two different shapes, each once; got {list(names)!r}"
        )
    return names
