"""K copies of the lab's model trained side by side, one ``fit`` for all of them.

:func:`stack_model` rebuilds a functional model so that every layer holds ``K`` copies
of its parameters along a new axis (an embedding table of shape ``(vocab, K, dim)``, a
Dense kernel of shape ``(K, in, out)`` applied with ``keras.ops.einsum``), and every
tensor after the inputs carries the copies on axis 1: ``(batch, K, ...)``. The inputs
are shared: every copy sees the same batches.

:class:`StackedModel` adds each copy's own loss weights, one row of a ``(K, heads)``
matrix. Its total loss is ``sum over k and h of W[k, h] * L_h(copy k)``. The copies
share no parameter, so the gradient of that total with respect to copy ``k``'s
parameters is exactly the gradient of copy ``k``'s own weighted loss; and Adam (like
every Keras optimizer without global clipping) updates each parameter from its own
gradient alone. So copy ``k`` follows the run a single model would follow with the
weights ``W[k]``, batch for batch, up to float rounding. ``tests/test_lab_map.py``
checks it against the lab's own retrains.

Only layers whose stacked form is written here can be stacked; :func:`unstackable`
names the first one that cannot, and the lab then trains the runs one after another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from helpers.env import quiet_keras_import

from ._copy_losses import copy_losses

keras = quiet_keras_import()
ops = keras.ops

__all__ = ["StackedModel", "fill_copies", "stack_model", "unstackable"]

# Layers that act on the last axis only (or element by element): on stacked tensors
# they already compute every copy at once, so the stacked model reuses them as they are.
_AS_IS = (
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Multiply,
    keras.layers.Average,
    keras.layers.Maximum,
    keras.layers.Minimum,
)


def unstackable(model: Any) -> str | None:
    """Why ``model`` cannot be stacked (the first layer that cannot), or None if it can."""
    fed_by_input = _layers_fed_by_inputs(model)
    for layer in model.layers:
        reason = _why_not(layer, layer.name in fed_by_input)
        if reason:
            return f"layer {layer.name!r} ({type(layer).__name__}) {reason}"
    return None


def _why_not(layer: Any, fed_by_input: bool) -> str | None:
    if isinstance(layer, keras.layers.InputLayer):
        return None
    if getattr(layer, "losses", None):
        return "adds its own losses (regularizers)"
    for attr in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
        if getattr(layer, attr, None) is not None:
            return f"has a {attr}"
    if isinstance(layer, keras.layers.Embedding):
        if layer.mask_zero:
            return "masks padding (mask_zero=True)"
        return None if fed_by_input else "does not read a model input"
    if isinstance(layer, keras.layers.Dense):
        return None
    if isinstance(layer, keras.layers.GlobalAveragePooling1D | keras.layers.GlobalMaxPooling1D):
        if layer.data_format != "channels_last":
            return "is not channels_last"
        return "reads a model input" if fed_by_input else None
    if isinstance(layer, keras.layers.Concatenate):
        return None if layer.axis == -1 and not fed_by_input else "is not on the last axis"
    if isinstance(layer, keras.layers.Dropout):
        return None if layer.rate == 0 else "draws random noise that differs between copies"
    if isinstance(layer, _AS_IS):
        return "reads a model input" if fed_by_input else None
    return "has no stacked form here"


def _layers_fed_by_inputs(model: Any) -> set[str]:
    inputs = {id(t) for t in model.inputs}
    names = set()
    for layer in model.layers:
        for node in layer._inbound_nodes:
            if any(id(t) in inputs for t in node.input_tensors):
                names.add(layer.name)
    return names


class StackedEmbedding(keras.layers.Layer):
    """``K`` embedding tables in one ``(vocab, K, dim)`` variable; out: ``(B, K, ..., dim)``."""

    def __init__(self, copies: int, input_dim: int, output_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.copies, self.input_dim, self.output_dim = copies, input_dim, output_dim

    def build(self, input_shape: Any) -> None:
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.copies, self.output_dim), name="embeddings"
        )

    def call(self, ids: Any, mask: Any = None) -> Any:
        ids = ops.cast(ids, "int32")
        rows = ops.take(self.embeddings, ids, axis=0)  # (B, ..., K, dim): one gather for all
        return ops.moveaxis(rows, -2, 1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        batch, *rest = input_shape
        return (batch, self.copies, *rest, self.output_dim)


class StackedDense(keras.layers.Layer):
    """``K`` Dense layers: kernel ``(K, in, out)``, bias ``(K, out)``, one einsum."""

    def __init__(
        self,
        copies: int,
        units: int,
        activation: Any,
        use_bias: bool,
        shared_input: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.copies, self.units, self.use_bias = copies, units, use_bias
        self.activation = keras.activations.get(activation)
        self.shared_input = shared_input  # reads a model input: (B, ..., in), no copy axis

    def build(self, input_shape: Any) -> None:
        width = input_shape[-1]
        self.kernel = self.add_weight(shape=(self.copies, width, self.units), name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.copies, self.units), initializer="zeros", name="bias"
            )

    def call(self, x: Any, mask: Any = None) -> Any:
        middle = "abcdefgh"[: len(x.shape) - (2 if self.shared_input else 3)]
        if self.shared_input:
            y = ops.einsum(f"z{middle}i,kio->zk{middle}o", x, self.kernel)
        else:
            y = ops.einsum(f"zk{middle}i,kio->zk{middle}o", x, self.kernel)
        if self.use_bias:
            bias = ops.reshape(self.bias, (1, self.copies) + (1,) * len(middle) + (self.units,))
            y = y + bias
        return self.activation(y)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if self.shared_input:
            batch, *rest = input_shape
            return (batch, self.copies, *rest[:-1], self.units)
        return (*input_shape[:-1], self.units)


class StackedPooling1D(keras.layers.Layer):
    """Global average or max pooling over the steps of ``(B, K, steps, channels)``."""

    def __init__(self, reduce: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reduce = reduce

    def call(self, x: Any, mask: Any = None) -> Any:
        return ops.mean(x, axis=2) if self.reduce == "mean" else ops.max(x, axis=2)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], input_shape[1], input_shape[3])


def stack_model(model: Any, copies: int) -> tuple[Any, list[tuple[Any, Any, Any]]]:
    """``model`` rebuilt with ``copies`` copies of every parameter, and how to fill them.

    Returns the stacked functional model (outputs named as ``model``'s) and a list of
    ``(stacked_variable, source_variable, kind)`` telling :func:`fill_copies` how each
    stacked parameter is made from the source model's: ``kind`` is ``"embedding"``
    (copies on axis 1) or ``"leading"`` (copies on axis 0).
    """
    reason = unstackable(model)
    if reason:
        raise ValueError(f"this model cannot be stacked: {reason}")
    fed_by_input = _layers_fed_by_inputs(model)
    pairs: list[tuple[Any, Any]] = []  # (stacked layer, source layer)

    def clone(layer: Any) -> Any:
        if isinstance(layer, keras.layers.Embedding):
            new = StackedEmbedding(copies, layer.input_dim, layer.output_dim, name=layer.name)
        elif isinstance(layer, keras.layers.Dense):
            new = StackedDense(
                copies,
                layer.units,
                layer.activation,
                layer.use_bias,
                layer.name in fed_by_input,
                name=layer.name,
            )
        elif isinstance(layer, keras.layers.GlobalAveragePooling1D):
            new = StackedPooling1D("mean", name=layer.name)
        elif isinstance(layer, keras.layers.GlobalMaxPooling1D):
            new = StackedPooling1D("max", name=layer.name)
        else:  # a layer that acts on the last axis: the same layer, new weights (none)
            new = layer.__class__.from_config(layer.get_config())
        pairs.append((new, layer))
        return new

    graph = keras.Model(model.inputs, model.outputs, name=model.name)  # uncompiled, same layers
    stacked = keras.models.clone_model(graph, clone_function=clone)
    plan = []
    for new, source in pairs:
        if isinstance(new, StackedEmbedding):
            plan.append((new.embeddings, source.embeddings, "embedding"))
        elif isinstance(new, StackedDense):
            plan.append((new.kernel, source.kernel, "leading"))
            if new.use_bias:
                plan.append((new.bias, source.bias, "leading"))
    return stacked, plan


def fill_copies(plan: Sequence[tuple[Any, Any, str]], values: Mapping[int, np.ndarray]) -> None:
    """Give every copy the source parameters ``values`` (by ``id`` of the source variable)."""
    for stacked, source, kind in plan:
        value = np.asarray(values[id(source)])
        copies = stacked.shape[1] if kind == "embedding" else stacked.shape[0]
        axis = 1 if kind == "embedding" else 0
        stacked.assign(np.repeat(np.expand_dims(value, axis), copies, axis=axis))


class StackedModel(keras.Model):
    """The stacked network, trained on ``sum_k sum_h W[k, h] * L_h(copy k)``."""

    def __init__(self, net: Any, heads: Sequence[str], losses: Mapping[str, Any]) -> None:
        super().__init__(name=f"{net.name}_stacked")
        self.net, self.heads = net, tuple(heads)
        self.copy_losses = {h: copy_losses(losses[h]) for h in self.heads}
        copies = net.outputs[0].shape[1]
        self.loss_weight_matrix = self.add_weight(
            shape=(copies, len(self.heads)),
            initializer="ones",
            trainable=False,
            name="loss_weight_matrix",
        )

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.net(inputs, training=training)

    def by_head(self, outputs: Any) -> dict[str, Any]:
        if isinstance(outputs, Mapping):
            return dict(outputs)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return dict(zip(self.heads, outputs, strict=True))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        predictions = self.by_head(y_pred)
        total = 0.0
        for index, head in enumerate(self.heads):
            per_copy = self.copy_losses[head](y[head], predictions[head])
            total = total + ops.sum(self.loss_weight_matrix[:, index] * per_copy)
        return total
