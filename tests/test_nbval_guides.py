"""``pytest --nbval --guides`` runs each guide's solution blocks in its notebook's nbval kernel.

A small project in a temporary folder (the repository's conftest.py and
tools/guide_solutions.py, one notebook and its guide) is tested in a child pytest: the
blocks run after the notebook's cells, in that kernel, and a wrong claim fails with the
guide's place and what the kernel gave.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

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


def _project(tmp_path: Path, value: int) -> Path:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    shutil.copytree(
        ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "lessons").mkdir()
    cell = nbformat.v4.new_code_cell("x = 21\nprint(x)")
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="21\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nbformat.write(nb, tmp_path / "notebooks" / "01-a-lesson.ipynb")
    (tmp_path / "lessons" / "01-a-lesson.md").write_text(GUIDE.format(value=value))
    return tmp_path


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


def test_guide_blocks_run_after_the_notebook_in_its_kernel(tmp_path):
    result = _pytest(_project(tmp_path, 42), "--guides")
    assert result.returncode == 0, result.stdout + result.stderr
    # -rA lists every item in the order it ran: the notebook's cell, then the guide's blocks.
    ran = [
        line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith("PASSED ")
    ]
    assert ran == [
        "notebooks/01-a-lesson.ipynb::Cell 0",
        "notebooks/01-a-lesson.ipynb::guide block 1 (line 7)",
        "notebooks/01-a-lesson.ipynb::guide block 2 (line 16)",
    ], result.stdout
    assert "3 passed" in result.stdout, result.stdout


def test_a_wrong_claim_fails_with_the_guide_place_and_the_kernel_value(tmp_path):
    result = _pytest(_project(tmp_path, 43), "--guides")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 2 passed" in result.stdout, result.stdout
    assert "Challenge 1: the value (solution block 1, line 7)" in result.stdout
    assert "the guide says `y  # 43`, the kernel gives 42" in result.stdout


def test_without_the_option_only_the_notebook_runs(tmp_path):
    result = _pytest(_project(tmp_path, 43))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
