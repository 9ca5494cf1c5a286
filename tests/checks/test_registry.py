"""utils.checks re-exports every check module's names: no two modules may export the same one,
or the later import would silently replace the earlier notebook's check."""

import ast
from pathlib import Path

CHECKS = Path(__file__).resolve().parents[2] / "utils" / "checks"


def _exported(path: Path) -> set[str]:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return {e.value for e in node.value.elts}
    return set()


def test_no_two_re_exported_check_modules_share_a_name():
    init = ast.parse((CHECKS / "__init__.py").read_text(encoding="utf-8"))
    modules = [n.module for n in init.body if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)]
    owner, clashes = {}, []
    for m in modules:
        for name in _exported(CHECKS / f"{m}.py"):
            if name in owner:
                clashes.append(f"{name}: {owner[name]} and {m}")
            owner[name] = m
    assert not clashes, f"the same check name in two modules: {clashes}"


def test_every_re_exported_module_declares_its_names():
    init = ast.parse((CHECKS / "__init__.py").read_text(encoding="utf-8"))
    for n in init.body:
        if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) and n.module != "core":
            assert _exported(CHECKS / f"{n.module}.py"), f"utils/checks/{n.module}.py has no __all__"
