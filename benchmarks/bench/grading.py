"""Autograding: seconds per submission and per notebook, and peak memory.

The demo's three submissions (`reference`, `blank`, `buggy`, made by
course_lib.tooling.demo) are graded twice, each time in a fresh scratch copy of
the course:

- by plain `nbgrader autograde`, one process per notebook of each student, one
  after the other (the reference every other line is measured against);
- by `course autograde ASSIGNMENT --workers 2`, which grades each notebook with
  nbgrader in a scratch course of its own, its kernel in a sandbox, two at once.

A student's submission is both assignments. Its plain grading time is held
against the 90 s budget; the sandboxed batch's wall time per submission too.
`course autograde` records each notebook's grading time in its journal
(batches/<assignment>/journal.jsonl), which gives its per-notebook lines. Peak
memory is that of the largest process, a notebook kernel as a rule.
"""

import json
import os
import sys
from pathlib import Path

from course_lib.tooling import build, demo

from .report import Line, load_average
from .timing import run_command

SECTION = "Autograding"
BUDGET = 90  # seconds per submission, both assignments
WORKERS = 2
PLAIN = "plain nbgrader autograde"
SANDBOXED = f"course autograde --workers {WORKERS}"


def measure(context):
    students = ("blank",) if context.quick else demo.STUDENTS
    course = scratch_course(context.root, context.scratch / "grading-plain")
    plain = {
        (student, notebook): autograde_notebook(course, student, assignment, notebook)
        for assignment in course.assignments
        for student in students
        for notebook in notebook_names(course, assignment)
    }
    lines = plain_lines(plain, context.student_seconds)
    course = scratch_course(context.root, context.scratch / "grading-sandboxed")
    load = load_average()
    wall, peak, journal = autograde_sandboxed(course, students)
    context.notes.append(budget_note(plain, wall / len(students)))
    return lines + sandboxed_lines(plain, wall, peak, journal, load)


def budget_note(plain, sandboxed_mean):
    """What the 90 s budget is held against, and why, from this run's figures."""
    slowest = max(
        per_student({k: run.cpu_seconds for k, run in plain.items()}).values()
    )
    return (
        f"- grading budget: the {BUDGET} s per submission are held against the kit's "
        f"grading of a class (`{SANDBOXED}`: {sandboxed_mean:.0f} s per submission "
        f"in this run). The slowest submission's notebooks need {slowest:.0f} CPU "
        "seconds one after another, most of it the notebooks' own training cells "
        "(their models train about as fast as PyTorch's, see above) and the start "
        "of a kernel with PyTorch for each of the five notebooks; on two cores two "
        "notebooks are graded at once. Plain nbgrader grades one notebook at a "
        "time: its lines are the reference, not held to the budget."
    )


def scratch_course(root, target):
    """A released copy of the course with the demo's submissions."""
    course = build.released_copy(root, target)
    for assignment in course.assignments:
        demo.make_submissions(course, assignment)
    return course


def notebook_names(course, assignment):
    return sorted(
        p.name for p in (course.root / "release" / assignment).glob("*.ipynb")
    )


def nbgrader_env():
    """The environment nbgrader needs: this Python's scripts first on PATH."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    return dict(os.environ, PATH=path)


def autograde_notebook(course, student, assignment, notebook):
    """One `nbgrader autograde` of one notebook of one student: a timing.Run."""
    stem = Path(notebook).stem
    command = [
        sys.executable,
        "-m",
        "nbgrader",
        "autograde",
        assignment,
        "--student",
        student,
        "--notebook",
        stem,
        "--force",
        "--log-level=WARN",
    ]
    log = course.root / f"autograde-{student}-{stem}.log"
    run = run_command(command, cwd=course.root, env=nbgrader_env(), log_path=log)
    if run.returncode != 0:
        raise RuntimeError(f"nbgrader autograde failed, see {log}:\n{run.output}")
    return run


def per_student(seconds_by_key):
    """student -> the sum of its notebooks' seconds."""
    totals = {}
    for (student, _), seconds in seconds_by_key.items():
        totals[student] = totals.get(student, 0.0) + seconds
    return totals


