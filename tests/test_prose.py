"""The prose of the solution notebooks against their own cells.

Two rules of COURSE.md's conventions, checked on every solution notebook:

- **Hints guide; they do not dictate.** The hint ladder after an exercise (a nudge, the
  key equation, the shapes) never shows the line of code the exercise asks for: the
  markdown after an answer cell (up to the next code cell that is not its check) and the
  solution share no run of 24 or more characters once whitespace, backticks and
  asterisks are removed (comments in the solution do not count).
- **Prose and printed numbers stay in step.** Every decimal number in a markdown cell
  is printed by a code cell of the notebook (in its stored outputs) at the same
  precision, or stands in a code cell's source (a setting such as a learning rate),
  unless its sentence cites an external reference.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))

LEAK_LIMIT = 24
BEGIN = re.compile(r"^\s*### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d])")
EXTERNAL = re.compile(r"external reference", re.IGNORECASE)


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _strip_comment(line: str) -> str:
    """A code line without its comment (a '#' outside a string literal)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and line[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def solution_regions(source: str) -> str:
    """The code between BEGIN/END SOLUTION markers, comments dropped."""
    out, inside = [], False
    for line in source.splitlines():
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            out.append(_strip_comment(line))
    return "\n".join(out)


def squash(text: str) -> str:
    """Text with all whitespace, backticks and asterisks removed, for comparing code with hints."""
    return re.sub(r"[\s`*]+", "", text)


def longest_common_substring(a: str, b: str) -> str:
    """The longest string that occurs in both a and b (dynamic programming, O(len a * len b))."""
    best_len, best_end = 0, 0
    prev = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = [0] * (len(b) + 1)
        ai = a[i - 1]
        for j in range(1, len(b) + 1):
            if ai == b[j - 1]:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best_len:
                    best_len, best_end = cur[j], i
        prev = cur
    return a[best_end - best_len:best_end]


def exercises_with_hints(cells) -> list[tuple[str, str, str]]:
    """(exercise name, its solution code, the text after it) for every answer cell.

    The text after an exercise is every markdown cell between its answer cell and the next
    code cell that is not a check (its hint ladder, and any prose before the next code).
    """
    out = []
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("solution"):
            continue
        after = []
        for later in cells[i + 1:]:
            later_meta = later.get("metadata", {}).get("nbgrader", {})
            if later["cell_type"] == "code" and not (later_meta.get("grade") and not later_meta.get("solution")):
                break
            if later["cell_type"] == "markdown":
                after.append(_src(later))
        out.append((meta.get("grade_id", f"cell {i}"), solution_regions(_src(cell)), "\n".join(after)))
    return out


def leaks(cells) -> list[str]:
    problems = []
    for name, solution, hints in exercises_with_hints(cells):
        common = longest_common_substring(squash(hints), squash(solution))
        if len(common) >= LEAK_LIMIT:
            problems.append(f"{name}: the hints show {len(common)} characters of the solution: {common!r}")
    return problems


def _sentences(text: str):
    """Split markdown into sentences (roughly: at '. ', line breaks and list items)."""
    for block in re.split(r"\n\s*\n|\n\s*[-*] |\n\s*\d+\. |\n#+ ", text):
        yield from re.split(r"(?<=[.!?:;])\s+(?=[A-Z(*`$])", block)


def _printed_text(cells) -> str:
    parts = []
    for c in cells:
        if c["cell_type"] != "code":
            continue
        parts.append(_src(c))
        for out in c.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(_src({"source": out.get("text", "")}))
            for mime in ("text/plain", "text/markdown", "text/html"):
                if mime in out.get("data", {}):
                    parts.append(_src({"source": out["data"][mime]}))
    return "\n".join(parts)


def unprinted_numbers(cells) -> list[str]:
    printed = _printed_text(cells)
    found = set(DECIMAL.findall(printed))
    problems = []
    for index, c in enumerate(cells):
        if c["cell_type"] != "markdown":
            continue
        for sentence in _sentences(_src(c)):
            if EXTERNAL.search(sentence):
                continue
            for number in DECIMAL.findall(sentence):
                if number not in found:
                    problems.append(f"markdown cell {index} ({c.get('id')}): {number} in "
                                    f"{' '.join(sentence.split())[:120]!r}")
    return problems


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_hints_do_not_show_the_solution(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    problems = leaks(cells)
    assert not problems, (f"{path.name}: a hint rung shows the code the exercise asks for (hints are a nudge, "
                          f"the key equation, the shapes):\n  " + "\n  ".join(problems))


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_number_in_the_prose_is_printed(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    problems = unprinted_numbers(cells)
    assert not problems, (f"{path.name}: numbers stated in the prose that no cell prints (print them, or "
                          f"cite them as an external reference):\n  " + "\n  ".join(problems))


# -- the rules themselves, on small made-up notebooks -------------------------------

def _answer(src):
    return {"cell_type": "code", "source": src, "outputs": [],
            "metadata": {"nbgrader": {"solution": True, "grade_id": "f"}}}


def _md(src):
    return {"cell_type": "markdown", "source": src, "metadata": {}}


def _code(src, printed=""):
    return {"cell_type": "code", "source": src, "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}] if printed else []}


SOLUTION_CELL = ("def f(x, lengths):\n    ### BEGIN SOLUTION\n"
                 "    mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]  # broadcast\n"
                 "    return mask\n    ### END SOLUTION\n")


def test_a_hint_that_shows_the_solution_line_is_found():
    cells = [_answer(SOLUTION_CELL),
             _md("<details><summary>Hint 2</summary>Compare `torch.arange(x.shape[1])[None, :]` "
                 "with `lengths[:, None]`.</details>")]
    assert leaks(cells) and "torch.arange(x.shape[1])[None,:]" in leaks(cells)[0]


def test_a_hint_that_names_the_idea_passes():
    cells = [_answer(SOLUTION_CELL),
             _md("<details><summary>Hint 2</summary>$m_{bt} = [t < \\ell_b]$: compare a row of positions "
                 "with a column of lengths, and let broadcasting do the rest.</details>")]
    assert leaks(cells) == []


def test_comments_in_the_solution_do_not_count():
    cells = [_answer("def f():\n    ### BEGIN SOLUTION\n    # broadcast the lengths against the positions\n"
                     "    return 1\n    ### END SOLUTION\n"),
             _md("<details>broadcast the lengths against the positions</details>")]
    assert leaks(cells) == []


def test_a_number_no_cell_prints_is_found():
    cells = [_code("print(round(acc, 3))", printed="0.747\n"),
             _md("The RNN reaches 0.747. It beats the bag of words by 0.05.")]
    problems = unprinted_numbers(cells)
    assert len(problems) == 1 and "0.05" in problems[0]


def test_precision_matters_and_settings_and_references_pass():
    cells = [_code("opt = Adam(lr=0.01)", printed="test accuracy 0.7472\n"),
             _md("It trains at lr 0.01. An external reference reports 0.93 on this split. It scores 0.747.")]
    problems = unprinted_numbers(cells)
    assert len(problems) == 1 and "0.747" in problems[0]
