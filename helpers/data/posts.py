"""Social-media posts with three targets: lesson 03's multi-output model.

Each post is a sequence of token ids. Who wrote it is described by three latent
targets, one per output head of the model: ``age`` in years (regression), ``income``
group 0-9 (10 classes) and ``gender`` 0 or 1 (binary). The ids are neutral: a token is
just a number, and what it says about its writer is drawn at random once, the same for
every seed. Most tokens are background words that carry no information; a share
(``signal``) is drawn from small groups of ids whose frequency depends on the writer's
age, income group or gender. The three targets are drawn independently of each other.
``age_noise`` adds Gaussian noise of known size to the age targets (not to the posts), a
known answer for methods that learn each head's noise level (lesson 08).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from helpers._validate import check_bool, check_float, check_int, make_rng

from ._base import call_text, made_by_field, per_example, split_dataset

__all__ = ["HEADS", "N_INCOME_GROUPS", "Posts", "make_posts"]

HEADS = ("age", "income", "gender")
"""The model's output heads, in the order of :attr:`Posts.targets_list`."""

N_INCOME_GROUPS = 10

# The token layout: how many ids speak to each target. Fixed, so that posts made with
# different seeds share one vocabulary (seed 1 can serve as held-out data for seed 0).
_N_AGE_IDS = 48  # each with a preferred age, spread evenly over the age range
_N_INCOME_IDS_PER_GROUP = 6
_N_GENDER_IDS_PER_GROUP = 20
_N_INFORMATIVE = (
    _N_AGE_IDS + N_INCOME_GROUPS * _N_INCOME_IDS_PER_GROUP + 2 * _N_GENDER_IDS_PER_GROUP
)
_MIN_VOCAB = 2 * _N_INFORMATIVE  # at least as many background ids as informative ones
_LAYOUT_SEED = 20170101  # fixes which ids are informative; independent of `seed`

# How sharply each kind of token points at its target.
_AGE_WIDTH = 0.08  # kernel width, as a fraction of the age range
_INCOME_WIDTH = 0.7  # kernel width in income groups: neighbouring groups share tokens
_GENDER_PURITY = 0.85  # chance that a gender token comes from the writer's own group
_ZIPF_OFFSET = 10.0  # background frequencies fall as 1 / (rank + offset)


