"""Rebuild data/ko_en/ko_en.tsv: English-Korean message pairs from Korean .po files.

Sources (PyPI wheels, BSD-licensed): Django 5.2.19, Wagtail 8.0.1 and Sphinx 9.0.4,
every locale/ko/LC_MESSAGES/*.po in each wheel (Django: core and contrib apps;
Wagtail: admin and contrib apps; Sphinx: sphinx.po). The .po files are read with
the small parser below (the gettext PO format: msgctxt, msgid, msgid_plural,
msgstr, msgstr[N], "..." continuation lines, # comments and #, flags).

Rules:
- the header entry (empty msgid), obsolete entries (#~) and entries flagged
  "fuzzy" (unreviewed translations) are dropped, and so is any entry whose
  translation is empty;
- plural entries: Korean has a single plural form (nplurals=1), so msgstr[0] is the
  translation for every count; it is paired with the English plural (msgid_plural),
  which like the Korean holds the count placeholder;
- msgctxt (a disambiguation context) is not kept;
- whitespace (newlines, tabs, runs of spaces) is collapsed to one space and the
  ends are stripped, so every pair fits on one TSV line;
- format placeholders (%(name)s, %s, {name}) and inline HTML are kept as they are:
  they are part of the string a translator has to carry over;
- a pair is kept only if the Korean side holds at least one Hangul syllable
  (drops untranslated copies such as "URL" -> "URL" or date formats);
- duplicates: rows are sorted by (source, english, korean) and a pair (english,
  korean) already seen is dropped, so each pair appears once, under the first
  source in the order django, sphinx, wagtail.

Output: UTF-8 TSV, header "source<TAB>english<TAB>korean", no quoting.
Run:  python data/prepare/ko_en.py
"""

import re
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, check_manifest, pip_download, write_text  # noqa: E402

SPECS = {"django": "django==5.2.19", "sphinx": "sphinx==9.0.4", "wagtail": "wagtail==8.0.1"}
OUT = "ko_en/ko_en.tsv"
PO_PATH = re.compile(r"(^|/)locale/ko/LC_MESSAGES/[^/]+\.po$")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a"}


def unquote(s: str) -> str:
    """The value of one PO string literal, e.g. '"a\\"b\\n"' -> 'a"b\\n'."""
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise ValueError(f"not a quoted PO string: {s!r}")
    out, i, body = [], 0, s[1:-1]
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            out.append(ESCAPES[body[i + 1]])  # KeyError on an unknown escape
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_po(text: str) -> list[dict]:
    """Entries of a .po file as dicts: flags (set), msgctxt, msgid, msgid_plural, msgstr
    (dict index -> str; a singular msgstr has index 0), obsolete (bool)."""
    entries, entry, key = [], None, None

    def new_entry():
        return {"flags": set(), "msgstr": {}, "obsolete": False}

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        if line.startswith("#"):
            if entry is not None and "msgid" in entry:
                entries.append(entry)
                entry, key = None, None
            if entry is None:
                entry = new_entry()
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith('"'):
            if key is None:
                raise ValueError(f"continuation line without a keyword: {raw!r}")
            if isinstance(key, int):
                entry["msgstr"][key] += unquote(line)
            else:
                entry[key] += unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and entry is not None and "msgid" in entry:
            entries.append(entry)   # a new entry starts without comments before it
            entry = None
        if entry is None:
            entry = new_entry()
        entry["obsolete"] = entry["obsolete"] or obsolete
        m = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if m:
            key = int(m.group(1))
            entry["msgstr"][key] = unquote(rest)
        elif keyword == "msgstr":
            key = 0
            entry["msgstr"][0] = unquote(rest)
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            key = keyword
            entry[key] = unquote(rest)
        else:
            raise ValueError(f"unknown PO keyword {keyword!r} in line {raw!r}")
    if entry is not None and "msgid" in entry:
        entries.append(entry)
    return entries


def squash(s: str) -> str:
    return " ".join(s.split())


def pairs_of(entries: list[dict]) -> list[tuple[str, str]]:
    out = []
    for e in entries:
        if e["obsolete"] or "fuzzy" in e["flags"] or e["msgid"] == "":
            continue
        english = squash(e.get("msgid_plural", e["msgid"]))
        korean = squash(e["msgstr"].get(0, ""))
        if english and korean and HANGUL.search(korean):
            out.append((english, korean))
    return out


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for source, spec in SPECS.items():
            wheel = pip_download(spec, Path(tmp))
            with zipfile.ZipFile(wheel) as zf:
                names = sorted(n for n in zf.namelist() if PO_PATH.search(n))
                assert names, (spec, "no Korean .po files")
                n_pairs = 0
                for name in names:
                    pairs = pairs_of(parse_po(zf.read(name).decode("utf-8")))
                    rows.extend((source, en, ko) for en, ko in pairs)
                    n_pairs += len(pairs)
                print(f"{spec}: {len(names)} .po files, {n_pairs} pairs")
    seen, lines = set(), ["source\tenglish\tkorean"]
    for source, en, ko in sorted(rows):
        if (en, ko) not in seen:
            seen.add((en, ko))
            lines.append(f"{source}\t{en}\t{ko}")
    print(f"{len(lines) - 1} distinct pairs")
    write_text(DATA_DIR / OUT, "\n".join(lines) + "\n")
    return 0 if check_manifest(OUT) else 1


if __name__ == "__main__":
    sys.exit(main())
