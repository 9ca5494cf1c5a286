"""Tests of the shipped data (data/) and its loaders (utils/data.py)."""

import hashlib
import importlib.util
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from utils import data as D

DATA = Path(__file__).resolve().parent.parent / "data"
_spec = importlib.util.spec_from_file_location("data_prepare_manifest",
                                               DATA / "prepare" / "manifest.py")
_manifest_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_manifest_script)
data_files = _manifest_script.data_files

HANGUL = re.compile(r"[\uac00-\ud7a3]")


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


def test_load_sentiment():
    records = D.load_sentiment()
    assert isinstance(records, list) and len(records) == 3000
    assert all(set(r) == {"source", "text", "label"} for r in records)
    assert all(isinstance(r["text"], str) and r["text"] == r["text"].strip() and r["text"]
               for r in records)
    assert all(type(r["label"]) is int and r["label"] in (0, 1) for r in records)
    for source in ("amazon", "imdb", "yelp"):
        labels = [r["label"] for r in records if r["source"] == source]
        assert len(labels) == 1000 and sum(labels) == 500, source
    # the Windows-1252 characters of the source are repaired, no control characters left
    text = "".join(r["text"] for r in records)
    assert not any(0x80 <= ord(c) <= 0x9F or ord(c) < 0x20 for c in text)


@pytest.fixture(scope="module")
def brown_universal():
    return D.load_brown()


def test_universal_tags():
    assert D.UNIVERSAL_TAGS == ("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM",
                                "CONJ", "PRT", "X", ".")


def test_load_brown_universal(brown_universal):
    sentences = brown_universal
    assert len(sentences) == 57340
    assert sum(len(s) for s in sentences) == 1161192
    assert all(isinstance(s, list) and s for s in sentences)
    assert sentences[0][:3] == [("The", "DET"), ("Fulton", "NOUN"), ("County", "NOUN")]
    tags = Counter(tag for s in sentences for _, tag in s)
    assert set(tags) == set(D.UNIVERSAL_TAGS)
    assert tags.most_common(1)[0][0] == "NOUN" and tags["X"] < 2000
    # words containing "/" survive the word/brown/universal format
    assert ("1/2", "NUM") in {tok for s in sentences for tok in s if "/" in tok[0]}


def test_load_brown_original_tags(brown_universal):
    sentences = D.load_brown("brown")
    assert len(sentences) == len(brown_universal)
    assert sentences[0][:3] == [("The", "at"), ("Fulton", "np-tl"), ("County", "nn-tl")]
    tags = {tag for s in sentences for _, tag in s}
    assert len(tags) == 472 and {"nn", "pps+bez", "bez*", "vbd-hl"} <= tags
    # same words, and each Brown tag maps to the universal tag of data/brown/tagmap.tsv
    rows = (DATA / "brown" / "tagmap.tsv").read_text().splitlines()[1:]
    tagmap = {brown: univ for brown, univ, _ in (r.split("\t") for r in rows)}
    assert set(tagmap) == tags
    for s_b, s_u in zip(sentences[::50], brown_universal[::50]):
        assert [w for w, _ in s_b] == [w for w, _ in s_u]
        assert [tagmap[t] for _, t in s_b] == [t for _, t in s_u]


def test_brown_compound_tags_follow_the_documented_rules():
    rows = (DATA / "brown" / "tagmap.tsv").read_text().splitlines()[1:]
    tagmap = {brown: univ for brown, univ, _ in (r.split("\t") for r in rows)}
    assert tagmap["nn-tl"] == tagmap["nn"] == "NOUN"          # -tl/-hl/-nc dropped
    assert tagmap["vbd-hl"] == "VERB" and tagmap["at-tl-hl"] == "DET"
    assert tagmap["bez*"] == "VERB" and tagmap["*"] == "ADV"  # isn't; not
    assert tagmap["pps+bez"] == "PRT" and tagmap["vb+ppo"] == "VERB"  # it's; let's
    assert tagmap["fw-nn"] == "X" and tagmap["np$"] == "NOUN"


def test_load_brown_rejects_unknown_tagset():
    with pytest.raises(ValueError, match="tagset"):
        D.load_brown("penn")


