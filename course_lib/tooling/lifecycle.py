"""`course collect`, `course feedback` and `course export`: the steps of an
assignment's life around grading. `add_commands` registers them on the `course`
command's subparsers.

    course release                  notebooks for students (release/)
    course collect A DOWNLOADS...   their work into submitted/<student>/A/
    course autograde A              grades into gradebook.db
    course feedback A [--release]   feedback/<student>/A/*.html
    course export                   grades.csv
"""

import argparse
import csv
import logging
import sys
from pathlib import Path

from tqdm import tqdm

from . import build
from .collect import CollectError, collect

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED = 0, 1


class LifecycleError(Exception):
    """A step cannot be done as asked; the message says why and what to do."""


def progress(items, description):
    """A progress bar on stderr over `items` when a person watches a terminal;
    the items as they are otherwise (logs, pipes, CI)."""
    return tqdm(items, desc=description, unit="student", disable=None, leave=False)


def _root(args):
    root = Path(args.root).resolve()
    if not (root / "nbgrader_config.py").exists():
        raise LifecycleError(
            f"{root} is not a course folder (no nbgrader_config.py); run the command "
            f"in the course's folder or pass --root"
        )
    return root


# course collect


COLLECT_HELP = "gather downloaded submissions into submitted/<student>/<assignment>/"
COLLECT_EPILOG = """\
DOWNLOADS are folders and zip files, in any mix:
  downloads/alice/RNN_Captioning.ipynb    a folder per student (any depth inside)
  downloads/bob.zip                       a zip per student
  submissions.zip                         a zip of either, as an LMS exports it
  doejane_LATE_1234_5678_RNN_Captioning.ipynb
                                          Canvas's bulk download: student doejane

Each submission gets a timestamp.txt: the newest modification time of its
notebooks. Work already in submitted/ that is newer is never replaced unless you
pass --force. Notebooks that are not the assignment's, unreadable notebooks and
files that belong to no student are listed and left out.

Exit status: 0 when every student was collected without a problem, 1 when some
were refused or files were left out (the messages say which), 2 for a usage error.

Examples:
  course collect assignment3 ~/Downloads/submissions.zip
  course collect assignment3 downloads/ --dry-run
  course collect assignment3 late/alice.zip --force
"""


