"""The course map, the lesson guides, the notebooks and the README agree."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
GUIDES = sorted(p.stem for p in (ROOT / "lessons").glob("[0-9][0-9]-*.md"))
GUIDE_SECTIONS = [
    "## Questions",
    "## Objectives",
    "## Key points",
    "## Instructor notes",
    "## Book code on Keras 3",
]


def table_notebooks(markdown: str) -> list[str]:
    """Notebook stems in the order their table rows appear."""
    return re.findall(
        r"^\|[^\n]*?\[[^\]]*\]\((?:\.\./)?notebooks/([0-9]{2}-[\w-]+)\.ipynb\)",
        markdown,
        flags=re.MULTILINE,
    )


def test_there_is_at_least_one_lesson_and_numbers_run_in_sequence():
    assert NOTEBOOKS, "notebooks/ holds no NN-slug.ipynb"
    numbers = [int(stem[:2]) for stem in NOTEBOOKS]
    assert numbers == list(range(1, len(numbers) + 1))


def test_every_notebook_has_a_guide_and_every_guide_a_notebook():
    assert NOTEBOOKS == GUIDES


def test_course_map_lists_every_lesson_in_order():
    course_map = (ROOT / "lessons" / "README.md").read_text(encoding="utf-8")
    assert table_notebooks(course_map) == NOTEBOOKS
    for stem in NOTEBOOKS:
        assert f"]({stem}.md)" in course_map, f"course map does not link the guide {stem}.md"


def test_readme_lesson_table_lists_every_lesson_in_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert table_notebooks(readme) == NOTEBOOKS
    for stem in NOTEBOOKS:
        assert f"](lessons/{stem}.md)" in readme, f"README does not link lessons/{stem}.md"


@pytest.mark.parametrize("stem", GUIDES)
def test_guide_follows_the_house_format(stem):
    text = (ROOT / "lessons" / f"{stem}.md").read_text(encoding="utf-8")
    front = re.match(r"---\n(.*?)\n---\n", text, flags=re.DOTALL)
    assert front, f"{stem}.md has no front matter"
    assert f"notebook: ../notebooks/{stem}.ipynb" in front.group(1)
    assert re.search(r"^teaching: \d+$", front.group(1), flags=re.MULTILINE)
    assert re.search(r"^exercises: \d+$", front.group(1), flags=re.MULTILINE)
    for heading in GUIDE_SECTIONS:
        assert heading in text, f"{stem}.md lacks '{heading}'"
    challenges = re.findall(r"^### Challenge", text, flags=re.MULTILINE)
    solutions = re.findall(r"<details><summary>Solution</summary>", text)
    assert len(challenges) >= 2, f"{stem}.md has {len(challenges)} challenges; at least 2"
    assert len(solutions) >= len(challenges), f"{stem}.md: a challenge lacks a folded solution"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_opens_with_title_and_guide_link_then_set_up(stem):
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    text = "".join(first["source"])
    assert text.startswith(f"# {stem[:2]} ·"), "first cell must start with the lesson title"
    assert f"../lessons/{stem}.md" in text, "first cell must link the lesson guide"
    assert "**Time:**" in text
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "quiet_keras_import" in "".join(code[0]["source"]), "first code cell is the set-up"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_committed_notebook_ran_top_to_bottom_in_a_fresh_kernel(stem):
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), "run `make notebooks` and commit"
    for cell in nb["cells"]:
        source = "".join(cell.get("source", ""))
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                assert "# NBVAL_RAISES_EXCEPTION" in source, f"unexpected error in {stem}"
            text = json.dumps(out)
            assert not re.search(r"/(root|home|Users|tmp)/|site-packages", text), (
                f"{stem}: an output shows a machine path"
            )
