"""The pinned environment: requirements.lock, environment.yml and pyproject.toml agree."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from environment_from_lock import locked  # noqa: E402


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


LOCK = {_norm(n): v for n, v in locked(ROOT / "requirements.lock")}


def test_every_lock_line_is_an_exact_pin():
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=<>~!*\s]+", line.strip()), f"not an exact pin: {line}"


def test_torch_is_the_cpu_build_version():
    assert LOCK["torch"] == "2.13.0"


def test_environment_yml_has_exactly_the_locked_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    pinned = {_norm(p.split("==")[0]): p.split("==")[1] for p in pip if "==" in p}
    assert pinned == LOCK, "environment.yml and requirements.lock differ: run `make lock`"
    assert "-e ." in pip


def test_top_level_requirements_are_locked():
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            assert _norm(req.name) in LOCK, f"{req.name} is in requirements.in but not in requirements.lock"
            assert req.specifier.contains(LOCK[_norm(req.name)]), f"{req.name}: lock {LOCK[_norm(req.name)]} vs {req}"


def test_package_dependencies_are_satisfied_by_the_lock():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        req = Requirement(dep)
        assert _norm(req.name) in LOCK and req.specifier.contains(LOCK[_norm(req.name)]), dep


def test_installed_versions_are_the_locked_ones():
    from importlib.metadata import version

    for name in ("torch", "numpy", "matplotlib", "nbval", "nbclient", "jupyterlab"):
        assert version(name).split("+")[0] == LOCK[name], name
