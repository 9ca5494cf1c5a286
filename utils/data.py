"""Loaders for the datasets shipped in ``data/``.

Every loader reads one prepared file, checks it against ``data/MANIFEST.sha256``
(once per file per Python process) and returns plain Python / numpy objects:

=====================  ==========================================  =====================
loader                 returns                                     used in
=====================  ==========================================  =====================
``load_digits()``      ``X`` (1797, 64) float64, ``y`` (1797,)     01, 02, 04
                       int64
=====================  ==========================================  =====================

Where each file comes from, its licence and how to rebuild it: ``data/README.md``.

The data folder is ``data/`` at the top of the repository; set the environment
variable ``WORKBOOK_DATA`` to use another folder (it must hold the same files and
its own ``MANIFEST.sha256``).

A missing, changed or unreadable file raises :class:`DataError`, whose message names
the file, says what is wrong and how to get a good copy back.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = ["DataError", "data_dir", "load_digits"]


class DataError(RuntimeError):
    """A shipped data file is missing, differs from data/MANIFEST.sha256, or cannot be parsed."""


# Which script under data/prepare/ rebuilds each shipped file.
_PREPARE_SCRIPT = {
    "digits/digits.csv.gz": "digits.py",
}

# Files already checked in this process: absolute path -> True.
_verified: dict[str, bool] = {}


def data_dir() -> Path:
    """The data folder: ``$WORKBOOK_DATA`` if set, else ``data/`` of this repository."""
    override = os.environ.get("WORKBOOK_DATA")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / "data"


def _how_to_fix(rel: str) -> str:
    script = _PREPARE_SCRIPT.get(rel, "<dataset>.py")
    return (f"To fix it, restore the shipped copy with `git checkout data/{rel}` "
            f"or rebuild it with `python data/prepare/{script}`.")


def _read_manifest(root: Path) -> dict[str, str]:
    """MANIFEST.sha256 as {relative path: sha256 hex digest}."""
    manifest = root / "MANIFEST.sha256"
    try:
        text = manifest.read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"{manifest}: cannot read the manifest ({err.strerror}). "
                        f"To fix it, run `git checkout data/MANIFEST.sha256`.") from None
    digests = {}
    for line in text.splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            digests[rel.lstrip("*")] = digest
    return digests


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _checked_path(rel: str) -> Path:
    """Path of data file ``rel`` (e.g. "digits/digits.csv.gz") after checking its sha256.

    Raises DataError when the file is missing or its bytes differ from the manifest.
    """
    root = data_dir()
    path = root / rel
    if _verified.get(str(path)):
        return path
    if not path.is_file():
        raise DataError(f"{path}: the data file is missing. {_how_to_fix(rel)}")
    expected = _read_manifest(root).get(rel)
    if expected is None:
        raise DataError(f"{path}: the file is not listed in {root / 'MANIFEST.sha256'}. "
                        f"To fix it, run `git checkout data/MANIFEST.sha256`.")
    actual = _sha256(path)
    if actual != expected:
        raise DataError(f"{path}: the file is corrupt or was changed: its sha256 is "
                        f"{actual[:12]}..., the manifest says {expected[:12]}.... "
                        f"{_how_to_fix(rel)}")
    _verified[str(path)] = True
    return path


def _unreadable(rel: str, err: Exception) -> DataError:
    path = data_dir() / rel
    return DataError(f"{path}: the file cannot be parsed ({type(err).__name__}: {err}). "
                     f"{_how_to_fix(rel)}")


def _read_gzip_text(rel: str) -> str:
    path = _checked_path(rel)
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="\n") as f:
            return f.read()
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise _unreadable(rel, err) from None


# --------------------------------------------------------------------- digits

def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits (8x8 images) of the UCI optical-digits test set.

    Returns
      X: (1797, 64) float64, pixel counts 0..16; row i reshaped to (8, 8) is image i
         (row-major, top row first).
      y: (1797,) int64, the digit 0..9 shown by each image.
    The order is the file's order (not shuffled).
    """
    rel = "digits/digits.csv.gz"
    text = _read_gzip_text(rel)
    try:
        table = np.array([line.split(",") for line in text.splitlines() if line],
                         dtype=np.float64)
        if table.shape != (1797, 65):
            raise ValueError(f"expected 1797 rows of 65 numbers, got shape {table.shape}")
    except ValueError as err:
        raise _unreadable(rel, err) from None
    X = table[:, :64]
    y = table[:, 64].astype(np.int64)
    return X, y
