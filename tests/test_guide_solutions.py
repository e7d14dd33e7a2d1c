"""Every guide's solution code does what the guide says, run after its lesson's notebook.

One fresh kernel per guide: the notebook top to bottom, then every ```python block of the
guide's solutions in guide order (tools/guide_solutions.py). A block announced with
``# raises NAME: MESSAGE`` must raise that error; ``expression  # LITERAL`` lines must
give that value. Guides are found by glob, so a new lesson is covered when it lands.

This takes minutes (each lesson's notebook runs once), so it runs when this file is named
(``make guides``, ``pytest tests/test_guide_solutions.py``) or with ``BSEQ_GUIDES=1``;
``make test`` runs it as a stage of its own. The extractor's fast tests are in
tests/test_guide_extract.py.
"""

import os
from pathlib import Path

import pytest

from tools import guide_solutions as gs

ROOT = Path(__file__).resolve().parents[1]
HOW_TO_RUN = (
    "guide solutions run one kernel per lesson (minutes): `make guides`, "
    "`pytest tests/test_guide_solutions.py` or BSEQ_GUIDES=1"
)


def _guides_with_solutions() -> list[Path]:
    """Guides with solution code, and guides whose solutions cannot be read (the test says why)."""
    guides = []
    for guide in sorted((ROOT / "lessons").glob("[0-9][0-9]-*.md")):
        try:
            if gs.read_solutions(guide):
                guides.append(guide)
        except ValueError:
            guides.append(guide)
    return guides


GUIDES = _guides_with_solutions()


def _selected(config) -> bool:
    """True when this file (or a test in it) was named on the command line."""
    if os.environ.get("BSEQ_GUIDES") == "1":
        return True
    here = Path(__file__).resolve()
    start = Path(config.invocation_params.dir)
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        if (start / path).resolve() == here:
            return True
    return False


@pytest.mark.parametrize("guide", GUIDES, ids=[guide.stem for guide in GUIDES])
def test_solutions_run_after_the_notebook_as_the_guide_says(guide, request):
    if not _selected(request.config):
        pytest.skip(HOW_TO_RUN)
    report = gs.run_guide(guide)
    print(report.describe())
    assert report.ok, report.describe()
