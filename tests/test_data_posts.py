import hashlib

import numpy as np
import pytest

from helpers.data import Posts, make_posts
from helpers.data.posts import HEADS


def test_shapes_dtypes_and_ranges_of_the_defaults():
    d = make_posts()
    assert isinstance(d, Posts) and len(d) == 3200
    assert d.posts.shape == (3200, 60) and d.posts.dtype == np.int32
    assert d.posts.min() >= 1 and d.posts.max() < d.vocab_size == 2000
    assert d.targets["age"].shape == (3200,) and d.targets["age"].dtype == np.float32
    assert d.targets["income"].shape == (3200,) and d.targets["income"].dtype == np.int64
    assert d.targets["gender"].shape == (3200,) and d.targets["gender"].dtype == np.float32
    assert 18 <= d.age_years.min() and d.age_years.max() <= 70
    assert set(np.unique(d.income_group)) == set(range(10))
    assert set(np.unique(d.targets["gender"])) == {0.0, 1.0}
    np.testing.assert_array_equal(d.targets["age"], d.age_years)


def test_targets_dict_and_list_hold_the_same_arrays_in_head_order():
    d = make_posts(100)
    assert d.heads == ("age", "income", "gender") == tuple(d.targets)
    assert isinstance(d.targets, dict)
    for head, array in zip(HEADS, d.targets_list, strict=True):
        assert array is d.targets[head]


def test_one_hot_income_matches_the_integer_labels():
    d = make_posts(200, one_hot_income=True, seed=2)
    onehot = d.targets["income"]
    assert onehot.shape == (200, 10) and onehot.dtype == np.float32
    np.testing.assert_array_equal(onehot.sum(axis=1), 1.0)
    np.testing.assert_array_equal(onehot.argmax(axis=1), d.income_group)
    np.testing.assert_array_equal(make_posts(200, seed=2).posts, d.posts)


def test_standardised_ages_use_the_population_scale_and_convert_back():
    raw = make_posts(4000, seed=5)
    std = make_posts(4000, standardize_age=True, seed=5)
    np.testing.assert_array_equal(raw.posts, std.posts)
    assert std.age_standardized and not raw.age_standardized
    assert std.age_mean == 44.0 and std.age_std == pytest.approx(15.297, abs=1e-3)
    assert abs(std.targets["age"].mean()) < 0.05 and abs(std.targets["age"].std() - 1) < 0.05
    np.testing.assert_allclose(std.age_in_years(std.targets["age"]), raw.age_years, atol=1e-4)
    np.testing.assert_array_equal(raw.age_in_years(raw.targets["age"]), raw.age_years)


def test_split_keeps_order_sizes_and_scale():
    d = make_posts(1000, standardize_age=True, seed=1)
    train, test = d.split(0.2)
    assert (len(train), len(test)) == (800, 200)
    np.testing.assert_array_equal(test.posts, d.posts[800:])
    np.testing.assert_array_equal(train.targets["income"], d.targets["income"][:800])
    assert test.age_std == d.age_std and test.age_standardized
    assert isinstance(test.targets, dict) and len(test.targets_list) == 3


def test_baselines_are_those_of_trivial_predictors():
    d = make_posts(2000, seed=0)
    expected_mae = np.mean(np.abs(d.age_years - d.age_years.mean()))
    assert d.age_baseline_mae == pytest.approx(expected_mae)
    assert 12 < d.age_baseline_mae < 14.5  # uniform 18-70: about a quarter of the range
    assert d.income_chance == 0.1
    assert 0.5 <= d.gender_majority < 0.55
    std = make_posts(2000, standardize_age=True, seed=0)
    assert std.age_baseline_mae == pytest.approx(expected_mae / std.age_std, rel=1e-5)


def test_long_posts_for_the_books_conv1d_stack_and_a_large_vocabulary():
    d = make_posts(20, length=300, vocab_size=50000, seed=0)
    assert d.posts.shape == (20, 300)
    assert d.posts.max() < 50000


def test_token_layout_does_not_depend_on_the_seed():
    a, b = make_posts(50, seed=0), make_posts(50, seed=9)
    for head in HEADS:
        np.testing.assert_array_equal(a.informative_ids[head], b.informative_ids[head])
    ids = np.concatenate([a.informative_ids[h] for h in HEADS])
    assert len(np.unique(ids)) == len(ids) and ids.min() >= 1


