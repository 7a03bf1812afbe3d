"""The TA's report of a batch: one row per notebook of each student.

Each row gives the score from the gradebook, the seconds grading took, the status
(graded, killed, timeout, unreadable, failed, missing) and every problem found:
tampering flags, files left out, truncated output, why a notebook was not graded.
Rows that need a person come first. The report is written to
`batches/<assignment>/report.csv` and printed as a table; nothing the journal knows
is left out.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from . import journal

COLUMNS = ("student", "notebook", "status", "score", "max_score", "seconds", "problems")


@dataclass
class Row:
    student: str
    notebook: str
    status: str
    score: float
    max_score: float
    seconds: float
    problems: list

    @property
    def needs_attention(self):
        return self.status != "graded" or bool(self.problems)


def rows(root, assignment, db_url, course_id):
    """Rows of the latest journal entries, with today's scores from the gradebook
    (a TA may have graded by hand since)."""
    from nbgrader.api import Gradebook, MissingEntry

    result = []
    with Gradebook(db_url, course_id) as gb:
        for (student, notebook), entry in sorted(
            journal.entries(root, assignment).items()
        ):
            score, max_score = entry["score"], entry["max_score"]
            try:
                nb = gb.find_submission_notebook(
                    Path(notebook).stem, assignment, student
                )
                score, max_score = float(nb.score), float(nb.max_score)
            except MissingEntry:
                entry["problems"] = entry["problems"] + [
                    "not in the gradebook any more"
                ]
            result.append(
                Row(
                    student,
                    notebook,
                    entry["status"],
                    score,
                    max_score,
                    float(entry["seconds"]),
                    list(entry["problems"]),
                )
            )
    result.sort(key=lambda r: (not r.needs_attention, r.student, r.notebook))
    return result


def write_csv(path, report_rows):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for r in report_rows:
            writer.writerow(
                [
                    r.student,
                    r.notebook,
                    r.status,
                    f"{r.score:g}",
                    f"{r.max_score:g}",
                    f"{r.seconds:.1f}",
                    "; ".join(r.problems),
                ]
            )
    return path


def table(report_rows):
    """The report as lines of text, for a terminal."""
    if not report_rows:
        return ["No notebook of this assignment has been graded by a batch yet."]
    width_s = max(7, *(len(r.student) for r in report_rows))
    width_n = max(8, *(len(r.notebook) for r in report_rows))
    lines = [
        f"{'student':<{width_s}}  {'notebook':<{width_n}}  {'status':<10}  "
        f"{'score':>13}  {'time':>6}  problems"
    ]
    for r in report_rows:
        score = f"{r.score:.2f} / {r.max_score:g}"
        lines.append(
            f"{r.student:<{width_s}}  {r.notebook:<{width_n}}  {r.status:<10}  "
            f"{score:>13}  {r.seconds:5.0f}s  {'; '.join(r.problems) or '-'}"
        )
    attention = sum(r.needs_attention for r in report_rows)
    total = sum(r.seconds for r in report_rows)
    lines.append(
        f"{len(report_rows)} notebooks, {attention} need a TA's attention; "
        f"{total:.0f} s of grading"
    )
    return lines


def report(root, assignment, db_url, course_id, out=print):
    """Write report.csv beside the journal and print the table; return the path."""
    report_rows = rows(root, assignment, db_url, course_id)
    path = write_csv(journal.folder(root, assignment) / "report.csv", report_rows)
    for line in table(report_rows):
        out(line)
    out(f"Report: {path}")
    return path
