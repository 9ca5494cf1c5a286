"""``workbook report DIR``: the class report for the teacher, ``DIR/report.html`` and ``DIR/report.png``.

Read from ``DIR/grades.csv`` and ``DIR/checks.csv`` (a ``workbook grade`` or ``merge``
output; ``--report`` on those commands writes it too), it answers "what do I re-teach
next lab?":

- **Re-teach first**: the checks ordered by the share of students who attempted the
  exercise and did not pass it, with the most frequent cause of each;
- per notebook and per check, the share of the notebook's submissions that
  *passed*, *failed* (a wrong answer), hit an *error or limit* (error, timeout,
  skipped, tampered) and did *not attempt* it (still the stub);
- the most frequent failure causes of each check, grouped by the first line of the
  check's message (a check names the mistake there);
- the distribution of the totals (points over max points, per notebook).

The figure (``report.png``, embedded in the page with a text alternative) has one panel
of horizontal stacked bars, one bar per check, split into those four shares, and one
histogram of the totals in 10 % bins per notebook. Colours are the Okabe-Ito
colour-blind-safe palette and each share also has its own hatching.
"""

from __future__ import annotations

import csv
import html
import sys
from collections import Counter
from pathlib import Path

GROUPS = ("passed", "failed", "error or limit", "not attempted")
GROUP_OF = {"passed": "passed", "failed": "failed", "not-attempted": "not attempted", "error": "error or limit",
            "timeout": "error or limit", "skipped": "error or limit", "tampered": "error or limit"}
COLORS = {"passed": "#009E73", "failed": "#D55E00", "error or limit": "#E69F00", "not attempted": "#BBBBBB"}
HATCHES = {"passed": "", "failed": "//", "error or limit": "..", "not attempted": "xx"}
TOP_CAUSES = 3


def add_arguments(parser):
    parser.description = "Write DIR/report.html and DIR/report.png, the class report of a graded folder."
    parser.add_argument("folder", metavar="DIR", help="a folder written by workbook grade (or merge)")


def _read(path: Path) -> list:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def first_line(message: str) -> str:
    line = next((ln.strip() for ln in (message or "").splitlines() if ln.strip()), "(no message)")
    return line if len(line) <= 200 else line[:199] + "…"


def summarise(grades: list, checks: list) -> dict:
    """Everything the report shows, as plain data (tested without the page)."""
    notebooks = {}
    for row in grades:
        nb = row.get("notebook")
        if not nb or row.get("max_points") in ("", None):
            continue
        entry = notebooks.setdefault(nb, {"submissions": 0, "totals": [], "checks": {}})
        entry["submissions"] += 1
        maximum = float(row["max_points"]) or 1.0
        entry["totals"].append(float(row["points"] or 0) / maximum)
    for row in checks:
        entry = notebooks.get(row.get("notebook"))
        if entry is None:
            continue
        c = entry["checks"].setdefault(row["check"], {"counts": Counter(), "causes": Counter()})
        group = GROUP_OF.get(row["outcome"], "error or limit")
        c["counts"][group] += 1
        if group in ("failed", "error or limit"):
            c["causes"][first_line(row["message"])] += 1
    reteach = []
    for nb, entry in notebooks.items():
        n = entry["submissions"]
        for check, c in entry["checks"].items():
            c["shares"] = {g: c["counts"][g] / n for g in GROUPS}
            attempted = n - c["counts"]["not attempted"]
            missed = c["counts"]["failed"] + c["counts"]["error or limit"]
            c["missed_of_attempted"] = missed / attempted if attempted else 0.0
            if missed:
                cause, count = c["causes"].most_common(1)[0]
                reteach.append((c["missed_of_attempted"], missed, nb, check, cause, count, attempted))
    reteach.sort(key=lambda r: (-r[0], -r[1], r[2], r[3]))
    return {"notebooks": dict(sorted(notebooks.items())), "reteach": reteach,
            "submissions": len(grades), "ungraded": sum(1 for r in grades if not r.get("notebook"))}