def _counts(d, head):
    return np.isin(d.posts, d.informative_ids[head]).sum(axis=1)


def test_signal_sets_the_share_of_informative_tokens():
    for signal in (0.0, 0.3, 0.9):
        d = make_posts(500, signal=signal, seed=3)
        share = sum(_counts(d, h) for h in HEADS).mean() / d.posts.shape[1]
        assert share == pytest.approx(signal, abs=0.02)


def test_each_target_changes_the_statistics_of_its_own_tokens():
    """Simple count-based read-outs recover every target, so the data is learnable."""
    d = make_posts(4000, seed=11)
    train, test = d.split(0.25)

    def features(part):
        ids = np.arange(d.vocab_size)
        return (part.posts[:, :, None] == ids[None, None, :]).sum(axis=1).astype(float)

    x_train, x_test = features(train), features(test)
    # Age: the mean preferred age of a post's age tokens, learned as a token -> age average.
    age_ids = d.informative_ids["age"]
    token_age = (x_train[:, age_ids] * train.age_years[:, None]).sum(0) / (
        x_train[:, age_ids].sum(0) + 1e-9
    )
    estimate = (x_test[:, age_ids] * token_age).sum(1) / np.maximum(x_test[:, age_ids].sum(1), 1)
    mae = np.mean(np.abs(estimate - test.age_years))
    assert mae < 0.5 * test.age_baseline_mae
    # Income and gender: naive Bayes on the informative counts.
    for head, labels_train, labels_test, n in [
        ("income", train.income_group, test.income_group, 10),
        ("gender", train.gender, test.gender, 2),
    ]:
        ids = d.informative_ids[head]
        rates = np.stack([x_train[labels_train == k][:, ids].sum(0) + 1 for k in range(n)])
        log_p = np.log(rates / rates.sum(1, keepdims=True))
        accuracy = np.mean((x_test[:, ids] @ log_p.T).argmax(1) == labels_test)
        assert accuracy > (0.4 if head == "income" else 0.85), (head, accuracy)


# sha256 (first 16 hex digits) of posts, targets and labels, computed before make_posts
# had age_noise: other lessons' committed numbers depend on these exact draws.
DIGESTS_BEFORE_AGE_NOISE = [
    ({}, "e60dc8483d594eab"),
    ({"n_samples": 3000, "standardize_age": True, "seed": 0}, "b293b9ffa5e9fa87"),
    ({"n_samples": 500, "one_hot_income": True, "seed": 3}, "eb5eea5dc03b3849"),
]


def _digest(d):
    h = hashlib.sha256()
    arrays = (d.posts, *d.targets_list, d.age_years, d.income_group, d.gender)
    for array in arrays:
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("kwargs, digest", DIGESTS_BEFORE_AGE_NOISE)
def test_without_age_noise_the_data_is_bit_identical_to_before_it_existed(kwargs, digest):
    assert _digest(make_posts(**kwargs)) == digest
    assert _digest(make_posts(**kwargs, age_noise=0.0)) == digest
    assert make_posts(**kwargs).age_noise == 0.0


def test_age_noise_changes_only_the_age_targets_by_gaussian_noise_of_that_size():
    clean = make_posts(20000, standardize_age=True, seed=8)
    noisy = make_posts(20000, standardize_age=True, age_noise=0.5, seed=8)
    assert noisy.age_noise == 0.5
    np.testing.assert_array_equal(noisy.posts, clean.posts)
    for same in ("age_years", "income_group", "gender"):
        np.testing.assert_array_equal(getattr(noisy, same), getattr(clean, same))
    for head in ("income", "gender"):
        np.testing.assert_array_equal(noisy.targets[head], clean.targets[head])
    noise = noisy.targets["age"].astype(float) - clean.targets["age"]
    assert noisy.targets["age"].dtype == np.float32
    assert noise.std() == pytest.approx(0.5, rel=0.03)
    assert abs(noise.mean()) < 0.02
    assert abs(np.corrcoef(noise, clean.age_years)[0, 1]) < 0.03  # unrelated to the age
    # Skewness and excess kurtosis near 0: Gaussian, not uniform (kurtosis -1.2).
    z = (noise - noise.mean()) / noise.std()
    assert abs(np.mean(z**3)) < 0.1 and abs(np.mean(z**4) - 3) < 0.15


