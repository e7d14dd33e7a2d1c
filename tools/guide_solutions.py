"""Run every guide's solution code in a kernel after its lesson's notebook.

Usage: python tools/guide_solutions.py [GUIDE ...]   (default: every lessons/NN-slug.md
that has solution code)

A learner opens ``notebooks/NN-slug.ipynb``, runs it, then tries the challenges of
``lessons/NN-slug.md`` in the same kernel. This does the same: it runs the notebook top to
bottom in a fresh kernel (cells tagged ``raises-exception`` may raise), then every
```` ```python ```` block inside the guide's ``<details><summary>Solution</summary>``
sections, in guide order, in that same kernel. It reports the guide, the challenge and the
error of every block that does not do what the guide says.

Two conventions let a guide say what its code does, in words a reader understands:

``# raises NAME: MESSAGE`` as a block's first line
    The block's last statement must raise an exception of class ``NAME`` (for example
    ``ValueError`` or ``InvalidArgumentError``) whose message contains ``MESSAGE``;
    ``...`` in ``MESSAGE`` stands for any text. Everything before the last statement
    must run without error. ``# raises NAME`` alone checks the class only.

``expression  # LITERAL`` on a line of its own
    A top-level expression followed by a comment that is exactly one Python literal
    (``# 6570``, ``# True``, ``# (10, 1)``, ``# 0.865``) must evaluate to that value. A
    float is compared to as many decimals as it is written with. Comments that are not a
    literal (``# ≈ 0.79``, ``# as printed``) are prose and are not checked.

A fenced block without a language inside a solution is an error: label it ``python`` to
have it run, or ``text`` to show it without running it.
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import re
import sys
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))
CELL_TIMEOUT_S = 900
PYTHON_LANGUAGES = {"python", "py", "python3"}

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_DETAILS_TAG = re.compile(
    r"(?P<close></details\s*>)|<summary\b[^>]*>(?P<summary>.*?)</summary\s*>|<details\b[^>]*>",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
_RAISES = re.compile(r"^#\s*raises\s+(?P<name>[A-Za-z_][\w.]*)\s*(?::\s*(?P<message>.*))?$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CHECK = "_guide_solutions_check"


@dataclass(frozen=True)
class ExpectedError:
    """The error a block's first line says it raises."""

    name: str
    message: str = ""

    def matches(self, ename: str, evalue: str) -> bool:
        """True when ``ename: evalue`` is this error (``...`` in the message: any text)."""
        if ename != self.name.rsplit(".", 1)[-1]:
            return False
        text = _plain(evalue)
        position = 0
        for piece in (_plain(part) for part in self.message.split("...")):
            if not piece:
                continue
            found = text.find(piece, position)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    def __str__(self) -> str:
        return f"{self.name}: {self.message}" if self.message else self.name


@dataclass(frozen=True)
class SolutionBlock:
    """One ```python block of a guide's solution."""

    guide: str
    challenge: str
    number: int  # 1, 2, ... in guide order
    line: int  # line of the guide where the code starts (1-based)
    code: str

    @property
    def raises(self) -> ExpectedError | None:
        """The error the block's first line announces, or None."""
        return expected_error(self.code)

    def where(self) -> str:
        challenge = self.challenge or "(no heading)"
        return f"{self.guide}, {challenge} (solution block {self.number}, line {self.line})"


@dataclass
class BlockResult:
    block: SolutionBlock
    problem: str | None  # None when the block did what the guide says
    seconds: float
    output: str = ""  # what the block printed or displayed as text