@dataclass(frozen=True)
class Posts:
    """Posts as token ids, with their writers' age, income group and gender.

    Attributes
    ----------
    posts : ndarray of int32, shape (n, length)
        Token ids in ``1 .. vocab_size - 1`` (id 0, padding, is never used).
    targets : dict of str to ndarray
        The three targets as Keras takes them, keyed by head name (pass it to ``fit``):
        ``"age"`` float32, shape (n,), years or standardised (see ``age_standardized``),
        plus noise when ``age_noise > 0``;
        ``"income"`` int64 labels 0-9, shape (n,), or float32 one-hot, shape (n, 10);
        ``"gender"`` float32 0.0 or 1.0, shape (n,).
    age_years : ndarray of int64, shape (n,)
        The writers' true ages in years, whatever the form of ``targets["age"]`` and
        without its noise.
    income_group, gender : ndarray of int64, shape (n,)
        The income group (0-9) and gender (0 or 1) as integer labels.
    age_standardized : bool
        Whether ``targets["age"]`` is ``(age_years - age_mean) / age_std``.
    age_mean, age_std : float
        Mean and standard deviation of the age distribution the ages are drawn from
        (not of this sample), so every sample and split share one scale.
    vocab_size : int
        Token ids are below this; an ``Embedding(vocab_size, ...)`` covers them.
    informative_ids : mapping of str to ndarray
        For each head, the token ids whose frequency depends on that target.
    age_noise : float
        Standard deviation of the Gaussian noise in ``targets["age"]``, in its units
        (standard deviations of age when standardised, else years); 0 for none.
    made_by : str or None
        A call that rebuilds this data, such as ``make_posts(300, seed=1).split(0.2)[0]``
        (``None`` for a NumPy ``Generator`` seed); ``lab.to_code()`` reads it.
    """

    posts: np.ndarray = per_example()
    targets: dict[str, np.ndarray] = per_example()
    age_years: np.ndarray = per_example()
    income_group: np.ndarray = per_example()
    gender: np.ndarray = per_example()
    age_standardized: bool
    age_mean: float
    age_std: float
    vocab_size: int
    informative_ids: Mapping[str, np.ndarray]
    age_noise: float = 0.0
    made_by: str | None = made_by_field()

    def __len__(self) -> int:
        return len(self.posts)

    @property
    def heads(self) -> tuple[str, ...]:
        """The head names, ``("age", "income", "gender")``."""
        return HEADS

    @property
    def targets_list(self) -> list[np.ndarray]:
        """The targets as a list in head order: ``[age, income, gender]``."""
        return [self.targets[head] for head in HEADS]

    @property
    def age_baseline_mae(self) -> float:
        """MAE of always predicting this set's mean age, in the units of ``targets["age"]``.

        The trivial baseline for the age head. It is slightly optimistic on held-out
        data (a model cannot know the held-out mean), so beating it is a fair test. With
        ``age_noise`` it is measured on the noisy targets, as the model's MAE is.
        """
        age = np.asarray(self.targets["age"], dtype=np.float64)
        return float(np.mean(np.abs(age - age.mean())))

    @property
    def income_chance(self) -> float:
        """Accuracy of guessing an income group at random: ``1 / 10``."""
        return 1.0 / N_INCOME_GROUPS

    @property
    def gender_majority(self) -> float:
        """Accuracy of always predicting this set's more frequent gender (about 0.5)."""
        share = float(np.mean(self.gender))
        return max(share, 1.0 - share)

    def age_in_years(self, age) -> np.ndarray:
        """Convert age predictions (or targets) from target units to years.

        Examples
        --------
        >>> data = make_posts(100, standardize_age=True)
        >>> bool(np.allclose(data.age_in_years(data.targets["age"]), data.age_years))
        True
        """
        age = np.asarray(age, dtype=np.float64)
        return age * self.age_std + self.age_mean if self.age_standardized else age

    def split(self, test_fraction: float = 0.2) -> tuple[Posts, Posts]:
        """Split into a training part and a held-out part (the last ``test_fraction``).

        Posts are in random order, so both parts follow the same distribution.

        Examples
        --------
        >>> train, test = make_posts(1000).split(0.2)
        >>> len(train), len(test)
        (800, 200)
        """
        return split_dataset(self, test_fraction, "posts")


