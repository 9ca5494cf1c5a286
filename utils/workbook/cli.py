"""The ``workbook`` command (also ``python -m utils``).

    workbook build [--check]       write notebooks/ from solutions/ (or only compare)
    workbook execute NOTEBOOK...   run solution notebooks in place, store outputs, time cells
    workbook grade SUBMISSION...   grade filled-in notebooks (see ``workbook grade --help``)
    workbook grade merge DIR...    combine the result folders of the shards of a class
    workbook report DIR            the class report (report.html, report.png) of a graded folder
    workbook export DIR... --lms canvas|moodle --roster ROSTER.csv --out FILE   grades for the LMS
    workbook autograder NOTEBOOK_ID --gradescope OUT.zip                      a Gradescope autograder
    workbook link [--hub URL | --to binder|colab] NOTEBOOK   a link that opens a notebook with nothing installed
    workbook site [--solutions] [--out DIR]   the course website (_site/; see docs/site.md)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _build(args) -> int:
    from . import build

    try:
        if args.check:
            problems = build.stale(Path(args.solutions), Path(args.notebooks))
            if problems:
                print("notebooks/ is not what `workbook build` writes:")
                for p in problems:
                    print(f"  {p}")
                print("Run `workbook build` (or `python -m utils build`) and commit the result.")
                return 1
            print("notebooks/ is up to date with solutions/")
            return 0
        changed = build.build(Path(args.solutions), Path(args.notebooks))
        for path in changed:
            print(f"wrote {path}")
        if not changed:
            print("notebooks/ was already up to date")
        return 0
    except build.BuildError as e:
        print(f"workbook build: {e}", file=sys.stderr)
        return 1


def _execute(args) -> int:
    from . import execute

    return execute.main(args.notebooks, timeout=args.timeout)


def make_parser() -> argparse.ArgumentParser:
    from . import build

    parser = argparse.ArgumentParser(prog="workbook", description="From feed-forward networks to LSTMs: course tools.")
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="{build,execute,grade,report,export,autograder,link,site}")

    p = sub.add_parser("build", help="write the student notebooks in notebooks/ from solutions/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 and name the stale files if any")
    p.add_argument("--solutions", default=str(build.SOLUTIONS), help=argparse.SUPPRESS)
    p.add_argument("--notebooks", default=str(build.NOTEBOOKS), help=argparse.SUPPRESS)
    p.set_defaults(func=_build)

    p = sub.add_parser("execute", help="run solution notebooks in place, store their outputs, time their cells")
    p.add_argument("notebooks", nargs="+", help="notebook files")
    p.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell (default 120)")
    p.set_defaults(func=_execute)

    from . import autograder, export, grade, link, merge, report, site

    # the commands whose module gives add_arguments(parser) and run(args)
    commands = [
        ("grade", grade, "grade filled-in notebooks of a whole class (`workbook grade merge` combines shards)"),
        ("grade-merge", merge, None),  # `workbook grade merge DIR...` (main() turns it into this hidden command)
        ("report", report, "write the class report (report.html, report.png) of a graded folder"),
        ("export", export, "write the grades as a gradebook import file for an LMS (Canvas, Moodle)"),
        ("autograder", autograder, "build a Gradescope autograder (zip) for one notebook"),
        ("link", link, "print a link that opens a notebook on the class hub (nbgitpuller), Binder or Colab"),
        ("site", site, "build the course website into _site/ (offline, from the stored outputs)"),
    ]
    for name, module, help_text in commands:
        if help_text is None:
            p = sub.add_parser(name, prog=f"workbook {name.replace('-', ' ')}")
        else:
            p = sub.add_parser(name, help=help_text)
        module.add_arguments(p)
        p.set_defaults(func=module.run)

    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["grade", "merge"]:  # a submission folder named merge: ./merge
        argv = ["grade-merge", *argv[2:]]
    args = make_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
