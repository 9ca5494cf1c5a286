"""Rebuild data/digits/digits.csv.gz from the scikit-learn 1.9.1 wheel.

The file is shipped exactly as scikit-learn ships it (sklearn/datasets/data/digits.csv.gz):
1,797 rows of 65 comma-separated integers, the 8x8 pixel counts (0..16) row by row
and then the digit label (0..9). Run:  python data/prepare/digits.py
"""

import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, check_manifest, pip_download, write_bytes  # noqa: E402

SPEC = "scikit-learn==1.9.1"
MEMBER = "sklearn/datasets/data/digits.csv.gz"
OUT = "digits/digits.csv.gz"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pip_download(SPEC, Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(MEMBER)
    write_bytes(DATA_DIR / OUT, data)
    return 0 if check_manifest(OUT) else 1


if __name__ == "__main__":
    sys.exit(main())
