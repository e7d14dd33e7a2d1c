"""Each head's gradient on the shared layer, on a fixed probe batch: one function per backend.

Keras 3 has no backend-neutral gradient function (keras-team/keras#19220), so this is
the one place in the kit that calls a backend directly: ``tf.GradientTape`` on
TensorFlow, ``jax.jacrev`` on JAX, ``torch.autograd.grad`` on PyTorch. Other backends get
a clear error. What it returns is
plain NumPy, so everything built on it (GradNorm, the gradient view) is backend-neutral.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from helpers.env import quiet_keras_import

keras = quiet_keras_import()

__all__ = ["BACKENDS", "HeadGradients", "gradient_summary"]

BACKENDS = ("tensorflow", "jax", "torch")


class HeadGradients:
    """Per-head losses and gradients with respect to one layer's weights, on a probe batch.

    Parameters
    ----------
    model : LabModel
        The lab's model (its ``lab_losses`` give each head's loss).
    x, y : array, dict of arrays
        The probe batch.
    layer : str
        The shared layer whose weights the heads compete for.

    Raises
    ------
    NotImplementedError
        On a backend other than TensorFlow, JAX or PyTorch.
    """

    def __init__(self, model: Any, x: Any, y: Mapping[str, Any], layer: str) -> None:
        backend = keras.backend.backend()
        if backend not in BACKENDS:
            raise NotImplementedError(
                f"per-head gradients (GradNorm, the gradient view) are computed on "
                f"{', '.join(BACKENDS)}; this kernel runs Keras on {backend!r}. Restart "
                "the kernel with KERAS_BACKEND=jax or tensorflow (make lab BACKEND=jax)."
            )
        # Inputs in the structure the model was built with (a list of its inputs).
        self.x = list(x) if isinstance(x, (list, tuple)) else [x]
        self.model, self.y = model, {h: np.asarray(v) for h, v in y.items()}
        self.heads = list(model.output_names)
        try:
            self.layer = model.get_layer(layer)
        except ValueError:
            raise ValueError(
                f"the model has no layer named {layer!r} to watch the heads' gradients on; "
                f"pass shared_layer= with one of {[layer.name for layer in model.layers]}"
            ) from None
        if backend == "jax":
            self._compute = self._jax()  # compiled once, called every epoch
        else:
            self._compute = self._tensorflow if backend == "tensorflow" else self._torch

    def __call__(self) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """Each head's unweighted loss and its gradient on the layer (flattened)."""
        return self._compute()

    def _tensorflow(self):
        import tensorflow as tf

        variables = [v.value for v in self.layer.trainable_weights]
        with tf.GradientTape(persistent=True) as tape:
            predictions = self.model(self.x, training=False)
            predictions = dict(zip(self.heads, predictions, strict=True))
            losses = {h: self.model.lab_losses[h](self.y[h], predictions[h]) for h in self.heads}
        grads = {
            h: np.concatenate([np.ravel(g.numpy()) for g in tape.gradient(losses[h], variables)])
            for h in self.heads
        }
        del tape
        return {h: float(v) for h, v in losses.items()}, grads

    def _torch(self):
        import torch

        variables = [v.value for v in self.layer.trainable_weights]
        with torch.enable_grad():
            predictions = self.model(self.x, training=False)
            predictions = dict(zip(self.heads, predictions, strict=True))
            losses = {h: self.model.lab_losses[h](self.y[h], predictions[h]) for h in self.heads}
            grads = {}
            for k, h in enumerate(self.heads):
                parts = torch.autograd.grad(
                    losses[h], variables, retain_graph=k < len(self.heads) - 1
                )
                grads[h] = np.concatenate([np.ravel(g.detach().cpu().numpy()) for g in parts])
        return {h: float(v.detach().cpu()) for h, v in losses.items()}, grads

    def _jax(self):
        import jax
        import jax.numpy as jnp

        model, heads = self.model, self.heads
        watched = {id(v) for v in self.layer.trainable_weights}
        picks = [i for i, v in enumerate(model.trainable_variables) if id(v) in watched]
        x, y = self.x, self.y

        def head_losses(trainable, non_trainable):
            predictions, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            predictions = dict(zip(heads, predictions, strict=True))
            return jnp.stack([model.lab_losses[h](y[h], predictions[h]) for h in heads])

        def losses_and_jacobian(trainable, non_trainable):
            chosen = [trainable[i] for i in picks]

            def of_chosen(values):
                full = list(trainable)
                for i, value in zip(picks, values, strict=True):
                    full[i] = value
                return head_losses(full, non_trainable)

            return of_chosen(chosen), jax.jacrev(of_chosen)(chosen)

        compiled = jax.jit(losses_and_jacobian)

        def compute():
            trainable = [v.value for v in model.trainable_variables]
            non_trainable = [v.value for v in model.non_trainable_variables]
            losses, jacobian = compiled(trainable, non_trainable)
            grads = {
                h: np.concatenate([np.ravel(np.asarray(j[k])) for j in jacobian])
                for k, h in enumerate(heads)
            }
            return {h: float(losses[k]) for k, h in enumerate(heads)}, grads

        return compute


def gradient_summary(
    grads: Mapping[str, np.ndarray], weights: Mapping[str, float], heads: Sequence[str]
) -> dict[str, float]:
    """Log entries for the gradient view: weighted norms, and cosines between heads.

    Keys are ``"shared gradient norm/<head>"`` (the norm of ``w_h * grad_h``) and
    ``"shared gradient cosine/<a>·<b>"`` for each pair of heads (the cosine does not
    depend on the weights; negative means the two heads pull the layer apart).

    Examples
    --------
    >>> g = {"a": np.array([1.0, 0.0]), "b": np.array([-1.0, 0.0])}
    >>> summary = gradient_summary(g, {"a": 2.0, "b": 1.0}, ["a", "b"])
    >>> summary["shared gradient norm/a"], summary["shared gradient cosine/a·b"]
    (2.0, -1.0)
    """
    out = {f"shared gradient norm/{h}": float(weights[h] * np.linalg.norm(grads[h])) for h in heads}
    for i, a in enumerate(heads):
        for b in heads[i + 1 :]:
            na, nb = np.linalg.norm(grads[a]), np.linalg.norm(grads[b])
            cosine = float(grads[a] @ grads[b] / (na * nb)) if na > 0 and nb > 0 else 0.0
            out[f"shared gradient cosine/{a}·{b}"] = cosine
    return out
