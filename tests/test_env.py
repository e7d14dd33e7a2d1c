import subprocess
import sys

import pytest

from helpers.env import set_seed


def test_quiet_keras_import_leaves_no_startup_lines_on_stderr():
    code = "from helpers.env import quiet_keras_import; k = quiet_keras_import(); print(k.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "keras"
    assert "oneDNN" not in result.stderr and "absl" not in result.stderr, result.stderr


def test_stderr_works_again_after_the_quiet_import():
    code = (
        "import sys; from helpers.env import quiet_keras_import; quiet_keras_import(); "
        "print('still here', file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "still here" in result.stderr


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        set_seed(bad)
