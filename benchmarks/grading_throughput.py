"""Grading throughput: plain `nbgrader autograde` against `course autograde` with one
and two workers, on the same class, in one run.

    .venv/bin/python benchmarks/grading_throughput.py [--students 20]
        [--notebook Network_Visualization.ipynb]
        [--out benchmarks/grading_throughput.md]

The class is made of copies of the demo's submissions of one notebook: half the
students hand in the reference solution, half the demo's buggy one (demo.MISTAKES),
so every submission runs the whole notebook as a real one does. Each method grades
its own copy of a released scratch course, one after the other; the datasets are
built before the first. The report gives submissions per minute, the speed-up over
plain nbgrader, whether the three methods agree on every score, and the machine,
date, versions and load it ran with.
"""

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_lib.tooling import batch, build, demo  # noqa: E402

ASSIGNMENT = "assignment3"


def submit_class(course, notebook, students):
    """`students` submissions of `notebook`: even ones the reference, odd ones buggy."""
    source = nbformat.read(course / "source" / ASSIGNMENT / notebook, 4)
    release = nbformat.read(course / "release" / ASSIGNMENT / notebook, 4)
    mistakes = [m for m in demo.MISTAKES if m.notebook == notebook]
    buggy = demo.plant(source, nbformat.from_dict(release), mistakes)
    names = []
    for i in range(students):
        name = f"{'reference' if i % 2 == 0 else 'buggy'}{i:02d}"
        folder = course / "submitted" / name / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(source if i % 2 == 0 else buggy, folder / notebook)
        names.append(name)
    return names


def scores(course, notebook, students):
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            try:
                nb = gb.find_submission_notebook(
                    Path(notebook).stem, ASSIGNMENT, student
                )
                found[student] = round(float(nb.score), 6)
            except MissingEntry:
                found[student] = None
    return found


def grade_plain(course, notebook):
    build.nbgrader(build.Course(course), "autograde", ASSIGNMENT)


def grade_batch(course, notebook, workers):
    options = batch.Options(workers=workers, notebooks=(notebook,), prepare_data=False)
    outcomes = batch.run(course, ASSIGNMENT, options, progress=lambda line: None)
    failed = [o for o in outcomes if o.status != "graded"]
    if failed:
        raise RuntimeError(f"not graded: {failed}")


def timed(label, grade, course, *args):
    load = os.getloadavg()[0]
    print(f"{label} ...", flush=True)
    start = time.monotonic()
    grade(course, *args)
    seconds = time.monotonic() - start
    print(f"{label}: {seconds:.0f} s", flush=True)
    return seconds, load


def versions():
    import dask
    import nbgrader
    import numpy
    import torch

    bwrap = subprocess.run(["bwrap", "--version"], capture_output=True, text=True)
    return {
        "Python": platform.python_version(),
        "nbgrader": nbgrader.__version__,
        "dask": dask.__version__,
        "PyTorch": torch.__version__,
        "NumPy": numpy.__version__,
        "bubblewrap": bwrap.stdout.strip().split()[-1]
        if bwrap.returncode == 0
        else "-",
    }


def machine():
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} cores ({model}), {memory:.0f} GiB"


def write_report(path, notebook, students, runs, agree):
    plain = runs[0][2]
    lines = [
        "# Grading throughput",
        "",
        "Written by `benchmarks/grading_throughput.py`. The class: "
        f"{students} submissions of `{notebook}` (assignment3), half the reference "
        "solution and half the demo's buggy one, each run in full. Each method "
        "grades its own released copy of the course, one after the other.",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        "- kernels: one BLAS/PyTorch thread each (nbgrader_config.py)",
        f"- every method gave every student the same score: {'yes' if agree else 'NO'}",
        "",
        "| method | workers | sandbox | seconds | submissions / minute | vs nbgrader "
        "| load average at start |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, workers, seconds, load, boxed in runs:
        lines.append(
            f"| {label} | {workers} | {boxed} | {seconds:.0f} | "
            f"{students * 60 / seconds:.2f} | {plain / seconds:.2f}x | {load:.1f} |"
        )
    fastest = min(runs[1:], key=lambda run: run[2])
    verdict = (
        f"with {fastest[1]} workers it grades {plain / fastest[2]:.2f}x as fast"
        if fastest[2] < plain
        else "it does not overtake it here"
    )
    lines += [
        "",
        "The machine is shared: the load average says how busy it was when each "
        "method started. `course autograde` pays for isolation on every notebook "
        "(a scratch course, a fresh nbgrader process, a sandboxed kernel): with one "
        f"worker it takes {runs[1][2] / plain:.2f}x plain nbgrader's time; {verdict}.",
    ]
    Path(path).write_text("\n".join(lines) + "\n")
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=20)
    p.add_argument("--notebook", default="Network_Visualization.ipynb")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "grading_throughput.md"))
    args = p.parse_args(argv)

    batch.prepare_datasets()
    with tempfile.TemporaryDirectory(prefix="grading-throughput-") as scratch:
        base = build.released_copy(ROOT, Path(scratch) / "base", [ASSIGNMENT]).root
        students = submit_class(base, args.notebook, args.students)
        methods = [
            ("nbgrader autograde", 1, "no", grade_plain, ()),
            ("course autograde", 1, "yes", grade_batch, (1,)),
            ("course autograde", 2, "yes", grade_batch, (2,)),
        ]
        runs, results = [], []
        for i, (label, workers, boxed, grade, extra) in enumerate(methods):
            course = Path(scratch) / f"run{i}"
            shutil.copytree(base, course)
            seconds, load = timed(
                f"{label} ({workers} workers)", grade, course, args.notebook, *extra
            )
            runs.append((label, workers, seconds, load, boxed))
            results.append(scores(course, args.notebook, students))
        agree = (
            all(r == results[0] for r in results) and None not in results[0].values()
        )
    path = write_report(args.out, args.notebook, args.students, runs, agree)
    print(Path(path).read_text())
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
