"""`course`: the command line of the kit for instructors and TAs.

course build      render source notebooks and the student library from course_lib
course release    build, then generate the student notebooks with nbgrader
course check      fail if source/ or release/ differ from what a build makes
course demo       release, grade three sample submissions, print the gradebook
course mutants    grade planted mistakes and correct alternatives (mutation testing)
course autograde  grade a class: sandboxed, in parallel, resumable (see autograde_cli.py)
course report     the TA report of an assignment's batches
course collect    gather downloaded submissions into submitted/ (see lifecycle.py)
course feedback   write each student's feedback HTML
course export     write the gradebook to grades.csv

Exit status, for scripts: 0 the command did what it was asked; 1 it ran into a
problem that its message explains (a stale release, a failed grading, a submission
refused); 2 the command line itself was wrong; 130 interrupted (Ctrl-C).
"""

import argparse
import logging
import sys
from pathlib import Path

from . import autograde_cli, batch, build, demo, lifecycle, mutants
from .exercises import ExerciseError
from .template import TemplateError

log = logging.getLogger("course")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _root(path):
    root = Path(path).resolve()
    if not (root / "course.toml").exists():
        raise build.BuildError(
            f"{root} is not a course folder (no course.toml); run the command in the "
            f"kit's folder or pass --root"
        )
    return root


def cmd_build(args):
    course = build.Course(_root(args.root))
    problems = build.check_exercises(course)
    if problems:
        raise build.BuildError(
            "exercises and notebooks disagree:\n  " + "\n  ".join(problems)
        )
    for path in build.build_sources(course):
        log.info("wrote %s", path.relative_to(course.root))
    target = build.build_student_lib(course)
    log.info("wrote the student library in %s", target.relative_to(course.root))
    return EXIT_OK


def cmd_release(args):
    cmd_build(args)
    course = build.Course(_root(args.root))
    for assignment in course.assignments:
        build.generate_release(course, assignment)
        log.info("released %s", assignment)
    return EXIT_OK


def cmd_check(args):
    course = build.Course(_root(args.root))
    stale = build.stale_files(course)
    if stale:
        print("These generated files are out of date; run `course release` and commit:")
        for path in stale:
            print(f"  {path}")
        return EXIT_FAILED
    print("source/ and release/ match course_lib and the templates.")
    return EXIT_OK


def cmd_demo(args):
    cmd_release(args)
    return demo.run(_root(args.root))


def cmd_mutants(args):
    _, code = mutants.run(
        _root(args.root),
        only=args.only or (),
        notebook=args.notebook,
        fast=args.fast,
        report=args.report,
        catalog_path=args.catalog,
        keep=args.keep,
        jobs=args.jobs,
    )
    return EXIT_OK if code == 0 else EXIT_FAILED


LIFECYCLE = """\
An assignment's life, one command a step (`course COMMAND --help` for each):
  course release                          notebooks for students, in release/
  course collect assignment3 downloads/   their work into submitted/
  course autograde assignment3            grades into gradebook.db
  course feedback assignment3             feedback/<student>/assignment3/*.html
  course export                           grades.csv
  course report assignment3               what the TA should look at

Exit status: 0 done; 1 a problem the message explains; 2 a usage error;
130 interrupted.
"""

EXAMPLES = {
    "build": "Examples:\n  course build\n  course --root ~/course -v build",
    "release": "Examples:\n  course release\n  course -v release",
    "check": "Exit status 1 when a file is stale.\n\nExamples:\n  course check",
    "demo": "Examples:\n  course demo\n  course --root /tmp/kit demo",
    "mutants": "Examples:\n  course mutants --fast\n"
    "  course mutants --notebook RNN_Captioning.ipynb --jobs 2",
}


def parser():
    p = argparse.ArgumentParser(
        prog="course",
        description="Build, release and grade the course's notebooks.",
        epilog=LIFECYCLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--root", default=".", help="the course folder (default: here)")
    p.add_argument("-v", "--verbose", action="store_true", help="log each step")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, fn, text in [
        ("build", cmd_build, "render source notebooks and the student library"),
        ("release", cmd_release, "build, then run nbgrader generate_assignment"),
        ("check", cmd_check, "exit 1 if source/ or release/ is stale"),
        (
            "demo",
            cmd_demo,
            "release, grade three sample submissions, print the gradebook",
        ),
    ]:
        sub.add_parser(
            name, help=text, description=text, epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        ).set_defaults(run=fn)  # fmt: skip
    text = "grade the catalog of planted mistakes and correct alternatives"
    m = sub.add_parser(
        "mutants",
        epilog=EXAMPLES["mutants"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help=text,
        description=text + " (course_lib/tooling/mutants.toml); exit 1 unless every "
        "mutant is killed in its own cells and every alternative earns full marks",
    )
    m.add_argument("--only", nargs="+", metavar="NAME", help="only these entries")
    m.add_argument("--notebook", metavar="FILE", help="only entries of this notebook")
    m.add_argument(
        "--fast",
        action="store_true",
        help="grade in-process instead of through nbgrader (no training cells)",
    )
    m.add_argument(
        "--report",
        metavar="PATH",
        help="where to write the report (default reports/mutants.md, "
        "reports/mutants-fast.md with --fast)",
    )
    m.add_argument(
        "--catalog",
        default=mutants.CATALOG,
        metavar="PATH",
        help="the catalog (default: course_lib/tooling/mutants.toml)",
    )
    m.add_argument(
        "--keep",
        metavar="DIR",
        help="build the scratch course in DIR and keep it (nbgrader path)",
    )
    m.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="grade through N nbgrader processes side by side (default 1)",
    )
    m.set_defaults(run=cmd_mutants)
    autograde_cli.add_commands(sub)
    lifecycle.add_commands(sub)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(message)s",
    )
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"course {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (
        build.BuildError, ExerciseError, TemplateError, batch.BatchError,
        lifecycle.LifecycleError,
    ) as error:
        print(f"course {args.command}: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