def make_posts(
    n_samples: int = 3200,
    *,
    length: int = 60,
    vocab_size: int = 2000,
    signal: float = 0.3,
    age_range: tuple[int, int] = (18, 70),
    one_hot_income: bool = False,
    standardize_age: bool = False,
    age_noise: float = 0.0,
    seed=0,
) -> Posts:
    """Posts whose words depend on the writer's age, income group and gender.

    Every post has ``length`` tokens. Each token is, independently, a background id
    (probability ``1 - signal``, drawn from a Zipf-like distribution that is the same for
    everyone) or an informative id (probability ``signal``, split equally between the
    three targets):

    - age ids each have a preferred age; writers use the ids preferred near their own
      age most (a Gaussian kernel 8% of the age range wide);
    - income ids each belong to a group; writers use their own group's ids most and
      the neighbouring groups' ids less (so adjacent groups are easy to confuse);
    - gender ids come in two sets; 85% of a writer's gender ids come from their own set.

    Ages are whole years drawn uniformly from ``age_range``; income groups (0-9) and
    gender (0/1) are uniform; the three are independent. Which ids are informative is
    fixed for a given ``vocab_size`` and does not depend on ``seed``.

    With ``age_noise > 0``, Gaussian noise is added to ``targets["age"]`` after
    everything else is drawn: the posts, the other targets and ``age_years`` are the
    same as without it (for the same seed), and no model can predict the noise from the
    posts. A model that does not memorise its training posts can at best reach an age
    MSE of about its clean error plus ``age_noise ** 2``.

    Parameters
    ----------
    n_samples : int, default 3200
        Number of posts.
    length : int, default 60
        Tokens per post. The book's Conv1D stack needs at least 269.
    vocab_size : int, default 2000
        Token ids run from 1 to ``vocab_size - 1`` (0 is left for padding); at least 296.
    signal : float, default 0.3
        Share of tokens that carry information, between 0 and 1. Larger is easier;
        0 makes every target unpredictable.
    age_range : (int, int), default (18, 70)
        Youngest and oldest age in years, inclusive.
    one_hot_income : bool, default False
        Give ``targets["income"]`` as one-hot rows (for ``categorical_crossentropy``)
        instead of integer labels (for ``sparse_categorical_crossentropy``).
    standardize_age : bool, default False
        Give ``targets["age"]`` as ``(years - age_mean) / age_std`` instead of years.
    age_noise : float, default 0.0
        Standard deviation of Gaussian noise added to ``targets["age"]``, in the targets'
        units: standard deviations of the age distribution when ``standardize_age`` is
        True (1.0 is as much noise as there is spread in the ages, ``age_std`` years),
        years otherwise. At least 0; 0 adds none and leaves the output unchanged.
    seed : int or numpy.random.Generator, default 0
        The same seed gives identical data; global random state is never touched.

    Returns
    -------
    Posts
        ``posts`` (int32), ``targets`` (a dict keyed by head), ``targets_list``
        (``[age, income, gender]``), baselines and ``split()``.

    Examples
    --------
    >>> data = make_posts(1000, seed=1)
    >>> data.posts.shape, sorted(data.targets)
    ((1000, 60), ['age', 'gender', 'income'])
    >>> [t.shape for t in data.targets_list]
    [(1000,), (1000,), (1000,)]
    >>> noisy = make_posts(1000, seed=1, standardize_age=True, age_noise=1.0)
    >>> bool((noisy.posts == data.posts).all())  # the same posts; only the ages are noisy
    True
    """
    made_by = call_text(make_posts, locals())
    n_samples = check_int("n_samples", n_samples, low=10, high=1_000_000)
    length = check_int("length", length, low=1, high=10_000)
    vocab_size = check_int("vocab_size", vocab_size, low=_MIN_VOCAB, high=10_000_000)
    if n_samples * length > 50_000_000:
        raise ValueError(
            f"n_samples * length must be at most 50,000,000 tokens, got "
            f"{n_samples} * {length} = {n_samples * length:,}; make fewer or shorter posts"
        )
    signal = check_float("signal", signal, low=0.0, high=1.0)
    age_min, age_max = _check_age_range(age_range)
    one_hot_income = check_bool("one_hot_income", one_hot_income, numpy_ok=True)
    standardize_age = check_bool("standardize_age", standardize_age, numpy_ok=True)
    age_noise = check_float("age_noise", age_noise, low=0.0)
    rng = make_rng(seed)

    layout = _layout(vocab_size)
    ages = rng.integers(age_min, age_max + 1, size=n_samples)
    income = rng.integers(0, N_INCOME_GROUPS, size=n_samples)
    gender = rng.integers(0, 2, size=n_samples)

    # What each token position speaks to: 0 background, 1 age, 2 income, 3 gender.
    kinds = rng.choice(4, size=(n_samples, length), p=[1 - signal] + [signal / 3] * 3)
    posts = np.empty((n_samples, length), dtype=np.int32)
    rows = np.broadcast_to(np.arange(n_samples)[:, None], (n_samples, length))

    background = layout["background"]
    zipf = 1.0 / (np.arange(len(background)) + _ZIPF_OFFSET)
    where = kinds == 0
    posts[where] = background[_sample(rng, zipf[None, :], np.zeros(where.sum(), dtype=int))]

    # Age: one row of token probabilities per possible age.
    span = age_max - age_min
    centres = np.linspace(age_min, age_max, _N_AGE_IDS)
    years = np.arange(age_min, age_max + 1)
    width = _AGE_WIDTH * span
    age_table = np.exp(-0.5 * ((years[:, None] - centres[None, :]) / width) ** 2)
    where = kinds == 1
    posts[where] = layout["age"][_sample(rng, age_table, ages[rows[where]] - age_min)]

    # Income: ids belong to groups; a writer favours their own group, then neighbours.
    id_group = np.repeat(np.arange(N_INCOME_GROUPS), _N_INCOME_IDS_PER_GROUP)
    groups = np.arange(N_INCOME_GROUPS)
    income_table = np.exp(-0.5 * ((groups[:, None] - id_group[None, :]) / _INCOME_WIDTH) ** 2)
    where = kinds == 2
    posts[where] = layout["income"][_sample(rng, income_table, income[rows[where]])]

    # Gender: two sets of ids; most of a writer's gender ids come from their own set.
    id_set = np.repeat([0, 1], _N_GENDER_IDS_PER_GROUP)
    gender_table = np.where(
        id_set[None, :] == np.array([[0], [1]]), _GENDER_PURITY, 1 - _GENDER_PURITY
    )
    where = kinds == 3
    posts[where] = layout["gender"][_sample(rng, gender_table, gender[rows[where]])]

    age_mean = (age_min + age_max) / 2
    age_std = float(np.sqrt(((span + 1) ** 2 - 1) / 12))  # of a uniform draw of whole years
    age_target = (ages - age_mean) / age_std if standardize_age else ages
    if age_noise > 0:  # drawn last, and only when asked: without it nothing else changes
        age_target = age_target + rng.normal(0.0, age_noise, size=n_samples)
    if one_hot_income:
        income_target = np.eye(N_INCOME_GROUPS, dtype=np.float32)[income]
    else:
        income_target = income.astype(np.int64)
    targets = {
        "age": age_target.astype(np.float32),
        "income": income_target,
        "gender": gender.astype(np.float32),
    }
    return Posts(
        posts=posts,
        targets=targets,
        age_years=ages.astype(np.int64),
        income_group=income.astype(np.int64),
        gender=gender.astype(np.int64),
        age_standardized=standardize_age,
        age_mean=float(age_mean),
        age_std=age_std,
        vocab_size=vocab_size,
        informative_ids=MappingProxyType({h: layout[h].copy() for h in HEADS}),
        age_noise=age_noise,
        made_by=made_by,
    )


