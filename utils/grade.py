"""`workbook grade`: batch grading of filled-in notebooks (to be written)."""


def add_arguments(parser):
    parser.add_argument("submissions", nargs="+")
    parser.add_argument("--out", required=True)


def run(args) -> int:
    raise SystemExit("workbook grade is not available yet")
