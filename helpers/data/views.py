"""Two camera views of one scene, labelled by how near the object is: lesson 07.

The book's dual-camera model (two parallel cameras a few centimetres apart, one shared
vision base) can perceive depth. These scenes make that learnable at a size that trains
in seconds: each scene is a small grey image holding one bright rectangle on a noisy
background. The right camera sees the object shifted to the left by its *disparity*,
which is large for near objects and small for far ones, exactly as with two eyes. The
object's position, size and brightness are random and independent of its depth, and the
scene wraps around horizontally (a strip of a panorama), so each view alone looks the
same whatever the depth: only comparing the two views tells near from far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers._validate import check_float, check_int, make_rng

from ._base import call_text, made_by_field, per_example, split_dataset

__all__ = ["Views", "make_views"]

_SHADES = " .:-=+*#%@"  # dark to bright, for show()


@dataclass(frozen=True)
class Views:
    """Pairs of grey camera images of one scene, with the object's depth class.

    Attributes
    ----------
    left, right : ndarray of float32, shape (n, height, width, 1)
        The two cameras' images (channels last, as ``keras.Input(shape=(height, width,
        1))`` takes them). Background pixels are 0 plus noise; the object is 0.5 to 1.
    depth : ndarray of int64, shape (n,)
        The depth class, 0 (nearest) to ``len(depth_names) - 1`` (farthest), for
        ``sparse_categorical_crossentropy``.
    disparity : ndarray of int64, shape (n,)
        How many pixels further left the right camera sees the object.
    depth_names : tuple of str
        A name for each depth class, nearest first, e.g. ``("near", "middle", "far")``.
    made_by : str or None
        A call that rebuilds this data, such as ``make_views(300, seed=1).split(0.2)[0]``
        (``None`` for a NumPy ``Generator`` seed); ``lab.to_code()`` reads it.
    """

    left: np.ndarray = per_example()
    right: np.ndarray = per_example()
    depth: np.ndarray = per_example()
    disparity: np.ndarray = per_example()
    depth_names: tuple[str, ...]
    made_by: str | None = made_by_field()

    def __len__(self) -> int:
        return len(self.depth)

    def __repr__(self) -> str:
        n, height, width, _ = self.left.shape
        return (
            f"Views({n} scenes, two {height} x {width} grey views each, "
            f"depths: {', '.join(self.depth_names)})"
        )

    @property
    def inputs(self) -> dict[str, np.ndarray]:
        """The two views keyed ``"left"`` and ``"right"``, for inputs with those names."""
        return {"left": self.left, "right": self.right}

    @property
    def chance(self) -> float:
        """Accuracy of guessing a depth class at random: ``1 / len(depth_names)``."""
        return 1.0 / len(self.depth_names)

    @property
    def majority(self) -> float:
        """Accuracy of always answering this set's most frequent depth class."""
        counts = np.bincount(self.depth, minlength=len(self.depth_names))
        return float(counts.max() / counts.sum())

    @property
    def disparity_baseline_mae(self) -> float:
        """Mean absolute error, in pixels, of always predicting this set's mean disparity."""
        d = self.disparity.astype(np.float64)
        return float(np.mean(np.abs(d - d.mean())))

    def show(self, i: int, prediction: int | None = None) -> str:
        """Scene ``i`` as text: both views side by side, drawn in characters.

        Darker pixels are spaces and dots, brighter ones ``#`` and ``@``. With
        ``prediction`` (a depth class), the model's answer is added.

        Examples
        --------
        >>> print(make_views(10, height=6, width=16, seed=3).show(0))  # doctest: +SKIP
        left camera       right camera
        ...
        depth: near (disparity 7 px)
        """
        n = len(self)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -n <= i < n:
            raise IndexError(f"scene index must be an integer in [-{n}, {n}), got {i!r}")
        width = self.left.shape[2]
        gap = "   "
        lines = [f"{'left camera':<{width}}{gap}right camera"]
        for row_left, row_right in zip(self.left[i, :, :, 0], self.right[i, :, :, 0], strict=True):
            lines.append(f"{_draw(row_left)}{gap}{_draw(row_right)}")
        truth = self.depth_names[int(self.depth[i])]
        line = f"depth: {truth} (disparity {int(self.disparity[i])} px)"
        if prediction is not None:
            k = len(self.depth_names)
            if isinstance(prediction, bool) or not isinstance(prediction, (int, np.integer)):
                raise TypeError(
                    f"prediction must be a depth class 0 to {k - 1}, got {prediction!r}"
                )
            if not 0 <= prediction < k:
                raise ValueError(f"prediction must be a depth class 0 to {k - 1}, got {prediction}")
            mark = "right" if int(prediction) == int(self.depth[i]) else "wrong"
            line += f"  model: {self.depth_names[int(prediction)]} ({mark})"
        lines.append(line)
        return "\n".join(lines)

    def split(self, test_fraction: float = 0.2) -> tuple[Views, Views]:
        """Split into a training part and a held-out part (the last ``test_fraction``).

        Scenes are drawn independently, so both parts follow the same distribution.

        Examples
        --------
        >>> train, test = make_views(1000).split(0.2)
        >>> len(train), len(test)
        (800, 200)
        """
        return split_dataset(self, test_fraction, "scenes")


