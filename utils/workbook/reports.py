"""What ``workbook grade`` writes for people: a feedback page per student and the summary table."""

from __future__ import annotations

from pathlib import Path


def fmt_points(x) -> str:
    if x == "" or x is None:
        return ""
    x = float(x)
    return str(int(x)) if x == int(x) else f"{x:.2f}".rstrip("0").rstrip(".")


def _md(text: str) -> str:
    text = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return "<br>".join(text.splitlines()) or "&nbsp;"


OUTCOME_LABEL = {"passed": "✓ passed", "failed": "✗ failed", "not-attempted": "not attempted",
                 "error": "✗ error", "timeout": "⏱ timeout", "skipped": "skipped",
                 "tampered": "✗ tampered"}

ADVICE = {
    "failed": "**failed**: your function runs but gives a wrong answer. The message says which case, what was "
              "expected and what your code gave, often with a likely cause. Fix the function, run its cell, "
              "then run the check cell again until it prints a line starting with ✓.",
    "not-attempted": "**not attempted**: the exercise still raises `NotImplementedError`. Replace "
                     "`# YOUR CODE HERE` and the `raise NotImplementedError(...)` line in its cell with your code.",
    "error": "**error**: the check crashed before it could judge the answer (the message names the exception). "
             "Often a name your function needs is not defined in the exercise cell itself, or the function "
             "crashed in a way the check did not expect: run the exercise cell and the check cell in a fresh "
             "kernel (Kernel > Restart) to see it.",
    "timeout": "**timeout**: the check ran past its time limit and was stopped. Look for a loop that never "
               "ends, or a much slower algorithm than needed (a Python loop where one array operation would do).",
    "tampered": "**tampered**: code in your notebook replaced a check function, or something the checks call or "
                "compare with (a NumPy or torch function, a method of the checks), so the check could not be "
                "trusted and scores 0. Keep only your function definitions in the exercise cells: no assignments "
                "to `check_...`, `np....`, `torch....` or `utils...`.",
    "skipped": "**skipped**: this check never ran, for the reason in its message (the kernel died or time ran "
               "out earlier). Fix that first; this check may well pass afterwards.",
}


def feedback_page(sub: Submission, row: dict, checks: list, pristine, stamp: str) -> str:
    lines = []
    if sub.status in ("unreadable", "unknown-notebook"):
        lines += [f"# Feedback on `{sub.path.name}`", "",
                  f"**Score: 0 points. This file could not be graded** (status: {sub.status}).", ""]
        if sub.status == "unreadable":
            lines += [f"It could not be read as a Jupyter notebook: {sub.reason}.", "",
                      "What to do: open the file in Jupyter to see that it is your notebook, save it "
                      "(File > Save Notebook), and hand in that `.ipynb` file itself, not an export or "
                      "a screenshot."]
        else:
            lines += [f"It is not clear which notebook of the course this is: {sub.reason}.", "",
                      "What to do: hand in the notebook you filled in from `notebooks/`, keeping the notebook's "
                      "name in the file name (for example `yourname_04_rnn_cell.ipynb`)."]
        lines += ["", f"Submission `{sub.display}`, graded {stamp}, sha256 `{sub.sha256 or '-'}`.", ""]
        return "\n".join(lines)

    nb_id = sub.notebook
    lines += [f"# Feedback: {pristine.title}", "",
              f"**Score: {fmt_points(row['points'])} / {fmt_points(row['max_points'])} points**", "",
              f"Notebook `{nb_id}` · submission `{sub.display}` · graded {stamp}", ""]
    if row["status"] != "ok" and sub.reason:
        what = "ran out of time" if row["status"] == "timeout" else "stopped because its kernel died"
        lines += [f"> Grading {what}: {sub.reason}. Checks after that point could not run.", ""]
    elif row["status"] == "timeout":
        lines += ["> A cell ran past its time limit and was interrupted; the checks below say which.", ""]
    for note in sub.notes:
        lines += [f"> {note}", ""]
    lines += ["| Check | Points | Result | What the check said |", "|---|---:|---|---|"]
    for c in checks:
        lines.append(f"| `{c.check}` | {fmt_points(c.points)} / {fmt_points(c.max_points)} | "
                     f"{OUTCOME_LABEL.get(c.outcome, c.outcome)} | {_md(c.message)} |")
    lines.append("")
    seen = [o for o in ("failed", "not-attempted", "error", "timeout", "tampered", "skipped") if any(c.outcome == o for c in checks)]
    if seen:
        lines += ["## What to do next", ""] + [f"- {ADVICE[o]}" for o in seen] + [""]
    elif checks:
        lines += ["Every check passed. Well done!", ""]
    lines += ["## Where to find help", "",
              f"Open `notebooks/{nb_id}.ipynb`. Under each exercise there is a folded **Hints** section (click it "
              "to open it): it goes step by step from a gentle nudge to the key equation and the shapes, without "
              "giving the answer away. Try them before anything else. The complete worked solutions are in "
              f"`solutions/{nb_id}.ipynb`; read them after the deadline, to compare with your own.", "",
              "How this was graded: your answer cells were run in a fresh copy of the course notebook, "
              "top to bottom, with the course's own check cells. Only the code in the exercise cells counts; "
              "changes to other cells are not part of the grade.", ""]
    return "\n".join(lines)


def summary(rows, total_seconds, out: Path, pages: int) -> str:
    width = min(44, max([len("submission")] + [len(r["submission"]) for r in rows]))

    def short(text):
        return text if len(text) <= width else "…" + text[-(width - 1):]

    nb_width = max([len("notebook")] + [len(r["notebook"]) for r in rows])
    head = f"{'submission':{width}}  {'notebook':{nb_width}}  {'points':>9}  {'status':16}  {'seconds':>7}"
    out_lines = [head, "-" * len(head)]
    for r in rows:
        pts = f"{fmt_points(r['points'])} / {fmt_points(r['max_points'])}" if r["max_points"] != "" else "-"
        out_lines.append(f"{short(r['submission']):{width}}  {r['notebook']:{nb_width}}  {pts:>9}  "
                         f"{r['status']:16}  {r['seconds']:>7}")
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    tally = ", ".join(f"{k} {v}" for k, v in counts.items())
    out_lines += ["-" * len(head),
                  f"{len(rows)} submission{'s' if len(rows) != 1 else ''} graded in {total_seconds:.1f} s ({tally}).",
                  f"Wrote {out / 'grades.csv'}, {out / 'checks.csv'} and {pages} feedback page"
                  f"{'s' if pages != 1 else ''} in {out / 'feedback'}/"]
    return "\n".join(out_lines)
