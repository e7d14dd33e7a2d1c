"""set_seed's argument check. The quiet import (no TensorFlow start-up lines on standard
error, on every backend) is checked in the backend children of tests/test_backends.py."""

import pytest

from helpers.env import set_seed


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        set_seed(bad)
