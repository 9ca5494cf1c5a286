"""Rebuild every shipped data file and check each against data/MANIFEST.sha256.

Run:  python data/prepare/all.py     (needs pip and npm with registry access; ~30 s)
Exits non-zero if any rebuilt file differs from the manifest.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("digits.py", "sentiment.py", "brown.py", "shakespeare.py", "ko_en.py")


def main() -> int:
    failed = []
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)]).returncode != 0:
            failed.append(script)
    print("all files identical to the manifest" if not failed
          else f"differs from the manifest or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
