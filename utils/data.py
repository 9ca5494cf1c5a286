"""Loaders for the datasets shipped in ``data/``.

Every loader reads one prepared file, checks it against ``data/MANIFEST.sha256``
(once per file per Python process) and returns plain Python / numpy objects:

========================  ===============================================  ========
loader                    returns                                          used in
========================  ===============================================  ========
``load_digits()``         ``X`` (1797, 64) float64, ``y`` (1797,) int64    01 02 04
``load_sentiment()``      3,000 dicts ``{"source", "text", "label"}``      06
``load_brown(tagset)``    57,340 sentences, lists of ``(word, tag)``       07
``load_shakespeare()``    one ``str`` of 1,036,176 characters              08
``load_ko_en()``          2,576 ``(english, korean)`` pairs                11
========================  ===============================================  ========

Where each file comes from, its licence and how to rebuild it: ``data/README.md``.

The data folder is ``data/`` at the top of the repository. Installed from a wheel, without
the repository around it (as on Colab), the package carries the same files in ``utils/_data/``
(package data) and they are read from there. Set the environment variable ``WORKBOOK_DATA``
to use another folder (it must hold the same files and its own ``MANIFEST.sha256``).

A missing, changed or unreadable file raises :class:`DataError`, whose message names
the file, says what is wrong and how to get a good copy back.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import importlib.resources
import os
from pathlib import Path

import numpy as np

__all__ = ["DataError", "UNIVERSAL_TAGS", "data_dir", "load_digits", "load_sentiment",
           "load_brown", "load_shakespeare", "load_ko_en"]


class DataError(RuntimeError):
    """A shipped data file is missing, differs from data/MANIFEST.sha256, or cannot be parsed."""


# Which script under data/prepare/ rebuilds each shipped file.
_PREPARE_SCRIPT = {
    "digits/digits.csv.gz": "digits.py",
    "sentiment/sentiment.tsv": "sentiment.py",
    "brown/brown.txt.gz": "brown.py",
    "brown/tagmap.tsv": "brown.py",
    "shakespeare/shakespeare.txt": "shakespeare.py",
    "ko_en/ko_en.tsv": "ko_en.py",
}

# Absolute paths of the files whose sha256 was already checked in this process.
_verified: set[str] = set()


def _packaged() -> Path:
    """utils/_data/: the data files installed with the package. Only a wheel has them (see
    pyproject.toml); a wheel is installed unpacked, so they are files on disk."""
    return Path(str(importlib.resources.files(__package__) / "_data"))


def data_dir() -> Path:
    """The data folder: ``$WORKBOOK_DATA`` if set, else the package data when the course was
    installed from a wheel (Colab), else ``data/`` of the repository this package is in."""
    override = os.environ.get("WORKBOOK_DATA")
    if override:
        return Path(override).expanduser().resolve()
    if _packaged().is_dir():
        return _packaged()
    return Path(__file__).resolve().parent.parent / "data"


def _how_to_fix(rel: str) -> str:
    if not data_dir().is_dir():
        return (f"The data folder {data_dir()} does not exist: use a whole copy of the course (a clone "
                f"of its repository), or install the course from its release, which carries the data.")
    if data_dir() == _packaged():
        return ("The file was installed with the course: to fix it, install the course again "
                "(pip install --force-reinstall --no-deps, from the same source).")
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
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(maxsplit=1)   # "<sha256>  <path>", as sha256sum writes it
        if len(fields) != 2 or len(fields[0]) != 64:
            raise DataError(f"{manifest}: line {number} is not '<sha256>  <path>'. "
                            f"To fix it, run `git checkout data/MANIFEST.sha256`.")
        digests[fields[1].lstrip("*")] = fields[0]
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
    if str(path) in _verified:
        return path
    if not path.is_file():
        raise DataError(f"{path}: the data file is missing. {_how_to_fix(rel)}")
    expected = _read_manifest(root).get(rel)
    if expected is None:
        raise DataError(f"{path}: the file is not listed in {root / 'MANIFEST.sha256'}. "
                        f"To fix it, run `git checkout data/MANIFEST.sha256`.")
    actual = _sha256(path)
    if actual != expected:
        raise DataError(f"{path}: the file is corrupt or was changed: its sha256 begins "
                        f"{actual[:12]}, the manifest expects {expected[:12]}. "
                        f"{_how_to_fix(rel)}")
    _verified.add(str(path))
    return path


def _unreadable(rel: str, err: Exception) -> DataError:
    path = data_dir() / rel
    return DataError(f"{path}: the file cannot be parsed ({type(err).__name__}: {err}). "
                     f"{_how_to_fix(rel)}")


def _read_text(rel: str) -> str:
    path = _checked_path(rel)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise _unreadable(rel, err) from None


def _read_tsv(rel: str, header: list[str]) -> list[list[str]]:
    """Rows of a TSV file (no quoting; fields hold no tabs), header line checked."""
    lines = _read_text(rel).rstrip("\n").split("\n")
    if not lines or lines[0].split("\t") != header:
        raise _unreadable(rel, ValueError(f"the first line should be the header {header}"))
    rows = [line.split("\t") for line in lines[1:]]
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise _unreadable(rel, ValueError(
                f"line {number} has {len(row)} fields, expected {len(header)}"))
    return rows


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
        table = np.array([line.split(",") for line in text.rstrip("\n").split("\n")],
                         dtype=np.float64)
        if table.shape != (1797, 65):
            raise ValueError(f"expected 1797 rows of 65 numbers, got shape {table.shape}")
    except ValueError as err:
        raise _unreadable(rel, err) from None
    X = table[:, :64]
    y = table[:, 64].astype(np.int64)
    return X, y


# ------------------------------------------------------------------ sentiment

def load_sentiment() -> list[dict]:
    """The 3,000 labelled sentences of the UCI Sentiment Labelled Sentences dataset.

    Returns a list of 3,000 dicts, each
      {"source": "amazon" | "imdb" | "yelp",   # where the sentence comes from
       "text": str,                           # one review sentence, stripped
       "label": int}                          # 1 positive, 0 negative
    1,000 sentences per source, 500 of each label per source, in file order
    (amazon, then imdb, then yelp; not shuffled).
    """
    rel = "sentiment/sentiment.tsv"
    records = []
    for source, label, text in _read_tsv(rel, ["source", "label", "sentence"]):
        if label not in ("0", "1") or source not in ("amazon", "imdb", "yelp"):
            raise _unreadable(rel, ValueError(f"bad row {[source, label, text]}"))
        records.append({"source": source, "text": text, "label": int(label)})
    return records


# ------------------------------------------------------------------ Brown corpus

UNIVERSAL_TAGS = ("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM",
                  "CONJ", "PRT", "X", ".")
"""The 12 universal part-of-speech tags of Petrov, Das and McDonald (2012), in a fixed
order: nouns, verbs, adjectives, adverbs, pronouns, determiners, adpositions
(prepositions), numerals, conjunctions, particles and other function words, other
(foreign words, typos), punctuation."""


def load_brown(tagset: str = "universal") -> list[list[tuple[str, str]]]:
    """The tagged Brown corpus: 57,340 sentences, 1,161,192 tokens, 500 texts of 1961.

    tagset: "universal" for the 12 tags of UNIVERSAL_TAGS (e.g. "NOUN"), or "brown"
            for the original Brown tags as in the corpus, lower case (e.g. "np-tl",
            472 distinct tags; the mapping is in data/brown/tagmap.tsv).
    Returns a list of sentences; each sentence is a list of (word, tag) tuples of
    str, with the words as written (case kept), in corpus order (texts ca01 .. cr09).
    """
    if tagset not in ("universal", "brown"):
        raise ValueError(f'tagset must be "universal" or "brown", not {tagset!r}')
    column = 2 if tagset == "universal" else 1
    rel = "brown/brown.txt.gz"
    lines = _read_gzip_text(rel).rstrip("\n").split("\n")
    # Building 1.2 million small tuples makes Python's garbage collector run over and
    # over for nothing (none of them can be garbage); pausing it halves the time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        sentences = []
        for number, line in enumerate(lines, start=1):
            # "ca01<TAB>word/brown_tag/universal_tag word/brown_tag/universal_tag ..."
            body = line.partition("\t")[2]
            # split from the right: a word may itself contain "/", e.g. 1/2/cd/NUM
            tokens = [token.rsplit("/", 2) for token in body.split(" ")]
            if min(len(parts) for parts in tokens) != 3:
                raise _unreadable(rel, ValueError(f"line {number} has a token without two tags"))
            sentences.append([(parts[0], parts[column]) for parts in tokens])
    finally:
        if gc_was_enabled:
            gc.enable()
    return sentences


# ------------------------------------------------------------------ Shakespeare

def load_shakespeare() -> str:
    """Eight Shakespeare plays as one plain-text string (1,036,176 characters, ASCII).

    Hamlet, Macbeth, King Lear, Othello, Romeo and Juliet, Julius Caesar, A Midsummer
    Night's Dream and The Tempest, in that order, separated by three blank lines;
    lines end in "\\n". Each speech starts with the speaker's name on its own line
    ("Ham.", "MACBETH.", "PROSPERO."), the spelling varying from play to play.
    """
    return _read_text("shakespeare/shakespeare.txt")


# ------------------------------------------------------------------ Korean-English

def load_ko_en(with_source: bool = False) -> list[tuple[str, ...]]:
    """2,576 English-Korean pairs: user-interface messages of Django, Sphinx and Wagtail.

    Returns a list of (english, korean) tuples of str, each string on one line
    (whitespace collapsed); format placeholders such as %(name)s, %s or {name} are
    kept in both languages. With with_source=True each tuple is (source, english,
    korean), source being "django", "sphinx" or "wagtail". Sorted by source, then
    English text.
    """
    rows = _read_tsv("ko_en/ko_en.tsv", ["source", "english", "korean"])
    if with_source:
        return [(source, english, korean) for source, english, korean in rows]
    return [(english, korean) for _source, english, korean in rows]