def test_load_shakespeare():
    text = D.load_shakespeare()
    assert isinstance(text, str) and 0.9e6 < len(text) < 1.2e6
    assert text.isascii() and "\r" not in text and text.endswith("\n")
    assert "gutenberg" not in text.lower()
    assert text.startswith("HAMLET") and "To be, or not to be" in text
    assert "Out, damned spot" in text and "We are such stuff" in text


def test_load_ko_en():
    pairs = D.load_ko_en()
    assert len(pairs) > 2000
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
    assert all(en and ko and "\t" not in en + ko and "\n" not in en + ko for en, ko in pairs)
    assert all(HANGUL.search(ko) for _, ko in pairs)
    assert len(set(pairs)) == len(pairs)
    with_source = D.load_ko_en(with_source=True)
    assert [p[1:] for p in with_source] == pairs
    assert {p[0] for p in with_source} == {"django", "sphinx", "wagtail"}


# ------------------------------------------------------------------ broken copies

@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of data/ (without prepare/) that WORKBOOK_DATA points at."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns("prepare"))
    monkeypatch.setenv("WORKBOOK_DATA", str(copy))
    return copy


def relist(data_copy, rel):
    """Put the sha256 of the (changed) file rel into the copy's manifest, so that the
    hash check passes and the parser itself has to notice what is wrong."""
    digest = hashlib.sha256((data_copy / rel).read_bytes()).hexdigest()
    manifest = data_copy / "MANIFEST.sha256"
    lines = [f"{digest}  {rel}" if line.endswith(rel) else line
             for line in manifest.read_text().splitlines()]
    manifest.write_text("\n".join(lines) + "\n")


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
    rel = "digits/digits.csv.gz"
    path = data_copy / rel
    path.write_bytes(path.read_bytes()[:1000])  # truncated gzip
    relist(data_copy, rel)
    with pytest.raises(D.DataError, match=r"digits\.csv\.gz.*cannot be parsed"):
        D.load_digits()


def test_truncated_gzip_raises_data_error(data_copy):
    rel = "brown/brown.txt.gz"
    path = data_copy / rel
    path.write_bytes(path.read_bytes()[:200_000])
    relist(data_copy, rel)
    with pytest.raises(D.DataError, match=r"brown\.txt\.gz.*cannot be parsed") as err:
        D.load_brown()
    assert "python data/prepare/brown.py" in str(err.value)


@pytest.mark.parametrize("rel, load", [
    ("sentiment/sentiment.tsv", D.load_sentiment),
    ("brown/brown.txt.gz", D.load_brown),
    ("shakespeare/shakespeare.txt", D.load_shakespeare),
    ("ko_en/ko_en.tsv", D.load_ko_en),
])
def test_every_loader_checks_its_file(data_copy, rel, load):
    path = data_copy / rel
    raw = bytearray(path.read_bytes())
    raw[-2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(D.DataError, match=re.escape(str(path)) + ".*corrupt") as err:
        load()
    assert f"git checkout data/{rel}" in str(err.value)
    path.unlink()
    with pytest.raises(D.DataError, match=re.escape(str(path)) + ".*missing"):
        load()


def test_missing_manifest_raises_data_error(data_copy):
    (data_copy / "MANIFEST.sha256").unlink()
    with pytest.raises(D.DataError, match=r"MANIFEST\.sha256"):
        D.load_ko_en()


def test_tsv_with_a_broken_row_raises_data_error(data_copy):
    rel = "ko_en/ko_en.tsv"
    path = data_copy / rel
    path.write_text(path.read_text(encoding="utf-8") + "no tabs here\n", encoding="utf-8")
    relist(data_copy, rel)
    with pytest.raises(D.DataError, match=r"ko_en\.tsv.*cannot be parsed.*line \d+"):
        D.load_ko_en()


def test_malformed_manifest_raises_data_error(data_copy):
    (data_copy / "MANIFEST.sha256").write_text("not a manifest line\n")
    with pytest.raises(D.DataError, match=r"MANIFEST\.sha256: line 1"):
        D.load_sentiment()
