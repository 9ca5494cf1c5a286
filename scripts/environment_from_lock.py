"""Write environment.yml from requirements.lock, so conda users get the same versions.

    python scripts/environment_from_lock.py      # run by `make lock`

conda provides Python and pip; every package of the lock is installed by pip at its
locked version, then the workbook itself (editable). tests/test_environment.py
asserts that the two files agree.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def locked(path=ROOT / "requirements.lock"):
    """[(name, version)] in the lock's order, comments skipped."""
    out = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            out.append((name.strip(), version.strip()))
    return out


def main():
    lines = [
        "# The learner's environment for conda users (the same as `make lab`'s .venv; the test tools",
        "# of `make test` are in requirements-dev.lock, not here).",
        "#   conda env create -f environment.yml && conda activate ffn-to-lstm",
        "#   jupyter lab notebooks/",
        "# Generated from requirements.lock by scripts/environment_from_lock.py: edit neither by hand.",
        "name: ffn-to-lstm",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in locked()]
    lines.append("      - -e .")
    (ROOT / "environment.yml").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