def plain_lines(plain, student_seconds):
    """Each submission and the budget; each notebook against a student's run."""
    wall = per_student({key: run.seconds for key, run in plain.items()})
    cpu = per_student({key: run.cpu_seconds for key, run in plain.items()})
    lines = []
    for student in wall:
        name = f"whole submission, {student}, {PLAIN}"
        lines += [
            Line(SECTION, f"{name}, wall", wall[student], BUDGET, "budget"),
            Line(SECTION, f"{name}, CPU", cpu[student], BUDGET, "budget"),
        ]
    for (student, notebook), run in plain.items():
        if student == "reference":
            lines.append(
                Line(
                    SECTION,
                    f"{notebook}, reference, {PLAIN}",
                    run.seconds,
                    student_seconds.get(notebook),
                    "a student's run of it",
                )
            )
    peak = max(run.peak_mib for run in plain.values())
    lines.append(Line(SECTION, f"peak memory, {PLAIN}", peak, None, "-", unit="MiB"))
    return lines


def autograde_sandboxed(course, students):
    """Wall seconds and peak MiB of `course autograde` over every assignment, and
    (student, notebook) -> seconds from its journals."""
    seconds, peak, journal = 0.0, 0.0, {}
    for assignment in course.assignments:
        command = [
            sys.executable,
            "-m",
            "course_lib.tooling.cli",
            "--root",
            str(course.root),
            "autograde",
            assignment,
            "--workers",
            str(WORKERS),
            "--student",
            *students,
        ]
        log = course.root / f"course-autograde-{assignment}.log"
        run = run_command(command, cwd=course.root, env=nbgrader_env(), log_path=log)
        if run.returncode != 0:
            raise RuntimeError(f"course autograde failed, see {log}:\n{run.output}")
        seconds += run.seconds
        peak = max(peak, run.peak_mib)
        journal |= journal_seconds(course.root / "batches" / assignment)
    return seconds, peak, journal


def journal_seconds(folder):
    """(student, notebook) -> grading seconds, the latest entry of each."""
    found = {}
    for line in (folder / "journal.jsonl").read_text().splitlines():
        entry = json.loads(line)
        found[entry["student"], entry["notebook"]] = entry["seconds"]
    return found


def sandboxed_lines(plain, wall, peak, journal, load):
    """`course autograde` against plain nbgrader on the same submissions."""
    plain_totals = per_student({key: run.seconds for key, run in plain.items()})
    plain_mean = sum(plain_totals.values()) / len(plain_totals)
    why = (
        f"{WORKERS} workers on a 2-core machine shared with other jobs (load "
        f"average {load} as the batch began); its notebooks' grading times add up "
        f"to {sum(journal.values()) / len(plain_totals):.0f} s per submission"
    )
    lines = [
        Line(
            SECTION,
            f"whole submission, class mean, {SANDBOXED} (wall)",
            wall / len(plain_totals),
            BUDGET,
            "budget",
            1.0,
            f"< {BUDGET} s",
            note=why,
        ),
        Line(
            SECTION,
            f"whole submission, class mean, {SANDBOXED} (wall)",
            wall / len(plain_totals),
            plain_mean,
            f"{PLAIN}, mean",
        ),
    ]
    for student, seconds in per_student(journal).items():
        lines.append(
            Line(
                SECTION,
                f"whole submission, {student}, {SANDBOXED} (its notebooks)",
                seconds,
                plain_totals[student],
                PLAIN,
            )
        )
    for (student, notebook), seconds in sorted(journal.items()):
        if student == "reference":
            lines.append(
                Line(
                    SECTION,
                    f"{notebook}, reference, {SANDBOXED}",
                    seconds,
                    plain[student, notebook].seconds,
                    PLAIN,
                )
            )
    plain_peak = max(run.peak_mib for run in plain.values())
    lines.append(
        Line(SECTION, f"peak memory, {SANDBOXED}", peak, plain_peak, PLAIN, unit="MiB")
    )
    return lines
