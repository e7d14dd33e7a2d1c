import os
import subprocess
import sys

import pytest

from helpers.env import set_seed


def test_quiet_keras_import_leaves_no_startup_lines_on_stderr_and_stderr_works_after():
    # One child process for both checks: importing TensorFlow costs seconds of CPU.
    code = (
        "import sys; from helpers.env import quiet_keras_import; k = quiet_keras_import(); "
        "print(k.__name__); print('still here', file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "keras"
    assert "oneDNN" not in result.stderr and "absl" not in result.stderr, result.stderr
    assert result.stderr == "still here\n", result.stderr


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        set_seed(bad)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_on_other_backends_the_set_up_cell_leaves_no_tensorflow_lines_on_stderr(backend):
    # Keras seeds TensorFlow too when it is installed, importing it on these backends.
    pytest.importorskip(backend)
    code = (
        "from helpers.env import quiet_keras_import, set_seed; k = quiet_keras_import(); "
        "set_seed(0); print(k.backend.backend())"
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend
    assert result.stderr == "", result.stderr
