"""Tests of the shipped data (data/) and its loaders (utils/data.py)."""

import gzip
import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from utils import data as D

DATA = Path(__file__).resolve().parent.parent / "data"
sys.path.insert(0, str(DATA / "prepare"))
from manifest import data_files  # noqa: E402


def manifest_entries():
    entries = {}
    for line in (DATA / "MANIFEST.sha256").read_text().splitlines():
        digest, rel = line.split(maxsplit=1)
        entries[rel] = digest
    return entries


# ------------------------------------------------------------------ manifest

def test_manifest_lists_exactly_the_shipped_files():
    assert sorted(manifest_entries()) == data_files(DATA)


def test_manifest_hashes_match():
    for rel, digest in manifest_entries().items():
        assert hashlib.sha256((DATA / rel).read_bytes()).hexdigest() == digest, rel


def test_every_shipped_file_has_a_prepare_script():
    for rel in manifest_entries():
        assert rel in D._PREPARE_SCRIPT, rel
        assert (DATA / "prepare" / D._PREPARE_SCRIPT[rel]).is_file(), rel


def test_data_folder_is_small():
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 15 * 2**20


# ------------------------------------------------------------------ loaders

def test_load_digits():
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    assert set(y.tolist()) == set(range(10))
    assert 170 <= np.bincount(y).min() and np.bincount(y).max() <= 185


# ------------------------------------------------------------------ broken copies

@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of data/ (without prepare/) that WORKBOOK_DATA points at."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns("prepare"))
    monkeypatch.setenv("WORKBOOK_DATA", str(copy))
    return copy


def test_workbook_data_overrides_the_folder(data_copy):
    assert D.data_dir() == data_copy.resolve()
    X, _ = D.load_digits()
    assert X.shape == (1797, 64)


def test_changed_byte_raises_data_error(data_copy):
    path = data_copy / "digits" / "digits.csv.gz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(D.DataError, match=r"digits\.csv\.gz.*corrupt") as err:
        D.load_digits()
    assert "git checkout data/digits/digits.csv.gz" in str(err.value)
    assert "python data/prepare/digits.py" in str(err.value)


def test_missing_file_raises_data_error(data_copy):
    (data_copy / "digits" / "digits.csv.gz").unlink()
    with pytest.raises(D.DataError, match=r"digits\.csv\.gz.*missing"):
        D.load_digits()


def test_unparsable_file_raises_data_error(data_copy):
    """A file that matches its (also changed) manifest but is not valid gzip."""
    rel = "digits/digits.csv.gz"
    path = data_copy / rel
    path.write_bytes(path.read_bytes()[:1000])  # truncated gzip
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = data_copy / "MANIFEST.sha256"
    lines = [f"{digest}  {rel}" if line.endswith(rel) else line
             for line in manifest.read_text().splitlines()]
    manifest.write_text("\n".join(lines) + "\n")
    with pytest.raises(D.DataError, match=r"digits\.csv\.gz.*cannot be parsed"):
        D.load_digits()