def cmd_collect(args):
    root = _root(args)
    try:
        report = collect(
            root,
            args.assignment,
            args.downloads,
            force=args.force,
            dry_run=args.dry_run,
            progress=lambda items: progress(items, "collecting"),
        )
    except CollectError as error:
        raise LifecycleError(str(error)) from None
    verb = "would collect" if args.dry_run else "collected"
    print(
        f"{verb} {len(report.collected)} submissions of {args.assignment} into "
        f"{root / 'submitted'}"
    )
    for student, reason in report.refused:
        print(f"refused {student}: {reason}", file=sys.stderr)
    for problem in report.problems:
        print(f"left out {problem}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


# course feedback


FEEDBACK_HELP = "write each student's feedback (HTML) from the autograded notebooks"
FEEDBACK_EPILOG = """\
Runs nbgrader generate_feedback for every student with an autograded submission
(or those you name) and writes feedback/<student>/<assignment>/*.html: the
student's notebook with the score of every test cell and the verdicts of its
checks, never the hidden tests' code. --release also copies the feedback to the
nbgrader exchange (nbgrader release_feedback), for courses that use one.

Exit status: 0 when every student's feedback was written, 1 otherwise (the
messages name the students and nbgrader's reason), 2 for a usage error.

Examples:
  course feedback assignment3
  course feedback assignment3 --student alice bob
  course feedback assignment3 --release
"""


def _api(root):
    """nbgrader's Python API over the course at `root`, with its nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def autograded_students(root, assignment):
    """Students with an autograded submission of `assignment`, sorted."""
    return sorted(p.parent.name for p in root.glob(f"autograded/*/{assignment}"))


def cmd_feedback(args):
    root = _root(args)
    students = args.student or autograded_students(root, args.assignment)
    if not students:
        raise LifecycleError(
            f"no autograded submission of {args.assignment} in {root / 'autograded'}; "
            f"grade it first: course autograde {args.assignment}"
        )
    api = _api(root)
    failed = []
    for student in progress(students, "feedback"):
        steps = [("generate_feedback", api.generate_feedback)]
        if args.release:
            steps.append(("release_feedback", api.release_feedback))
        for step, run in steps:
            result = run(args.assignment, student)
            if not result["success"]:
                reason = (result.get("error") or result.get("log") or "").strip()
                failed.append(f"{student}: nbgrader {step} failed:\n{reason}")
                break
            log.info("%s: %s done", student, step)
    done = len(students) - len(failed)
    print(f"feedback for {done} of {len(students)} students in {root / 'feedback'}")
    for message in failed:
        print(message, file=sys.stderr)
    return EXIT_OK if not failed else EXIT_FAILED


# course export


EXPORT_HELP = "write the gradebook to a CSV file (grades.csv), one row a submission"
EXPORT_EPILOG = """\
Runs nbgrader export. The columns are nbgrader's: assignment, duedate,
timestamp, student_id, last_name, first_name, email, raw_score,
late_submission_penalty, score, max_score. A student who submitted nothing has a
row with score 0. Each assignment is a row of its own, the extra-credit one too.
A summary (submissions and mean score per assignment) follows on the terminal.

Exit status: 0 when the file was written, 1 otherwise, 2 for a usage error.

Examples:
  course export
  course export --to exports/grades-week5.csv
  course export --assignment assignment3 --student alice bob
"""


def summarize(path):
    """Lines: per assignment, the number of rows and the mean score."""
    rows = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["assignment"], []).append(row)
    lines = []
    for assignment, found in sorted(rows.items()):
        scores = [float(r["score"] or 0) for r in found]
        max_score = float(found[0]["max_score"] or 0)
        mean = sum(scores) / len(scores)
        lines.append(
            f"{assignment}: {len(found)} students, mean {mean:.2f} / {max_score:g}"
        )
    return lines


def cmd_export(args):
    root = _root(args)
    target = Path(args.to).resolve() if args.to else root / "grades.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    command = ["export", f"--to={target}"]
    if args.assignment:
        command += ["--assignment", *args.assignment]
    if args.student:
        command += ["--student", *args.student]
    try:
        build.nbgrader(build.Course(root), *command)
    except build.BuildError as error:
        raise LifecycleError(str(error)) from None
    print(f"wrote {target}")
    for line in summarize(target):
        print(f"  {line}")
    return EXIT_OK


def add_commands(sub):
    """Add `collect`, `feedback` and `export` to the `course` command's subparsers."""

    def parser(name, text, epilog):
        return sub.add_parser(
            name,
            help=text,
            description=text,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    c = parser("collect", COLLECT_HELP, COLLECT_EPILOG)
    c.add_argument("assignment", help="the assignment, e.g. assignment3")
    c.add_argument("downloads", nargs="+", metavar="DOWNLOADS", help="folders, zips")
    c.add_argument(
        "--force", action="store_true", help="replace work in submitted/ even if newer"
    )
    c.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be collected, write nothing",
    )
    c.set_defaults(run=cmd_collect)

    f = parser("feedback", FEEDBACK_HELP, FEEDBACK_EPILOG)
    f.add_argument("assignment", help="the assignment, e.g. assignment3")
    f.add_argument("--student", nargs="+", metavar="S", help="only these students")
    f.add_argument(
        "--release",
        action="store_true",
        help="also copy the feedback to the nbgrader exchange (release_feedback)",
    )
    f.set_defaults(run=cmd_feedback)

    e = parser("export", EXPORT_HELP, EXPORT_EPILOG)
    e.add_argument("--to", metavar="PATH", help="the CSV file (default: grades.csv)")
    e.add_argument("--assignment", nargs="+", metavar="A", help="only these")
    e.add_argument("--student", nargs="+", metavar="S", help="only these students")
    e.set_defaults(run=cmd_export)
