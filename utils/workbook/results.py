"""Result files: what ``workbook grade`` keeps of each graded submission, so that grading
can resume after a crash, be incremental, and be split into shards and merged.

``DIR/results/`` holds

- one ``<name>.json`` per submission (``name`` is a hash of the submission's path as
  the CSVs show it), written atomically (a temporary file, then a rename) as soon as
  the submission is graded. It holds the rows it contributes to ``grades.csv`` and
  ``checks.csv``, what its feedback page needs, when it was graded, and its **key**:
  the sha256 of the submission's bytes, of the pristine notebook, of the check sources
  the kernel ran (``utils/`` without ``utils/workbook/``), the grader's version (a hash
  of the modules that decide a grade) and the limits. A later run over the same
  ``--out`` reuses a result whose key is unchanged; a file that is corrupt, of another
  format or of another grader version is regraded, never trusted;
- ``run.json``, the run's manifest: the grader version, the course (a hash of the
  solution notebooks), the SUBMISSION arguments, the shard (``K/N``, or none), the
  limits, and *every* submission found, in order, with the shard it belongs to. It is
  written before grading starts, so ``merge.py`` can name what a shard that died
  never graded.

The CSVs and the feedback pages are always rebuilt from these files.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

FORMAT = 1
RUN_FILE = "run.json"
PACKAGE = Path(__file__).resolve().parent  # utils/workbook
UTILS = PACKAGE.parent
# The modules whose code decides a grade. A change to any of them is a new grader version.
GRADING_MODULES = ("submission.py", "kernel.py", "launcher.py", "tamper.py", "build.py")


class ResultError(Exception):
    """A result folder that cannot be used; the message says why and what to do."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def _tree_digest(files, base: Path) -> str:
    digest = hashlib.sha256()
    for f in sorted(files):
        digest.update(f.relative_to(base).as_posix().encode() + b"\0")
        digest.update(f.read_bytes() + b"\0")
    return digest.hexdigest()


_cache: dict = {}


def grader_version() -> str:
    """``<package version>+<hash of the grading modules>``: results of another version are regraded."""
    if "version" not in _cache:
        from utils import __version__

        files = [PACKAGE / name for name in GRADING_MODULES if (PACKAGE / name).exists()]
        _cache["version"] = f"{__version__}+{_tree_digest(files, PACKAGE)[:12]}"
    return _cache["version"]


def checks_digest() -> str:
    """sha256 of the Python sources a kernel imports from ``utils`` (checks, data loaders, ...)."""
    if "checks" not in _cache:
        files = [f for f in UTILS.rglob("*.py") if PACKAGE not in f.parents and "__pycache__" not in f.parts]
        _cache["checks"] = _tree_digest(files, UTILS)
    return _cache["checks"]


def course_fingerprint(known: dict) -> str:
    """sha256 over the ids and bytes of the solution notebooks: which course a folder graded."""
    digest = hashlib.sha256()
    for nb_id in sorted(known):
        digest.update(nb_id.encode() + b"\0" + sha256_file(known[nb_id]).encode() + b"\0")
    return digest.hexdigest()


def result_name(display: str) -> str:
    return hashlib.sha256(display.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".json"


def make_key(sub_sha: str, notebook: str, pristine_sha: str, limits: dict) -> dict:
    return {"submission_sha256": sub_sha, "notebook": notebook, "pristine_sha256": pristine_sha,
            "checks_sha256": checks_digest(), "grader": grader_version(), "limits": limits}


def write_json(path: Path, data: dict):
    """Write `data` to `path` atomically: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_json(path: Path):
    """The JSON in `path`, or None when it is missing or not valid JSON (a file cut short)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def is_result(data) -> bool:
    """Whether `data` looks like a complete result file of this format."""
    return (isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("key"), dict)
            and isinstance(data.get("row"), dict) and isinstance(data.get("checks"), list)
            and isinstance(data.get("page"), dict) and isinstance(data.get("submission"), str))


def load_reusable(results_dir: Path, display: str, key: dict):
    """The stored result of `display` if its key is `key` (same bytes, notebook, checks, grader, limits)."""
    data = read_json(results_dir / result_name(display))
    if is_result(data) and data["submission"] == display and data["key"] == key:
        return data
    return None


def save(results_dir: Path, result: dict):
    write_json(results_dir / result_name(result["submission"]), dict(result, format=FORMAT))


def load_all(results_dir: Path) -> dict:
    """{submission: result} of every readable result file of this format in `results_dir`."""
    out = {}
    for path in sorted(results_dir.glob("*.json")):
        if path.name == RUN_FILE:
            continue
        data = read_json(path)
        if is_result(data) and path.name == result_name(data["submission"]):
            out[data["submission"]] = data
    return out
