"""Zero to JupyterHub (deploy/z2jh/): the values file and the students' image, checked without Kubernetes.

A cluster cannot run here, so these tests check what can go wrong on paper:
- values.yaml parses, and says what the one-machine config says (memory guarantee and limit from
  tests/test_hub.py's measurement, idle time, login, JupyterLab, nbgitpuller's app), with the
  singleuser image's JupyterHub at the version of the chart it names;
- the Dockerfile, parsed instruction by instruction, installs exactly the learner's lock
  (requirements.lock) plus deploy/z2jh/requirements-hub.lock, torch as the CPU build from
  PyTorch's index, nothing else, and runs `pip check`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
Z2JH = ROOT / "deploy" / "z2jh"
HUB_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# The JupyterHub each chart release runs (its Chart.yaml appVersion): the image's single-user
# server must match the hub. Add a line when values.yaml names a newer chart.
CHART_JUPYTERHUB = {"4.4.0": "5.5.0"}


def read_lock(path: Path) -> dict[str, str]:
    """{normalised name: version} of a lock file of exact pins; anything else in it is an error."""
    pins = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", line)
        assert m, f"{path.relative_to(ROOT)}:{n}: {line!r} is not an exact pin NAME==VERSION"
        pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return pins


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        word, _, args = current.strip().partition(" ")
        instructions.append((word.upper(), args.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def pip_installs(instructions) -> tuple[list[dict], list[str]]:
    """Every `pip install` of the RUN instructions, with ARG defaults substituted, and every command run."""
    args = {}
    installs, commands = [], []
    for word, rest in instructions:
        if word == "ARG" and "=" in rest:
            name, value = rest.split("=", 1)
            args[name] = value
        if word != "RUN":
            continue
        for name, value in args.items():
            rest = rest.replace("${" + name + "}", value).replace("$" + name, value)
        for command in re.split(r"\s*&&\s*", rest):
            tokens = shlex.split(command)
            commands.append(" ".join(tokens))
            if "pip" not in tokens or "install" not in tokens:
                continue
            opts = tokens[tokens.index("install") + 1:]
            install = {"requirements": [], "specs": [], "index": None, "no_deps": False, "other": []}
            i = 0
            while i < len(opts):
                o = opts[i]
                if o in ("-r", "--requirement"):
                    install["requirements"].append(opts[i + 1]); i += 2; continue
                if o in ("-i", "--index-url"):
                    install["index"] = opts[i + 1]; i += 2; continue
                if o == "--no-deps":
                    install["no_deps"] = True
                elif o == "--no-cache-dir":
                    pass
                elif o.startswith("-"):
                    install["other"].append(o)
                else:
                    install["specs"].append(o)
                i += 1
            installs.append(install)
    return installs, commands


def copies(instructions) -> dict[str, str]:
    """{path in the image: path in the build context (the course's root)} of the COPY instructions."""
    mapping = {}
    for word, rest in instructions:
        if word == "COPY":
            *sources, dest = shlex.split(rest)
            assert len(sources) == 1, f"COPY one file at a time, so the test can follow it: {rest}"
            mapping[dest] = sources[0]
    return mapping


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load((Z2JH / "values.yaml").read_text())


def hub_setting(name: str) -> str:
    """A `c.Spawner.<name> = "..."` or a `--<Class>.<name>=...` argument of the one-machine config."""
    text = HUB_CONFIG.read_text()
    m = re.search(rf'^c\.[A-Za-z]+\.{re.escape(name)} = "?([^"\n]+)"?$', text, re.M) \
        or re.search(rf'"--[A-Za-z]+\.{re.escape(name)}=([^"]+)"', text)
    assert m, f"{HUB_CONFIG.relative_to(ROOT)} does not set {name}"
    return m.group(1)


def test_values_file_agrees_with_the_one_machine_config(values):
    single = values["singleuser"]
    assert single["memory"]["guarantee"] == hub_setting("mem_guarantee"), "memory guarantees differ between deployments"
    assert single["memory"]["limit"] == hub_setting("mem_limit"), "memory limits differ between deployments"
    assert float(single["cpu"]["limit"]) == float(hub_setting("cpu_limit"))
    assert values["cull"]["enabled"] is True
    assert values["cull"]["timeout"] == int(hub_setting("shutdown_no_activity_timeout")), "idle times differ"
    assert single["cmd"] == "jupyterhub-singleuser" and single["defaultUrl"] == "/lab"
    assert single["extraEnv"]["NBGITPULLER_APP"] == "lab"
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == hub_setting("authenticator_class")
    assert config["JupyterHub"]["implicit_spawn_seconds"] == float(hub_setting("implicit_spawn_seconds"))
    assert isinstance(single["image"]["tag"], str), "quote the image tag: YAML reads 1.10 as the number 1.1"
    assert single["image"]["name"] and ":" not in single["image"]["name"], "the tag goes in singleuser.image.tag"


def test_image_jupyterhub_matches_the_chart():
    text = (Z2JH / "values.yaml").read_text()
    chart = re.search(r"helm upgrade --install \S+ jupyterhub/jupyterhub --version (\S+)", text)
    assert chart, "values.yaml should say which chart release it is for (helm ... --version X)"
    hub_lock = read_lock(Z2JH / "requirements-hub.lock")
    assert chart.group(1) in CHART_JUPYTERHUB, f"which JupyterHub does chart {chart.group(1)} run? add it to CHART_JUPYTERHUB"
    assert hub_lock["jupyterhub"] == CHART_JUPYTERHUB[chart.group(1)], (
        f"the image's jupyterhub {hub_lock['jupyterhub']} must match chart {chart.group(1)}'s hub, "
        f"{CHART_JUPYTERHUB[chart.group(1)]}")
    dev = read_lock(ROOT / "requirements-dev.lock")
    assert hub_lock["nbgitpuller"] == dev["nbgitpuller"], "the image's nbgitpuller is not the one tests/test_hub.py runs"


def test_dockerfile_installs_exactly_the_learner_lock_with_cpu_torch():
    check_dockerfile((Z2JH / "Dockerfile").read_text())


def check_dockerfile(text: str):
    instructions = parse_dockerfile(text)
    installs, commands = pip_installs(instructions)
    in_image = copies(instructions)
    learner = read_lock(ROOT / "requirements.lock")
    hub_lock = read_lock(Z2JH / "requirements-hub.lock")
    assert not set(learner) & set(hub_lock), f"requirements-hub.lock changes learner packages: {set(learner) & set(hub_lock)}"
    assert {"jupyterhub", "nbgitpuller"} <= set(hub_lock)

    # torch: the lock's version, CPU build, from PyTorch's index, before the lock (which it then satisfies).
    torch_installs = [i for i in installs if any(s.startswith("torch") for s in i["specs"])]
    assert len(torch_installs) == 1, f"torch should be installed once, by name: {torch_installs}"
    torch = torch_installs[0]
    assert torch["specs"] == [f"torch=={learner['torch']}+cpu"], f"torch must be {learner['torch']}+cpu: {torch['specs']}"
    assert torch["index"] == CPU_INDEX and torch["no_deps"], "torch comes from the CPU index, without its dependencies"

    # Everything else comes from the two lock files, copied from the course into the image.
    files = {}
    for install in installs:
        if install is torch:
            continue
        assert not install["specs"], f"a package installed outside the locks: {install['specs']}"
        assert install["index"] is None, "the locks install from PyPI"
        assert not install["other"], f"unexpected pip options {install['other']}"
        for req in install["requirements"]:
            assert req in in_image, f"{req} is not COPYed into the image"
            files[in_image[req]] = install
    assert set(files) == {"requirements.lock", "deploy/z2jh/requirements-hub.lock"}, f"installed lock files: {sorted(files)}"
    assert files["deploy/z2jh/requirements-hub.lock"]["no_deps"], "the hub lock is complete: install it with --no-deps"
    order = [id(i) for i in installs]
    assert order.index(id(torch)) < order.index(id(files["requirements.lock"])), "the CPU torch must come before the lock"
    assert commands.index("python -m pip check") > max(commands.index(c) for c in commands if " pip install " in f" {c} ")

    # The image is the learner's Python, started as Zero to JupyterHub expects.
    base = next(rest for word, rest in instructions if word == "FROM")
    assert re.match(r"python:3\.11[.-]", base), f"the lock is for Python 3.11, the image is {base}"
    assert next(rest for word, rest in reversed(instructions) if word == "CMD") == '["jupyterhub-singleuser"]'
    assert "--uid 1000" in " ".join(commands) and ("USER", "jovyan") in instructions


@pytest.mark.parametrize("breakage", [
    ("torch==${TORCH_CPU}", "torch==2.13.0"),                                        # the CUDA build from PyPI
    ("--index-url https://download.pytorch.org/whl/cpu ", ""),                        # no CPU index
    ("-r /tmp/workbook/requirements.lock", "jupyterlab numpy torch"),                 # names, not the lock
    ("&& python -m pip check", "&& python -m pip install pandas"),                  # an extra package
    ("COPY requirements.lock /tmp/workbook/requirements.lock", "COPY requirements-dev.lock /tmp/workbook/requirements.lock"),
])
def test_the_dockerfile_check_catches(breakage):
    old, new = breakage
    text = (Z2JH / "Dockerfile").read_text()
    assert old in text
    with pytest.raises(AssertionError):
        check_dockerfile(text.replace(old, new))
