"""Binder: repo2docker's Dockerfile for this repository installs the learner's pinned environment
with the CPU build of torch, then the course.

``jupyter-repo2docker --no-build --debug .`` prints the Dockerfile without a Docker daemon or
the network (a local folder needs no clone). The Dockerfile installs ``binder/requirements.txt``
(repo2docker copies that file in and runs pip on it), so that file is read too: it must pin
every package of requirements.lock at its version, torch as the CPU build from PyTorch's index.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
REPO2DOCKER = Path(sys.executable).parent / "jupyter-repo2docker"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# repo2docker reads these at the top only when there is no binder/ folder
ROOT_CONFIG = ("requirements.txt", "runtime.txt", "postBuild", "apt.txt", "start", "Project.toml", "install.R",
               "DESCRIPTION", "Pipfile", "Pipfile.lock", "setup.py", "default.nix", "Dockerfile")


def _pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, sep, version = line.partition("==")
            assert sep and version, f"{line!r} is not pinned to one version"
            out[name.lower()] = version
    return out


@pytest.fixture(scope="module")
def dockerfile() -> str:
    """The Dockerfile repo2docker writes for this checkout, as Binder's builder would (user jovyan, 1000)."""
    assert REPO2DOCKER.exists(), (f"{REPO2DOCKER} is missing: install the test tools "
                                  f"({Path(sys.executable).parent}/pip install -r requirements-dev.lock)")
    proc = subprocess.run([str(REPO2DOCKER), "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan",
                           str(ROOT)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "FROM " in proc.stdout, proc.stdout[:2000]
    return proc.stdout


def _runs(dockerfile: str) -> list[str]:
    return [" ".join(m.split()) for m in re.findall(r"^RUN (.*(?:\\\n.*)*)$", dockerfile, re.M)]


def test_binder_builds_python_3_11_from_binder_folder_only(dockerfile):
    # the conda lock of the image's Python, in a file name escaped by repo2docker: environment.py-3.11-linux-64.lock
    assert "environment-2epy-2d3-2e11-2dlinux" in dockerfile, "the image's Python is not 3.11 (binder/runtime.txt)"
    assert "environment.yml" not in dockerfile, "repo2docker used the conda environment.yml at the top"
    both = [name for name in ROOT_CONFIG if (ROOT / name).exists() and (BINDER / name).exists()]
    assert not both, f"configure repo2docker in binder/ only, not also at the top: {both}"


def test_binder_installs_every_pinned_package_with_torch_as_the_cpu_build(dockerfile):
    install = 'pip install --no-cache-dir -r "binder/requirements.txt"'
    assert any(run.endswith(install) for run in _runs(dockerfile)), "the Dockerfile does not install binder/requirements.txt"
    assert "COPY --chown=1000:1000 src/binder/requirements.txt ${REPO_DIR}/binder/requirements.txt" in dockerfile
    lines = (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    wanted = _pins((ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines())
    assert wanted["torch"] == "2.13.0"
    wanted["torch"] = "2.13.0+cpu"
    got = _pins(lines)
    assert got == wanted, (
        f"binder/requirements.txt is not requirements.lock with torch=={wanted['torch']}: "
        f"missing or different {sorted(set(wanted.items()) - set(got.items()))}, "
        f"extra {sorted(set(got.items()) - set(wanted.items()))}. Remake it (see its header).")
    options = [line.strip() for line in lines if line.strip().startswith("-")]
    assert options == [f"--extra-index-url {CPU_INDEX}"], options


def test_binder_installs_the_course_after_the_repository_is_copied(dockerfile):
    runs = _runs(dockerfile)
    assert "./binder/postBuild" in runs, "the Dockerfile does not run binder/postBuild"
    copy = dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    assert dockerfile.index("RUN ./binder/postBuild") > copy > dockerfile.index('-r "binder/requirements.txt"')
    commands = [line.strip() for line in (BINDER / "postBuild").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert "pip install --no-cache-dir --no-deps -e ." in commands, commands
    assert "jupyter labextension disable --level=sys_prefix @jupyterlab/apputils-extension:announcements" in commands
    assert (BINDER / "postBuild").stat().st_mode & 0o111, "binder/postBuild is not executable"