@dataclass
class GuideReport:
    guide: Path
    notebook: Path
    notebook_problem: str | None = None
    notebook_seconds: float = 0.0
    results: list[BlockResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.notebook_problem is None and all(r.problem is None for r in self.results)

    @property
    def solution_seconds(self) -> float:
        return sum(r.seconds for r in self.results)

    def describe(self) -> str:
        """One line when all is well; otherwise one paragraph per problem."""
        name = _display_path(self.guide)
        if self.notebook_problem is not None:
            return (
                f"{name}: its notebook {_display_path(self.notebook)} failed before any "
                f"solution ran:\n{self.notebook_problem}"
            )
        problems = [r for r in self.results if r.problem is not None]
        timing = (
            f"notebook {self.notebook_seconds:.1f} s, {len(self.results)} solution blocks "
            f"{self.solution_seconds:.1f} s"
        )
        if not problems:
            return f"{name}: every solution block did what the guide says ({timing})"
        lines = [
            f"{name}: {len(problems)} of {len(self.results)} solution blocks failed ({timing})"
        ]
        for result in problems:
            lines.append(f"- {result.block.where()}:\n  {result.problem}")
        return "\n".join(lines)


def _plain(text: str) -> str:
    """Text without ANSI colour codes, whitespace runs collapsed to one space."""
    return " ".join(_ANSI.sub("", text).split())


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def extract_solutions(text: str, guide: str = "<guide>") -> list[SolutionBlock]:
    """The ```python blocks inside ``<details><summary>Solution</summary>`` sections.

    Parameters
    ----------
    text
        The guide's Markdown.
    guide
        The guide's name, for messages.

    Returns
    -------
    list of SolutionBlock
        In guide order, each with the nearest heading above it as its challenge.

    Raises
    ------
    ValueError
        For a fence without a language inside a solution, an unclosed fence or an
        unclosed ``<details>`` solution.

    Examples
    --------
    >>> guide = "### Challenge 1\\n<details><summary>Solution</summary>\\n\\n" \\
    ...         "```python\\nx = 1\\n```\\n</details>\\n"
    >>> [(b.challenge, b.code) for b in extract_solutions(guide)]
    [('Challenge 1', 'x = 1\\n')]
    """
    blocks: list[SolutionBlock] = []
    heading = ""
    open_details: list[list] = []  # [line, is a solution, summary seen] per open <details>
    fence: tuple[str, str, int, _Dedent] | None = None  # (marker, info, start, body)
    for number, line in enumerate(text.splitlines(), start=1):
        in_solution = any(is_solution for _, is_solution, _ in open_details)
        if fence is not None:
            marker, info, start, body = fence
            stripped = line.strip()
            if stripped.startswith(marker) and set(stripped) <= set(marker[0]):
                if in_solution and info.lower() in PYTHON_LANGUAGES:
                    code = "\n".join(body) + "\n"
                    blocks.append(SolutionBlock(guide, heading, len(blocks) + 1, start + 1, code))
                fence = None
            else:
                body.append(line)
            continue
        opened = _FENCE.match(line)
        if opened:
            info = opened.group("info")
            if in_solution and not info:
                raise ValueError(
                    f"{guide} line {number}: a code fence without a language inside a "
                    "solution; write ```python to have it run after the notebook, or "
                    "```text to show it without running it"
                )
            fence = (opened.group("fence"), info, number, _Dedent(len(opened.group("indent"))))
            continue
        found = _HEADING.match(line)
        if found and not in_solution:
            heading = found.group(2)
        for tag in _DETAILS_TAG.finditer(line):
            if tag.group("close"):
                if open_details:
                    open_details.pop()
            elif tag.group("summary") is not None:
                if open_details and not open_details[-1][2]:
                    summary = re.sub(r"<[^>]*>", "", tag.group("summary")).strip()
                    open_details[-1][1] = summary.lower().startswith("solution")
                    open_details[-1][2] = True
            else:
                open_details.append([number, False, False])
    if fence is not None:
        raise ValueError(f"{guide} line {fence[2]}: code fence {fence[0]} is never closed")
    for line, is_solution, _ in open_details:
        if is_solution:
            raise ValueError(
                f"{guide} line {line}: <details><summary>Solution</summary> is never "
                "closed with </details>"
            )
    return blocks


class _Dedent(list):
    """Body lines of an indented fence, with the fence's indentation removed."""

    def __init__(self, indent: int):
        super().__init__()
        self.indent = indent

    def append(self, line: str) -> None:
        prefix = line[: self.indent]
        super().append(line[self.indent :] if not prefix.strip() else line.lstrip())


def read_solutions(guide: Path) -> list[SolutionBlock]:
    """The solution blocks of the guide at ``guide``."""
    return extract_solutions(guide.read_text(encoding="utf-8"), _display_path(guide))


def expected_error(code: str) -> ExpectedError | None:
    """The error announced by the code's first line (``# raises NAME: MESSAGE``), if any."""
    for line in code.splitlines():
        if not line.strip():
            continue
        found = _RAISES.match(line.strip())
        if found is None:
            return None
        return ExpectedError(found.group("name"), (found.group("message") or "").strip())
    return None


def split_last_statement(code: str) -> tuple[str, str]:
    """``(everything before the last top-level statement, the last statement)``.

    Comment lines between the two go with the last statement.
    """
    tree = ast.parse(code)
    if not tree.body:
        return code, ""
    lines = code.splitlines(keepends=True)
    previous_end = tree.body[-2].end_lineno if len(tree.body) > 1 else 0
    return "".join(lines[:previous_end]), "".join(lines[previous_end:])


def _literal_comments(code: str) -> dict[int, tuple[int, str]]:
    """``{row: (column, text)}`` of every comment that is exactly one Python literal."""
    found = {}
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        text = token.string[1:].strip()
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, int | float | str | bool | tuple | list | type(None)):
            found[token.start[0]] = (token.start[1], text)
    return found


