"""utils/ holds what notebooks import, and nothing of the instructors' tooling is on a learner's way.

No learner-facing module of utils (everything outside utils/workbook/) imports
utils.workbook, and every notebook imports only learner-facing modules.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UTILS = ROOT / "utils"
LEARNER_MODULES = sorted(p for p in UTILS.rglob("*.py") if "workbook" not in p.relative_to(UTILS).parts
                         and p.name != "__main__.py")


def _imports(source: str, package: str) -> set[str]:
    """Absolute names of the modules `source` imports (relative imports resolved against package)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return names


def _package_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


@pytest.mark.parametrize("path", LEARNER_MODULES, ids=[str(p.relative_to(ROOT)) for p in LEARNER_MODULES])
def test_learner_modules_do_not_import_the_instructor_command(path):
    bad = sorted(n for n in _imports(path.read_text(encoding="utf-8"), _package_of(path)) if n.startswith("utils.workbook"))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: a learner must not meet the instructors' tooling"


def test_the_import_scanner_sees_relative_and_absolute_imports():
    assert "utils.workbook.grade" in _imports("from ..workbook import grade", "utils.checks")
    assert "utils.workbook" in _imports("import utils.workbook", "utils")


@pytest.mark.parametrize("folder", ["solutions", "notebooks"])
def test_notebooks_import_only_learner_modules(folder):
    for nb_path in sorted((ROOT / folder).glob("*.ipynb")):
        for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            src = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
            bad = [n for n in _imports(src, "") if n.startswith("utils.workbook")]
            assert not bad, f"{nb_path.name} imports {bad}"


def test_utils_top_level_holds_only_learner_modules():
    names = sorted(p.name for p in UTILS.iterdir() if not p.name.startswith(("_", ".")))
    tooling = [n for n in names if n.removesuffix(".py") in ("build", "execute", "grade", "grade_run", "grade_kernel", "cli")]
    assert not tooling, f"instructor tooling at the top of utils/: {tooling} (it belongs in utils/workbook/)"


def test_one_version_everywhere():
    """The course's version (pyproject.toml) is utils.__version__, the tag Colab installs
    ("v" + version, written into every student notebook's first cell) and the students' image
    tag of deploy/z2jh/values.yaml."""
    import yaml

    import utils
    from utils.workbook.link import publish_config

    version = publish_config()["version"]
    assert utils.__version__ == version
    values = yaml.safe_load((ROOT / "deploy" / "z2jh" / "values.yaml").read_text(encoding="utf-8"))
    assert values["singleuser"]["image"]["tag"] == version
    first_cell = (ROOT / "notebooks" / "01_feedforward.ipynb").read_text(encoding="utf-8")
    assert f"@v{version}" in first_cell
