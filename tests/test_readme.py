"""The README's set-up without `make` does what the Makefile does, so the two cannot drift.

The Makefile's learner recipe (the `$(STAMP)` target) and `lab:` recipe are read and
their variables expanded; the README's macOS/Linux block must be exactly those commands
(pip's quiet flags aside), and its Windows block the same with Windows paths. The test
commands the README gives must be the Makefile's.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = re.sub(r"\\\n\s*", " ", (ROOT / "Makefile").read_text(encoding="utf-8"))  # join continued lines


def _variables() -> dict[str, str]:
    found = dict(re.findall(r"^([A-Z_]+)[ \t]*\??:?=[ \t]*(.*?)[ \t]*$", MAKEFILE, re.M))
    out = {}
    for name, value in found.items():  # expand in order of definition; later ones use earlier ones
        out[name] = re.sub(r"\$\((\w+)\)", lambda m: out.get(m.group(1), m.group(0)), value)
    return out


VARS = _variables()


def _expand(line: str) -> str:
    line = re.sub(r"\$\(if \$\(filter 0,\$\(shell id -u\)\),--allow-root\)", "", line)
    for _ in range(3):
        line = re.sub(r"\$\((\w+)\)", lambda m: VARS.get(m.group(1), m.group(0)), line)
    line = line.replace("--disable-pip-version-check", "").replace("--quiet", "")
    return " ".join(line.split())


def _recipe(target_regex: str) -> list[str]:
    m = re.search(rf"^{target_regex}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert m, f"no {target_regex} target in the Makefile"
    lines = [line.strip() for line in m.group(1).splitlines()]
    return [_expand(line) for line in lines if not line.startswith("@")]  # @test / @touch: make's own bookkeeping


def _block(after_heading: str, lang: str, nth: int = 0) -> list[str]:
    section = README[README.index(after_heading):]
    blocks = re.findall(rf"```{lang}\n(.*?)```", section, re.S)
    return [" ".join(line.split()) for line in blocks[nth].strip().splitlines()]


UNIX = _block("### Without `make`", "bash")
WINDOWS = _block("### Without `make`", "bat")


def test_the_makefile_variables_are_what_this_test_expects():
    assert VARS["VENV"] == ".venv" and VARS["PY"] == ".venv/bin/python"


def test_unix_route_creates_the_same_venv_and_installs_what_make_lab_installs():
    assert UNIX[0] == f"python3 -m venv {VARS['VENV']}"
    assert UNIX[1:-1] == _recipe(r"\$\(STAMP\)"), "README's install lines differ from the Makefile's $(STAMP) recipe"
    assert UNIX[-1] == _recipe("lab")[0], "README's last line should start the lab as `make lab` does"


def test_windows_route_is_the_unix_route_with_windows_paths():
    assert WINDOWS[0] == f"py -3.11 -m venv {VARS['VENV']}"
    as_unix = [line.replace("\\Scripts\\", "/bin/") for line in WINDOWS]
    assert as_unix[1:] == UNIX[1:]


def test_readme_test_commands_are_the_makefiles():
    block = _block("## Tests", "bash")
    assert block == [_expand("$(UNIT_TESTS)").replace("$(JOBS)", "2"),
                     _expand("$(NBVAL_TESTS)")], block
    dev = _recipe(r"\$\(DEV_STAMP\)")[0]
    assert "-r requirements.lock -r requirements-dev.lock" in dev
    assert "pip install -r requirements.lock -r requirements-dev.lock" in README


def test_every_file_the_routes_name_exists():
    for name in ("requirements.lock", "requirements-dev.lock", "environment.yml", "pyproject.toml", "notebooks"):
        assert (ROOT / name).exists(), name


def test_the_binder_and_colab_links_are_those_workbook_link_makes():
    """The README's launch links are made from [tool.workbook.publish]: a fork that changes it
    must update them (`workbook link --to binder 01`, `--to colab 01`)."""
    from utils.workbook import link

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for to in ("binder", "colab"):
        assert f"]({link.link('01', to=to)})" in readme, f"README's {to} link is not `workbook link --to {to} 01`"