def make_views(
    n_samples: int = 1500,
    *,
    height: int = 12,
    width: int = 40,
    n_depths: int = 3,
    disparity_step: int = 3,
    noise: float = 0.15,
    seed=0,
) -> Views:
    """Stereo pairs of small grey images, labelled with the object's depth class.

    Each scene has one rectangle, 3 to 6 pixels wide and a quarter to half the image
    high, of brightness 0.5 to 1, at a random place on a black background. The right
    view is the left view shifted ``disparity`` pixels to the left, wrapping around at
    the edges. Depth class ``k`` (0 = nearest) has disparities from
    ``(n_depths - 1 - k) * disparity_step`` to ``disparity_step - 2`` more, so the
    farthest class includes disparity 0 and neighbouring classes are at least one pixel
    apart. Each view then gets its own Gaussian pixel noise.

    The depth classes are equally likely, and position, size and brightness do not
    depend on depth: a model that sees one view is at chance (``Views.chance``).

    Parameters
    ----------
    n_samples : int, default 1500
        Number of scenes.
    height, width : int, default 12 and 40
        Image size in pixels (height 4 to 64, width 8 to 128).
    n_depths : int, default 3
        Depth classes, 2 to 6; with 3 they are named near, middle and far.
    disparity_step : int, default 3
        Pixels between the smallest disparities of neighbouring classes (2 to 8).
        Larger is easier. ``n_depths * disparity_step`` may be at most ``width // 2``.
    noise : float, default 0.15
        Standard deviation of the pixel noise, 0 to 1. Larger is harder.
    seed : int or numpy.random.Generator, default 0
        The same seed gives identical data; global random state is never touched.

    Returns
    -------
    Views
        ``left``, ``right`` (float32, shape (n, height, width, 1)), ``depth`` (class
        labels), ``disparity`` (pixels), ``inputs``, ``chance``, ``show(i)`` and
        ``split()``.

    Examples
    --------
    >>> views = make_views(500, seed=1)
    >>> views.left.shape, views.right.shape, views.depth.shape
    ((500, 12, 40, 1), (500, 12, 40, 1), (500,))
    >>> views.depth_names
    ('near', 'middle', 'far')
    """
    made_by = call_text(make_views, locals())
    n_samples = check_int("n_samples", n_samples, low=10, high=1_000_000)
    height = check_int("height", height, low=4, high=64)
    width = check_int("width", width, low=8, high=128)
    if n_samples * height * width > 100_000_000:
        raise ValueError(
            f"n_samples * height * width must be at most 100,000,000 pixels per view, got "
            f"{n_samples} * {height} * {width} = {n_samples * height * width:,}; "
            "make fewer or smaller scenes"
        )
    n_depths = check_int("n_depths", n_depths, low=2, high=6)
    disparity_step = check_int("disparity_step", disparity_step, low=2, high=8)
    if n_depths * disparity_step > width // 2:
        raise ValueError(
            f"n_depths * disparity_step must be at most width // 2 = {width // 2} so the "
            f"largest shift stays under half the image, got {n_depths} * {disparity_step} = "
            f"{n_depths * disparity_step}; lower n_depths or disparity_step, or widen the image"
        )
    noise = check_float("noise", noise, low=0.0, high=1.0)
    rng = make_rng(seed)

    depth = rng.integers(n_depths, size=n_samples)
    disparity = (n_depths - 1 - depth) * disparity_step + rng.integers(
        disparity_step - 1, size=n_samples
    )
    low_height, high_height = max(2, height // 4), max(2, height // 2)
    box_height = rng.integers(low_height, high_height + 1, size=n_samples)
    box_width = rng.integers(3, 7, size=n_samples)
    top = rng.integers(0, height - box_height + 1)
    x_left = rng.integers(0, width, size=n_samples)
    brightness = rng.uniform(0.5, 1.0, size=n_samples)

    rows = np.arange(height)
    columns = np.arange(width)
    in_rows = (rows[None, :] >= top[:, None]) & (rows[None, :] < (top + box_height)[:, None])

    def scene(x: np.ndarray) -> np.ndarray:
        in_columns = ((columns[None, :] - x[:, None]) % width) < box_width[:, None]
        return (in_rows[:, :, None] & in_columns[:, None, :]) * brightness[:, None, None]

    left = scene(x_left) + rng.normal(0.0, noise, size=(n_samples, height, width))
    right = scene(x_left - disparity) + rng.normal(0.0, noise, size=(n_samples, height, width))
    return Views(
        left=left[..., None].astype(np.float32),
        right=right[..., None].astype(np.float32),
        depth=depth.astype(np.int64),
        disparity=disparity.astype(np.int64),
        depth_names=_depth_names(n_depths),
        made_by=made_by,
    )


def _depth_names(n: int) -> tuple[str, ...]:
    if n == 2:
        return ("near", "far")
    if n == 3:
        return ("near", "middle", "far")
    return ("near", *(f"depth {k}" for k in range(1, n - 1)), "far")


def _draw(row: np.ndarray) -> str:
    levels = np.clip(np.round(np.asarray(row, dtype=np.float64) * (len(_SHADES) - 1)), 0, None)
    return "".join(_SHADES[int(min(v, len(_SHADES) - 1))] for v in levels)
