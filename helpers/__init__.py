"""Helpers for the Beyond Sequential lessons.

Modules, each with one job (dependencies point downward):

- ``helpers.data``: learnable synthetic datasets (NumPy only).
- ``helpers.checks``: checkpoint cells that check a learner's result and print one line.
- ``helpers.env``: a quiet, reproducible start for a lesson's kernel.
- ``helpers.models``: the compact posts model that lesson 03 writes out and the lab trains.
- ``helpers.losstable``: the per-head loss table (raw loss, weight, weighted share).
- ``helpers.live``: live loss plots for single- and multi-output training.
- ``helpers.lossweights``: loss weights held in variables, changeable without a recompile.
- ``helpers.lab``: the loss-weight lab (sliders, live curves, runs compared, weighting
  methods that choose the weights themselves, the heads' gradients on the shared layer).
- ``helpers.graphs``: a picture of any model as a graph of layers with shapes.

Nothing here imports Keras at package import time, so ``import helpers`` is fast.
"""

__version__ = "0.1.0"
