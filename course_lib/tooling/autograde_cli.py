"""`course autograde` and `course report`: grade a class safely, then read the
report. The commands are registered on the `course` parser by `add_commands`."""

import argparse
import sys

from . import batch, sandbox, ta_report

AUTOGRADE_HELP = "grade every submission of an assignment, sandboxed and in parallel"
AUTOGRADE_EPILOG = """\
Each notebook is graded by nbgrader in a scratch course of its own, its kernel in a
bubblewrap sandbox (no network; bounded CPU, memory, processes, files and output;
an unprivileged user; no view of source/, the gradebook or other students). One
process writes the course's gradebook. An interrupted batch, started again, grades
only what is missing. The report is in batches/ASSIGNMENT/report.csv.

Examples:
  course autograde assignment3 --workers 2
  course autograde assignment3 --student alice bob
  course autograde assignment3 --dask local --workers 4
  course autograde assignment3 --dask tcp://10.0.0.5:8786
  course autograde assignment3 --db-url postgresql+psycopg://grader@db/course
"""
# Problems with the submissions themselves; anything else is the grader's.
NOT_GRADED = {"killed", "timeout", "unreadable", "failed"}


def add_commands(sub):
    """Add `autograde` and `report` to the `course` command's subparsers."""
    a = sub.add_parser(
        "autograde",
        help=AUTOGRADE_HELP,
        description=AUTOGRADE_HELP,
        epilog=AUTOGRADE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("assignment", help="the assignment to grade, e.g. assignment3")
    a.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="notebooks graded at once (default 1; one per core is a good choice)",
    )
    a.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on Dask: `local` starts a cluster of N worker processes here; "
        "a scheduler address (tcp://host:8786) uses its workers, which need this "
        "kit installed",
    )
    a.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run students' code without the sandbox, as you; only for "
        "submissions you trust",
    )
    a.add_argument(
        "--db-url",
        metavar="URL",
        help="the gradebook (default: nbgrader's, from nbgrader_config.py), e.g. "
        "postgresql+psycopg://user@host/course",
    )
    a.add_argument("--student", nargs="+", metavar="S", help="only these students")
    a.add_argument(
        "--notebook",
        nargs="+",
        metavar="FILE",
        help="only these notebooks, e.g. RNN_Captioning.ipynb",
    )
    defaults = sandbox.Limits()
    a.add_argument(
        "--cpu-seconds",
        type=int,
        default=defaults.cpu_seconds,
        metavar="S",
        help="CPU seconds a notebook's kernel may use "
        f"(default {defaults.cpu_seconds})",
    )
    a.add_argument(
        "--memory-mib",
        type=int,
        default=defaults.memory_mib,
        metavar="MIB",
        help=f"address space of each kernel process (default {defaults.memory_mib})",
    )
    a.add_argument(
        "--wall-seconds",
        type=int,
        default=defaults.wall_seconds,
        metavar="S",
        help=f"time to grade one notebook (default {defaults.wall_seconds})",
    )
    a.set_defaults(run=cmd_autograde)

    text = "print the TA report of an assignment's batches and write it as CSV"
    r = sub.add_parser("report", help=text, description=text)
    r.add_argument("assignment", help="the assignment, e.g. assignment3")
    r.add_argument("--db-url", metavar="URL", help="the gradebook, as for autograde")
    r.set_defaults(run=cmd_report)


def _options(args):
    limits = sandbox.Limits(
        cpu_seconds=args.cpu_seconds,
        memory_mib=args.memory_mib,
        wall_seconds=args.wall_seconds,
    )
    return batch.Options(
        workers=args.workers,
        dask=args.dask or "",
        sandboxed=not args.no_sandbox,
        db_url=args.db_url or "",
        students=tuple(args.student or ()),
        notebooks=tuple(args.notebook or ()),
        limits=limits,
    )


def cmd_autograde(args):
    if args.workers < 1:
        raise batch.BatchError("--workers must be 1 or more")
    if args.no_sandbox:
        print("Grading WITHOUT a sandbox: students' code runs as you.", file=sys.stderr)
    outcomes = batch.run(args.root, args.assignment, _options(args))
    course = batch.Course.load(args.root, args.assignment, args.db_url or "")
    print()
    ta_report.report(course.root, args.assignment, course.db_url, course.course_id)
    return 1 if any(o.status in NOT_GRADED for o in outcomes) else 0


def cmd_report(args):
    course = batch.Course.load(args.root, args.assignment, args.db_url or "")
    ta_report.report(course.root, args.assignment, course.db_url, course.course_id)
    return 0
