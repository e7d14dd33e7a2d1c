import math
import re

import pytest

from helpers.losstable import HeadLoss, LossTable, loss_table

SCORES = {"loss": 2.1, "age_loss": 0.4, "income_loss": 1.0, "gender_loss": 0.1}
WEIGHTS = {"age": 0.25, "income": 1.0, "gender": 10.0}
HISTORY = {
    "loss": [564.0, 10.0],
    "age_loss": [2218.0, 20.0],
    "income_loss": [2.3, 2.4],
    "gender_loss": [0.69, 0.26],
    "val_loss": [9.0, 3.0],
    "val_age_loss": [1.0, 0.2],
    "val_income_loss": [2.3, 0.8],
    "val_gender_loss": [0.6, 0.2],
}


class FakeHistory:
    """Stands in for keras.callbacks.History: only the .history dict matters."""

    history = HISTORY


def test_rows_hold_raw_weight_weighted_and_share():
    table = loss_table(SCORES, WEIGHTS)
    assert isinstance(table, LossTable) and table.heads == ("age", "income", "gender")
    gender = table["gender"]
    assert isinstance(gender, HeadLoss)
    assert (gender.raw, gender.weight) == (0.1, 10.0)
    assert gender.weighted == pytest.approx(1.0)
    assert table.total == pytest.approx(0.1 + 1.0 + 1.0)
    assert gender.share == pytest.approx(1.0 / 2.1)
    assert math.fsum(row.share for row in table.rows) == pytest.approx(1.0)
    assert table.reported_total == 2.1


def test_a_list_of_weights_follows_the_given_head_order():
    table = loss_table(SCORES, [0.25, 1.0, 10.0], heads=["age", "income", "gender"])
    assert table.heads == ("age", "income", "gender")
    assert table["age"].weighted == pytest.approx(0.1)


def test_no_weights_means_every_weight_is_one_and_heads_come_from_the_scores():
    table = loss_table(SCORES)
    assert set(table.heads) == {"age", "income", "gender"}
    assert all(row.weight == 1.0 for row in table.rows)
    assert table.total == pytest.approx(1.5)


def test_history_epochs_and_validation_prefix():
    first = loss_table(FakeHistory(), WEIGHTS, epoch=0)
    assert first["age"].raw == 2218.0 and first["age"].share > 0.98
    assert first.reported_total == 564.0
    last = loss_table(HISTORY, WEIGHTS)  # a history dict works too; default is the last epoch
    assert last["income"].raw == 2.4
    val = loss_table(HISTORY, WEIGHTS, prefix="val_", epoch=-1)
    assert val["income"].raw == 0.8 and val.reported_total == 3.0
    inferred = loss_table(HISTORY)  # without a prefix, validation keys are not heads
    assert set(inferred.heads) == {"age", "income", "gender"}


def test_printed_table_has_a_row_per_head_and_only_stable_number_formats():
    text = str(loss_table(SCORES, WEIGHTS))
    lines = text.splitlines()
    assert lines[0].split() == ["head", "raw", "loss", "weight", "weighted", "share"]
    assert [line.split()[0] for line in lines[1:5]] == ["age", "income", "gender", "total"]
    assert "47.62%" in text and "(Keras's `loss`: 2.100)" in text
    # Every number carries two or more decimals, so nbval's sanitizer masks it.
    for number in re.findall(r"\d+(?:\.\d+)?", text):
        assert "." in number and len(number.split(".")[1]) >= 2, number
    assert repr(loss_table(SCORES, WEIGHTS)) == text


@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        ((SCORES, [0.25, 1.0, 10.0]), {}, ValueError, ["heads=model.output_names"]),
        ((SCORES, [1.0, 1.0]), {"heads": ["age", "income", "gender"]}, ValueError, ["2 entries"]),
        ((SCORES, {"age": -1.0, "income": 1, "gender": 1}), {}, ValueError, ["'age'", "-1.0"]),
        ((SCORES, {"age": "x", "income": 1, "gender": 1}), {}, ValueError, ["'age'", "'x'"]),
        ((SCORES, {"agee": 1.0}), {}, KeyError, ["agee_loss", "age_loss"]),
        ((SCORES, WEIGHTS), {"heads": ["age", "income"]}, ValueError, ["same outputs"]),
        (([564.0, 2218.0, 2.3, 0.69], WEIGHTS), {}, TypeError, ["return_dict=True"]),
        ((HISTORY, WEIGHTS), {"epoch": 5}, ValueError, ["epoch", "between -2 and 1", "5"]),
        ((SCORES, WEIGHTS), {"prefix": "val_"}, KeyError, ["val_age_loss", "validation"]),
        ((SCORES, 3.0), {}, TypeError, ["loss_weights", "3.0"]),
    ],
)
def test_mistakes_raise_errors_that_say_what_to_do(args, kwargs, error, words):
    with pytest.raises(error) as info:
        loss_table(*args, **kwargs)
    for word in words:
        assert word in str(info.value)