def _decimals(literal: str) -> int | None:
    """Decimals a float literal is written with (``"0.865"`` -> 3); None for others."""
    match = re.fullmatch(r"[-+]?\d*\.(\d+)", literal.replace("_", ""))
    return len(match.group(1)) if match else None


def checked_source(code: str) -> str:
    """The code with every ``expression  # LITERAL`` line turned into a check.

    The expression is evaluated once and compared with the literal by
    ``_guide_solutions_check`` (defined in the kernel by :data:`CHECK_DEFINITION`).
    """
    tree = ast.parse(code)
    comments = _literal_comments(code)
    if not comments:
        return code
    lines = code.splitlines(keepends=True)
    rows_used: dict[int, int] = {}
    for statement in tree.body:
        for row in range(statement.lineno, statement.end_lineno + 1):
            rows_used[row] = rows_used.get(row, 0) + 1
    replacements = {}
    for statement in tree.body:
        if not isinstance(statement, ast.Expr) or statement.end_lineno not in comments:
            continue
        column, literal = comments[statement.end_lineno]
        rows = range(statement.lineno, statement.end_lineno + 1)
        if column < statement.end_col_offset or any(rows_used[row] > 1 for row in rows):
            continue
        expression = ast.get_source_segment(code, statement.value)
        shown = "".join(lines[row - 1] for row in rows).strip()
        replacements[statement.lineno] = (
            statement.end_lineno,
            f"{_CHECK}(({expression}), {literal}, {_decimals(literal)!r}, {shown!r})\n",
        )
    out = []
    row = 1
    while row <= len(lines):
        if row in replacements:
            end, text = replacements[row]
            out.append(text)
            row = end + 1
        else:
            out.append(lines[row - 1])
            row += 1
    return "".join(out)


CHECK_DEFINITION = f'''
def {_CHECK}(value, expected, decimals, line):
    """A guide's ``expression  # LITERAL`` line: the value must be the literal."""
    if decimals is not None:
        same = abs(float(value) - expected) <= 0.5 * 10 ** -decimals + 1e-12
    else:
        same = value == expected
        if not isinstance(same, bool):
            same = bool(getattr(same, "all", lambda: same)())
    if not same:
        raise AssertionError(f"the guide says `{{line}}`, the kernel gives {{value!r}}")
'''


def notebook_for(guide: Path) -> Path:
    """``lessons/NN-slug.md`` -> ``notebooks/NN-slug.ipynb`` (beside ``lessons/``)."""
    return guide.resolve().parent.parent / "notebooks" / f"{guide.stem}.ipynb"


def guides_with_solutions(lessons: Path = ROOT / "lessons") -> list[Path]:
    """Every ``NN-slug.md`` guide in ``lessons`` with at least one solution block."""
    return [g for g in sorted(lessons.glob("[0-9][0-9]-*.md")) if read_solutions(g)]


def error_of(cell) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", ""), _plain(output.get("evalue", ""))
    return None


