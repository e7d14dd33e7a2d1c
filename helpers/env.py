"""A quiet, reproducible start for a lesson's kernel.

TensorFlow 2.21 writes C++ start-up notes ("oneDNN custom operations are on",
"Could not find cuda drivers") straight to the process's standard error while it is
imported, before ``TF_CPP_MIN_LOG_LEVEL`` is read. In Jupyter those lines land in the
notebook, look like errors to a learner and break nbval's output comparison.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from helpers._validate import check_seed

__all__ = ["quiet_keras_import", "set_seed"]


@contextlib.contextmanager
def _stderr_fd_silenced() -> Iterator[None]:
    """Point file descriptor 2 at the null device for the duration of the block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quiet_keras_import():
    """Import Keras (and its backend) without the backend's C++ start-up log lines.

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless already set, then imports Keras with the
    process's standard error silenced for the duration of the import only. Python
    exceptions are not affected: an import that fails still raises as usual.

    Returns
    -------
    module
        The ``keras`` module.

    Examples
    --------
    >>> from helpers.env import quiet_keras_import
    >>> keras = quiet_keras_import()
    >>> keras.__version__ >= "3"
    True
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" not in sys.modules:
        with _stderr_fd_silenced():
            import keras  # noqa: F401
    return sys.modules["keras"]


def set_seed(seed: int = 0) -> None:
    """Seed Keras, NumPy and Python's ``random`` so a lesson's results repeat.

    On every backend, including JAX and PyTorch, where Keras imports TensorFlow (when it
    is installed) to seed it as well: its start-up notes are kept out of standard error.

    Parameters
    ----------
    seed : int
        Any non-negative integer.
    """
    seed = check_seed("seed", seed)
    keras = quiet_keras_import()
    if "tensorflow" in sys.modules:
        keras.utils.set_random_seed(seed)
    else:
        # On the JAX and PyTorch backends Keras seeds TensorFlow too when it is
        # installed, importing it here: keep its C++ start-up notes out of the cell.
        with _stderr_fd_silenced():
            keras.utils.set_random_seed(seed)