def figure(data: dict, path: Path):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    bars = [(nb, check, c["shares"]) for nb, e in data["notebooks"].items() for check, c in e["checks"].items()]
    height = max(2.5, 0.32 * len(bars) + 1.4)
    fig, (ax, hx) = plt.subplots(1, 2, figsize=(12, height), gridspec_kw={"width_ratios": [3, 2]},
                                 facecolor="white")
    labels = [f"{nb} · {check}" for nb, check, _ in bars]
    y = list(range(len(bars)))[::-1]
    left = [0.0] * len(bars)
    for g in GROUPS:
        widths = [100 * shares[g] for _, _, shares in bars]
        ax.barh(y, widths, left=left, color=COLORS[g], hatch=HATCHES[g], edgecolor="white", label=g)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the notebook's submissions (%)")
    ax.set_title("Each check: passed, failed, error or limit, not attempted", pad=26)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=8, frameon=False)
    bins = [i / 10 for i in range(11)]
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, (nb, e) in enumerate(data["notebooks"].items()):
        counts = [0] * 10
        for t in e["totals"]:
            counts[min(9, int(t * 10))] += 1
        centres = [100 * (b + 0.05) for b in bins[:-1]]
        hx.plot(centres, counts, linestyle=styles[i % len(styles)], marker=markers[i % len(markers)],
                label=f"{nb} ({e['submissions']})")
    hx.set_xlim(0, 100)
    hx.set_xlabel("total: points / max points (%, bins of 10)")
    hx.set_ylabel("submissions")
    hx.set_title("Distribution of the totals")
    hx.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)


def _alt(data: dict) -> str:
    parts = []
    for nb, e in data["notebooks"].items():
        for check, c in e["checks"].items():
            s = c["shares"]
            parts.append(f"{nb} {check}: {100 * s['passed']:.0f}% passed, {100 * s['failed']:.0f}% failed, "
                         f"{100 * s['error or limit']:.0f}% error or limit, {100 * s['not attempted']:.0f}% not attempted")
    return ("Stacked bars, one per check: " + "; ".join(parts) + ". Then line plots of how many submissions of each "
            "notebook reached each tenth of the maximum points.")


def page(data: dict, png_name: str) -> str:
    esc = html.escape
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Class report</title>",
           "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .5em;"
           "text-align:left;vertical-align:top}td.n{text-align:right}img{max-width:100%}</style></head><body>",
           "<h1>Class report</h1>",
           f"<p>{data['submissions']} submission(s); {data['ungraded']} could not be graded (unreadable or of no "
           "known notebook). Shares are of each notebook's submissions.</p>",
           "<h2>Re-teach first</h2>"]
    if data["reteach"]:
        out.append("<table><tr><th>notebook · check</th><th>did not pass, of those who attempted</th>"
                   "<th>most frequent cause</th></tr>")
        for share, missed, nb, check, cause, count, attempted in data["reteach"][:10]:
            out.append(f"<tr><td>{esc(nb)} · <code>{esc(check)}</code></td><td class=\"n\">{100 * share:.0f} % "
                       f"({missed} of {attempted})</td><td>{esc(cause)} ({count}×)</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>Every attempted check passed.</p>")
    out.append(f"<p><img src=\"{esc(png_name)}\" alt=\"{esc(_alt(data))}\"></p>")
    for nb, e in data["notebooks"].items():
        totals = sorted(e["totals"])
        median = totals[len(totals) // 2] if totals else 0.0
        out.append(f"<h2>{esc(nb)}</h2><p>{e['submissions']} submission(s); median total {100 * median:.0f} % of the "
                   f"points; {sum(1 for t in totals if t >= 1.0)} with full marks, "
                   f"{sum(1 for t in totals if t == 0)} with none.</p>")
        out.append("<table><tr><th>check</th>" + "".join(f"<th>{g}</th>" for g in GROUPS)
                   + "<th>most frequent failure causes (first line of the check's message)</th></tr>")
        for check, c in e["checks"].items():
            causes = "<br>".join(f"{n}× {esc(cause)}" for cause, n in c["causes"].most_common(TOP_CAUSES)) or "–"
            out.append(f"<tr><td><code>{esc(check)}</code></td>"
                       + "".join(f"<td class=\"n\">{100 * c['shares'][g]:.0f} % ({c['counts'][g]})</td>" for g in GROUPS)
                       + f"<td>{causes}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write(folder: Path) -> tuple[Path, Path]:
    folder = Path(folder)
    data = summarise(_read(folder / "grades.csv"), _read(folder / "checks.csv"))
    png = folder / "report.png"
    figure(data, png)
    target = folder / "report.html"
    target.write_text(page(data, png.name), encoding="utf-8")
    return target, png


def run(args) -> int:
    folder = Path(args.folder)
    if not (folder / "grades.csv").is_file() or not (folder / "checks.csv").is_file():
        print(f"workbook report: {folder} has no grades.csv and checks.csv: give a folder written by "
              "`workbook grade` or `workbook grade merge`", file=sys.stderr)
        return 2
    html_path, png = write(folder)
    print(f"workbook report: wrote {html_path} and {png}")
    return 0
