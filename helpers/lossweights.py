"""Loss weights that can change while a multi-output model trains, on every Keras backend.

Each head's weight lives in a non-trainable ``keras.Variable`` that is part of the
model's state, so assigning a new value changes the next epoch (JAX) or step (TensorFlow,
PyTorch) with no recompile. Assign between epochs. Why: ``docs/design.md``.

Examples
--------
>>> weights = LossWeights(["age", "income", "gender"], {"age": 0.25, "gender": 10})
>>> weights.compile(model, loss={"age": "mse", "income": ..., "gender": ...})  # doctest: +SKIP
>>> weights.assign({"gender": 1.0})  # the next epoch uses the new weight
{'age': 0.25, 'income': 1.0, 'gender': 1.0}
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

__all__ = [
    "WEIGHT_MAX",
    "WEIGHT_MIN",
    "LossWeights",
    "attribute_name",
    "balanced_weights",
    "check_loss_weights",
]

# The range of the lab's sliders and of balanced_weights: only ratios between heads matter.
WEIGHT_MIN, WEIGHT_MAX = 0.001, 100.0

ALLOWED_TEXT = "finite numbers >= 0, at least one of them > 0"


def check_loss_weights(
    weights: Mapping[str, float],
    heads: Sequence[str],
    *,
    current: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Validate loss weights for ``heads`` and return them as a complete dict of floats.

    Parameters
    ----------
    weights : mapping of str to float
        A weight for some or all heads. A weight of 0 switches a head's loss off.
    heads : sequence of str
        The model's output names, in order.
    current : mapping of str to float, optional
        Weights for the heads that ``weights`` leaves out. Without it, every head
        must be given.

    Returns
    -------
    dict
        One float per head, in the order of ``heads``.

    Raises
    ------
    TypeError
        If ``weights`` is not a mapping or a weight is not a real number.
    ValueError
        For an unknown or missing head, or a weight that is negative, NaN or infinite,
        or when every weight would be 0. The message lists what is allowed.

    Examples
    --------
    >>> check_loss_weights({"a": 2}, ["a", "b"], current={"a": 1.0, "b": 1.0})
    {'a': 2.0, 'b': 1.0}
    """
    heads = list(heads)
    names = ", ".join(repr(h) for h in heads)
    if not isinstance(weights, Mapping):
        raise TypeError(
            f"loss weights must be a dict of head name to number, got {weights!r} "
            f"({type(weights).__name__}); heads: {names}"
        )
    unknown = [k for k in weights if k not in heads]
    if unknown:
        raise ValueError(
            f"unknown head name(s) {', '.join(repr(k) for k in unknown)} in loss weights; "
            f"the model's heads are {names}"
        )
    merged: dict[str, float] = {}
    for head in heads:
        if head in weights:
            value = weights[head]
        elif current is not None and head in current:
            value = current[head]
        else:
            raise ValueError(
                f"loss weights give no value for head {head!r}; give one for each of {names}"
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"loss weight for {head!r} must be a number ({ALLOWED_TEXT}), "
                f"got {value!r} ({type(value).__name__})"
            )
        value = float(value)
        if math.isnan(value) or math.isinf(value) or value < 0:
            raise ValueError(
                f"loss weight for {head!r} must be a finite number >= 0, got {value}; "
                "use 0 to switch a head's loss off"
            )
        merged[head] = value
    if not any(merged.values()):
        raise ValueError(
            f"all loss weights are 0, so nothing would be learned; loss weights must be "
            f"{ALLOWED_TEXT} (got {merged})"
        )
    return merged


def balanced_weights(
    losses: Mapping[str, float], *, low: float = WEIGHT_MIN, high: float = WEIGHT_MAX
) -> dict[str, float]:
    """Weights that give every head the same share of the total loss.

    Head ``h`` gets ``G / losses[h]``, where ``G`` is the geometric mean of the losses,
    so every weighted loss ``weight * loss`` equals ``G`` and the weights multiply to 1
    (they sit around 1 on a log-scale slider). Weights are then clipped to
    ``[low, high]``; with extreme losses the shares are then only nearly equal.

    Parameters
    ----------
    losses : mapping of str to float
        Each head's unweighted loss, measured before training.
    low, high : float
        The range the weights are clipped to (the sliders' range).

    Returns
    -------
    dict
        One weight per head, in the order of ``losses``.

    Examples
    --------
    >>> balanced_weights({"age": 4.0, "gender": 1.0})
    {'age': 0.5, 'gender': 2.0}
    """
    if not losses:
        raise ValueError("losses must name at least one head, got an empty mapping")
    for head, value in losses.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"loss of head {head!r} must be a number, got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"loss of head {head!r} must be a finite number > 0 to balance on, got {value}; "
                "check the targets for NaN or a head whose loss is already 0"
            )
    geometric_mean = math.exp(sum(math.log(v) for v in losses.values()) / len(losses))
    return {h: min(high, max(low, geometric_mean / v)) for h, v in losses.items()}


