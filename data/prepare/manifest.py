"""Rewrite data/MANIFEST.sha256: the sha256 of every shipped data file, in sha256sum format.

Data files are all files under data/ except README.md, MANIFEST.sha256 and prepare/.
Check by hand with:  cd data && sha256sum -c MANIFEST.sha256
Run:  python data/prepare/manifest.py
"""

import hashlib
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent
SKIP = {"README.md", "MANIFEST.sha256"}


def data_files(root: Path = DATA_DIR) -> list[str]:
    """Relative POSIX paths of the shipped data files, sorted."""
    out = []
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel not in SKIP and not rel.startswith("prepare/") \
                and "__pycache__" not in rel:
            out.append(rel)
    return sorted(out)


def main() -> None:
    lines = [f"{hashlib.sha256((DATA_DIR / rel).read_bytes()).hexdigest()}  {rel}\n"
             for rel in data_files()]
    (DATA_DIR / "MANIFEST.sha256").write_text("".join(lines))
    print(f"wrote MANIFEST.sha256 with {len(lines)} files")


if __name__ == "__main__":
    main()
