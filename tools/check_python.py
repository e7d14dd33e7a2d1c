"""Stop `make` early, with the fix, when the Python that would build .venv is unsupported."""

import sys

SUPPORTED = ((3, 11), (3, 13))

if not (SUPPORTED[0] <= sys.version_info[:2] <= SUPPORTED[1]):
    found = ".".join(map(str, sys.version_info[:3]))
    sys.exit(
        f"Beyond Sequential needs Python 3.11 to 3.13 (TensorFlow 2.21), found {found} at "
        f"{sys.executable}.\nInstall a supported Python and run, for example: "
        "make PYTHON=python3.11 lab"
    )