def _text_of(cell) -> str:
    """What a cell printed or displayed as text, errors as ``NAME: message``."""
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(output.get("text", ""))
        elif kind == "error":
            parts.append(f"{output.get('ename')}: {_ANSI.sub('', output.get('evalue', ''))}\n")
        elif "text/plain" in output.get("data", {}):
            parts.append(output["data"]["text/plain"] + "\n")
    return "".join(parts)


def _short(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_guide(
    guide: Path, timeout: int = CELL_TIMEOUT_S, backend: str | None = "tensorflow"
) -> GuideReport:
    """Run the guide's notebook, then its solution blocks, in one fresh kernel.

    Parameters
    ----------
    guide
        ``lessons/NN-slug.md``; its notebook is ``notebooks/NN-slug.ipynb``.
    timeout
        Seconds one cell or block may take.
    backend
        The kernel's ``KERAS_BACKEND``. The guides quote TensorFlow's messages, so
        TensorFlow by default; None keeps the environment's.

    Returns
    -------
    GuideReport
        What failed (if anything) and how long the notebook and the blocks took.
    """
    import nbformat

    from tools.kernel import notebook_client

    notebook = notebook_for(guide)
    report = GuideReport(guide=guide, notebook=notebook)
    blocks = read_solutions(guide)
    if not notebook.is_file():
        report.notebook_problem = f"no notebook {_display_path(notebook)} for this guide"
        return report
    nb = nbformat.read(notebook, as_version=4)
    client = notebook_client(nb, notebook.parent, timeout)

    def run(source: str):
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["raises-exception"]})
        nb.cells.append(cell)
        return client.execute_cell(cell, len(nb.cells) - 1)

    env = dict(os.environ)
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    with client.setup_kernel(env=env):
        start = time.perf_counter()
        for index, cell in enumerate(list(nb.cells)):
            if cell.cell_type != "code":
                continue
            tags = cell.metadata.get("tags", [])
            cell.metadata["tags"] = [*tags, "raises-exception"]
            executed = client.execute_cell(cell, index)
            error = error_of(executed)
            if error is not None and "raises-exception" not in tags:
                report.notebook_problem = f"cell {index}: {error[0]}: {_short(error[1])}"
                break
        report.notebook_seconds = time.perf_counter() - start
        if report.notebook_problem is not None:
            return report
        run(CHECK_DEFINITION)
        for block in blocks:
            start = time.perf_counter()
            shown: list[str] = []
            problem = run_block(block, run, shown)
            seconds = time.perf_counter() - start
            report.results.append(BlockResult(block, problem, seconds, "".join(shown)))
    return report


def run_block(block: SolutionBlock, execute, shown: list[str]) -> str | None:
    """Run one block with ``execute(source) -> executed cell``; say what went wrong.

    What the block prints or displays is appended to ``shown``.
    """

    def run(source: str) -> tuple[str, str] | None:
        executed = execute(source)
        shown.append(_text_of(executed))
        return error_of(executed)

    try:
        expected = block.raises
        if expected is None:
            error = run(checked_source(block.code))
            return None if error is None else f"{error[0]}: {_short(error[1])}"
        before, last = split_last_statement(block.code)
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno} of the block)"
    if before.strip():
        error = run(checked_source(before))
        if error is not None:
            return (
                f"{error[0]}: {_short(error[1])} (before the last statement, which should "
                f"raise {expected.name})"
            )
    error = run(last)
    if error is None:
        return f"the guide says this raises {expected}, but it ran without error"
    if not expected.matches(*error):
        return (
            f"the guide says this raises {expected}, but it raised {error[0]}: {_short(error[1])}"
        )
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("guides", nargs="*", type=Path, help="default: every guide with solutions")
    parser.add_argument(
        "--show", action="store_true", help="print what every block printed (to check numbers)"
    )
    args = parser.parse_args(argv)
    guides = args.guides or guides_with_solutions()
    failed = 0
    for guide in guides:
        report = run_guide(guide)
        if args.show:
            for result in report.results:
                print(f"== {result.block.where()} ({result.seconds:.1f} s)")
                print(result.output, end="", flush=True)
        print(report.describe(), flush=True)
        failed += not report.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