def test_age_noise_is_in_years_when_ages_are_not_standardised():
    years = make_posts(20000, age_noise=2.0, seed=2)
    noise = years.targets["age"] - years.age_years
    assert noise.std() == pytest.approx(2.0, rel=0.03)
    std = make_posts(20000, standardize_age=True, age_noise=2.0, seed=2)
    # The same draws, in standard deviations of age instead of years.
    np.testing.assert_allclose(
        std.age_in_years(std.targets["age"]) - std.age_years,
        noise * std.age_std,
        rtol=1e-4,
        atol=1e-3,
    )


def test_age_noise_repeats_with_the_seed_and_survives_a_split():
    a = make_posts(300, standardize_age=True, age_noise=1.0, seed=4)
    b = make_posts(300, standardize_age=True, age_noise=1.0, seed=4)
    c = make_posts(300, standardize_age=True, age_noise=1.0, seed=5)
    np.testing.assert_array_equal(a.targets["age"], b.targets["age"])
    assert not np.array_equal(a.targets["age"], c.targets["age"])
    train, test = a.split(0.2)
    assert train.age_noise == test.age_noise == 1.0
    np.testing.assert_array_equal(test.targets["age"], a.targets["age"][240:])


def test_the_age_baseline_counts_the_noise_the_model_is_scored_against():
    clean = make_posts(20000, standardize_age=True, seed=3)
    noisy = make_posts(20000, standardize_age=True, age_noise=1.0, seed=3)
    # Mean absolute deviation of the sum of a uniform (sd 1) and a Gaussian (sd 1).
    assert clean.age_baseline_mae == pytest.approx(0.866, abs=0.02)
    assert noisy.age_baseline_mae == pytest.approx(1.15, abs=0.03)


def test_zero_signal_makes_the_posts_independent_of_the_targets():
    d = make_posts(3000, signal=0.0, seed=4)
    informative = np.concatenate([d.informative_ids[h] for h in HEADS])
    assert not np.isin(d.posts, informative).any()


def test_targets_are_independent_of_each_other():
    d = make_posts(20000, seed=6)
    assert abs(np.corrcoef(d.age_years, d.gender)[0, 1]) < 0.03
    assert abs(np.corrcoef(d.income_group, d.gender)[0, 1]) < 0.03
    assert abs(np.corrcoef(d.age_years, d.income_group)[0, 1]) < 0.03


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"n_samples": 5}, ValueError, ["n_samples", "between 10 and 1000000", "5"]),
        ({"n_samples": 2.5}, TypeError, ["n_samples", "integer", "2.5"]),
        ({"length": 0}, ValueError, ["length", "between 1 and 10000", "0"]),
        ({"vocab_size": 100}, ValueError, ["vocab_size", "between 296 and", "100"]),
        ({"signal": 1.5}, ValueError, ["signal", "between 0.0 and 1.0", "1.5"]),
        ({"signal": float("nan")}, ValueError, ["signal", "finite", "nan"]),
        ({"age_range": (70, 18)}, ValueError, ["age_range", "low < high", "(70, 18)"]),
        ({"age_range": (18.5, 70)}, TypeError, ["age_range", "whole years", "18.5"]),
        ({"one_hot_income": "yes"}, TypeError, ["one_hot_income", "True or False", "'yes'"]),
        ({"standardize_age": 1}, TypeError, ["standardize_age", "True or False", "1"]),
        ({"age_noise": -0.5}, ValueError, ["age_noise", ">= 0.0", "-0.5"]),
        ({"age_noise": float("inf")}, ValueError, ["age_noise", "finite", "inf"]),
        ({"age_noise": "1"}, TypeError, ["age_noise", "number", "'1'"]),
        ({"seed": -1}, ValueError, ["seed", "non-negative", "-1"]),
        ({"seed": "zero"}, TypeError, ["seed", "'zero'"]),
        ({"n_samples": 1_000_000, "length": 100}, ValueError, ["n_samples * length", "50,000,000"]),
    ],
)
def test_bad_arguments_raise_errors_that_name_argument_and_value(kwargs, error, words):
    with pytest.raises(error) as info:
        make_posts(**kwargs)
    for word in words:
        assert word in str(info.value)