class LossWeights:
    """One non-trainable ``keras.Variable`` per head, used as that head's loss weight.

    Parameters
    ----------
    heads : sequence of str
        The model's output names (``model.output_names``).
    initial : mapping of str to float, or float
        Starting weights; heads left out start at 1.0. A single number applies to all.

    Examples
    --------
    >>> weights = LossWeights(["age", "income", "gender"], {"age": 0.25, "gender": 10})
    >>> weights.compile(model, optimizer="adam", loss=losses)  # doctest: +SKIP
    >>> weights.assign({"gender": 1})  # takes effect from the next epoch
    {'age': 0.25, 'income': 1.0, 'gender': 1.0}
    """

    def __init__(self, heads: Sequence[str], initial: Mapping[str, float] | float = 1.0):
        import keras

        heads = [str(h) for h in heads]
        if not heads or len(set(heads)) != len(heads):
            raise ValueError(f"heads must be distinct output names, got {heads!r}")
        self._heads = tuple(heads)
        if isinstance(initial, numbers.Real) and not isinstance(initial, bool):
            initial = dict.fromkeys(heads, float(initial))
        values = check_loss_weights(initial, heads, current=dict.fromkeys(heads, 1.0))
        self._variables = {
            h: keras.Variable(values[h], dtype="float32", trainable=False, name=attribute_name(h))
            for h in heads
        }
        self._values = values

    @property
    def heads(self) -> tuple[str, ...]:
        """The heads' names, in the model's output order."""
        return self._heads

    @property
    def variables(self) -> dict[str, object]:
        """The ``keras.Variable`` of each head (what ``compile`` receives as loss weights).

        Change them with :meth:`assign`, which validates the values and keeps
        :meth:`values` in step.
        """
        return dict(self._variables)

    def values(self) -> dict[str, float]:
        """The weights assigned last: the ones the next training epoch uses.

        Safe to call at any time, from any thread, on every backend (on JAX a model's
        variables hold no value while an epoch runs; this reads none of them).
        """
        return dict(self._values)

    def check(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Validate ``weights`` (heads left out keep their value) without assigning them."""
        return check_loss_weights(weights, self._heads, current=self._values)

    def assign(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Validate and assign new weights; heads left out keep their value.

        All values are checked before any is assigned, so a bad value changes nothing.
        Assign before ``fit`` or from a callback's ``on_epoch_begin``/``on_epoch_end``:
        every backend then uses the new weights from the next epoch on. Returns the
        complete new weights.
        """
        new = self.check(weights)
        for head, value in new.items():
            self._variables[head].assign(value)
        self._values = new
        return dict(new)

    def compile(self, model, *, loss, **compile_kwargs):
        """Make these variables part of ``model``'s state, compile it with them as its
        loss weights, and return it.

        Each variable becomes a non-trainable weight of the model, as the attribute
        ``loss_weight_<head>``: it shows in ``model.non_trainable_weights`` and in the
        summary's non-trainable parameter count, and every backend's trainer passes it to
        the training step with the rest of the model's state. Compiling the same model
        again with other ``LossWeights`` replaces them.

        Parameters
        ----------
        model : keras.Model
            A model whose ``output_names`` are this object's heads.
        loss : dict
            A loss per head, keyed by output name.
        **compile_kwargs
            Passed to ``model.compile`` (``optimizer``, ``metrics``, ``jit_compile``,
            ``steps_per_execution``, ...); ``loss_weights`` is not allowed, since these
            variables are the weights.
        """
        if "loss_weights" in compile_kwargs:
            raise TypeError(
                "LossWeights.compile sets loss_weights itself (to its variables); "
                "give starting weights to LossWeights(...) or use assign()"
            )
        names = list(getattr(model, "output_names", None) or [])
        if sorted(names) != sorted(self._heads):
            raise ValueError(
                f"the model's outputs are {names}, but these loss weights are for "
                f"{list(self._heads)}; create LossWeights(model.output_names)"
            )
        if not isinstance(loss, Mapping) or sorted(loss) != sorted(self._heads):
            got = sorted(loss) if isinstance(loss, Mapping) else loss
            raise ValueError(f"loss must be a dict with one entry per head {names}, got {got!r}")
        self._track(model)
        model.compile(loss=dict(loss), loss_weights=self.variables, **compile_kwargs)
        return model

    def _track(self, model) -> None:
        """Set each variable as an attribute of ``model``, which Keras tracks as state."""
        for head, variable in self._variables.items():
            name = attribute_name(head)
            if getattr(model, name, None) is variable:
                continue
            if hasattr(model, name):
                delattr(model, name)  # a Keras layer stops tracking a deleted variable
            try:
                setattr(model, name, variable)
            except ValueError as exc:  # a built subclassed model refuses new state
                raise ValueError(
                    f"cannot add the loss weight of head {head!r} to the state of model "
                    f"{model.name!r}: {exc} Compile before the model's first call, or build "
                    "the model with the functional API (keras.Model(inputs, outputs))."
                ) from exc

    def __repr__(self) -> str:
        text = ", ".join(f"{h}={v:g}" for h, v in self._values.items())
        return f"LossWeights({text})"


def attribute_name(head: str) -> str:
    """The model attribute (and variable name) that holds ``head``'s loss weight."""
    return f"loss_weight_{head}"
