"""``pytest --nbval --guides`` runs each guide's solution blocks in its notebook's nbval kernel.

A small project in a temporary folder (the repository's conftest.py and
tools/guide_solutions.py, two notebooks and their guides: lesson 01's guide right, lesson
02's with a wrong claim) is tested in a child pytest: the blocks run after their
notebook's cells, in that kernel, and a wrong claim fails with the guide's place and what
the kernel gave.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

GUIDE = """# A lesson

### Challenge 1: the value
<details><summary>Solution</summary>

```python
y = x * 2
y  # {value}
```
</details>

### Challenge 2: the error
<details><summary>Solution</summary>

```python
# raises ZeroDivisionError: division by zero
x / 0
```
</details>
"""


def _lesson(project: Path, number: str, value: int) -> None:
    """Notebook ``number`` (one cell: ``x = 21``) and its guide, whose block 1 says ``value``."""
    cell = nbformat.v4.new_code_cell("x = 21\nprint(x)")
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="21\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nbformat.write(nb, project / "notebooks" / f"{number}-a-lesson.ipynb")
    (project / "lessons" / f"{number}-a-lesson.md").write_text(GUIDE.format(value=value))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """Lesson 01, whose guide is right (42), and lesson 02, whose block 1 is wrong (43)."""
    root = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")
    shutil.copytree(ROOT / "tools", root / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "notebooks").mkdir()
    (root / "lessons").mkdir()
    _lesson(root, "01", 42)
    _lesson(root, "02", 43)
    return root


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "notebooks",
            "--nbval",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-rA",
            *args,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def with_guides(project) -> subprocess.CompletedProcess:
    return _pytest(project, "--guides")


def test_guide_blocks_run_after_the_notebook_in_its_kernel(with_guides):
    result = with_guides
    # -rA lists every item in the order it ran: each notebook's cell, then its guide's blocks.
    ran = [
        line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith("PASSED ")
    ]
    assert ran == [
        "notebooks/01-a-lesson.ipynb::Cell 0",
        "notebooks/01-a-lesson.ipynb::guide block 1 (line 7)",
        "notebooks/01-a-lesson.ipynb::guide block 2 (line 16)",
        "notebooks/02-a-lesson.ipynb::Cell 0",
        "notebooks/02-a-lesson.ipynb::guide block 2 (line 16)",
    ], result.stdout


def test_a_wrong_claim_fails_with_the_guide_place_and_the_kernel_value(with_guides):
    result = with_guides
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 5 passed" in result.stdout, result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert len(failed) == 1, result.stdout
    assert failed[0].startswith("FAILED notebooks/02-a-lesson.ipynb::guide block 1 (line 7)")
    assert "Challenge 1: the value (solution block 1, line 7)" in result.stdout
    assert "the guide says `y  # 43`, the kernel gives 42" in result.stdout


def test_without_the_option_only_the_notebook_runs(project):
    result = _pytest(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout
