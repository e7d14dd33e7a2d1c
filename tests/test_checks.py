import pytest

from helpers.checks import (
    CheckpointError,
    check_beats_baseline,
    check_finite,
    check_param_count,
    checkpoint,
)


class FakeModel:
    name = "toy"

    def __init__(self, n):
        self.n = n

    def count_params(self):
        return self.n


def test_checkpoint_prints_one_line_when_it_passes(capsys):
    checkpoint(True, "all good", "not good")
    assert capsys.readouterr().out == "✅ all good\n"


def test_checkpoint_raises_an_assertion_error_with_the_message():
    with pytest.raises(AssertionError, match="not good"):
        checkpoint(False, "all good", "not good")


def test_param_count_message_names_both_counts():
    check_param_count(FakeModel(3466), 3466)
    with pytest.raises(CheckpointError, match=r"3,467 parameters but 3,466"):
        check_param_count(FakeModel(3467), 3466)


def test_beats_baseline_prints_no_raw_score_so_output_is_stable(capsys):
    check_beats_baseline("model", 0.8734, 0.1, factor=5)
    out = capsys.readouterr().out
    assert "clears the bar (at least 0.50; baseline 0.10)" in out
    assert "0.873" not in out


def test_beats_baseline_fails_below_the_bar_and_for_lower_is_better():
    with pytest.raises(CheckpointError, match="misses the bar"):
        check_beats_baseline("model", 0.3, 0.1, factor=5)
    check_beats_baseline("age", 5.0, 10.0, factor=0.7, higher_is_better=False, unit="MAE")
    with pytest.raises(CheckpointError, match="at most 7.00"):
        check_beats_baseline("age", 8.0, 10.0, factor=0.7, higher_is_better=False, unit="MAE")


def test_beats_baseline_reports_divergence_for_nan():
    with pytest.raises(CheckpointError, match="diverged"):
        check_beats_baseline("model", float("nan"), 0.1)


def test_check_finite_names_what_holds_nan_and_how_much_with_the_hint():
    check_finite([[0.1, 0.9]], "the answer")
    with pytest.raises(
        ValueError, match=r"the answer holds 2 NaN or infinite value\(s\) out of 3\. Fix"
    ):
        check_finite([0.5, float("nan"), float("inf")], "the answer", "Fix it.")


def test_check_finite_reads_a_backend_tensor():
    from helpers.env import quiet_keras_import

    keras = quiet_keras_import()
    embedding = keras.layers.Embedding(4, 2)
    check_finite(embedding(keras.ops.convert_to_tensor([[0, 3]])), "rows")
    with pytest.raises(ValueError, match="rows holds 2 NaN"):
        check_finite(keras.ops.convert_to_tensor([[float("nan"), float("nan")]]), "rows")
