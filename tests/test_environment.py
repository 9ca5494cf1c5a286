"""The pinned environments: the learner's (requirements.lock, environment.yml) and the test
tools on top (requirements-dev.lock) agree with their .in files and with pyproject.toml."""

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
DEV_LOCK = {_norm(n): v for n, v in locked(ROOT / "requirements-dev.lock")}
TEST_ONLY = ("nbgrader", "pytest-xdist", "playwright")
LEARNER_NEEDS = ("jupyterlab", "numpy", "torch", "matplotlib", "nbval", "tqdm", "ipywidgets")


def _top_level(name):
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            yield Requirement(line)


def test_every_lock_line_is_an_exact_pin():
    for lock in ("requirements.lock", "requirements-dev.lock"):
        for line in (ROOT / lock).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=<>~!*\s]+", line.strip()), f"{lock}: not an exact pin: {line}"


def test_the_learner_lock_holds_what_a_learner_needs_and_no_test_tool():
    for name in LEARNER_NEEDS:
        assert name in LOCK, f"{name} is missing from requirements.lock"
    for name in TEST_ONLY:
        assert name not in LOCK, f"{name} is a test tool: it belongs in requirements-dev.lock, not requirements.lock"
        assert name in DEV_LOCK, f"{name} is missing from requirements-dev.lock"


def test_the_dev_lock_only_adds_to_the_learner_lock():
    both = sorted(set(LOCK) & set(DEV_LOCK))
    assert not both, f"in both locks (the dev lock lists only what the learner lock does not hold): {both}"


def test_top_level_dev_requirements_are_locked():
    for req in _top_level("requirements-dev.in"):
        assert _norm(req.name) in DEV_LOCK, f"{req.name} is in requirements-dev.in but not in requirements-dev.lock"
        assert req.specifier.contains(DEV_LOCK[_norm(req.name)])


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
    for req in _top_level("requirements.in"):
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
    for name in TEST_ONLY:  # make test installed them
        assert version(name) == DEV_LOCK[name], name