def _layout(vocab_size: int) -> dict[str, np.ndarray]:
    """Which ids are age, income, gender and background ids, in a fixed shuffled order."""
    ids = np.random.default_rng(_LAYOUT_SEED).permutation(np.arange(1, vocab_size))
    n_age, n_income = _N_AGE_IDS, N_INCOME_GROUPS * _N_INCOME_IDS_PER_GROUP
    ends = np.cumsum([n_age, n_income, 2 * _N_GENDER_IDS_PER_GROUP])
    return {
        "age": ids[: ends[0]],
        "income": ids[ends[0] : ends[1]],
        "gender": ids[ends[1] : ends[2]],
        "background": ids[ends[2] :],
    }


def _sample(rng: np.random.Generator, table: np.ndarray, row: np.ndarray) -> np.ndarray:
    """For each entry of ``row``, a column index drawn with probabilities ``table[row]``.

    Rows of ``table`` are unnormalised weights. Each row's cumulative distribution is
    shifted by its row number, so one ``searchsorted`` serves every row at once.
    """
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    n_rows, n_cols = table.shape
    flat = (cdf + np.arange(n_rows)[:, None]).ravel()
    u = rng.random(len(row)) + row
    column = np.searchsorted(flat, u, side="right") - row * n_cols
    return np.minimum(column, n_cols - 1)


def _check_age_range(age_range) -> tuple[int, int]:
    if (
        not isinstance(age_range, (tuple, list))
        or len(age_range) != 2
        or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in age_range)
    ):
        raise TypeError(f"age_range must be a pair of whole years (low, high), got {age_range!r}")
    low, high = int(age_range[0]), int(age_range[1])
    if not 0 <= low < high <= 120:
        raise ValueError(
            f"age_range must satisfy 0 <= low < high <= 120 (years), got {tuple(age_range)!r}"
        )
    return low, high
