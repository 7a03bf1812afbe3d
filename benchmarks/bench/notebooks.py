"""Student time: each released notebook run top to bottom with the reference code.

The release is copied to a scratch folder and every solution cell is filled with
the reference solution, as `course demo` does for its `reference` student; the
notebooks then run with nbclient in their assignment folder, kernel start-up
included, on the CPU, with the data already generated (the data figure times
that). Each is held against the time its notebook was given when it was written.

The figure held against the budget is the kernel's CPU time: with one thread, what
the run takes on a core of its own, as on a student's laptop (where more threads
only make it faster). The wall time on this shared machine is shown beside it.
"""

import resource
import shutil
import time

import nbformat
from nbclient import NotebookClient

from course_lib.tooling import build, demo

from .report import Line

SECTION = "Student time: a notebook run top to bottom, reference solutions"
BUDGETS = {  # notebook -> the seconds it may take a student's CPU
    "RNN_Captioning.ipynb": 120,
    "Transformer_Captioning.ipynb": 180,
    "Network_Visualization.ipynb": 180,
    "Generative_Adversarial_Networks.ipynb": 600,
    "LSTM_Captioning.ipynb": 120,
}
CELL_TIMEOUT = 900  # seconds
QUICK = "RNN_Captioning.ipynb"  # the one notebook a --quick run executes


def measure(context):
    release = solved_release(context.root, context.scratch / "student")
    lines = []
    for assignment in build.Course(context.root).assignments:
        for path in sorted((release / assignment).glob("*.ipynb")):
            if context.quick and path.name != QUICK:
                continue
            wall, cpu = run_notebook(path)
            context.student_seconds[path.name] = wall
            budget = BUDGETS.get(path.name)
            target = f"<= {budget // 60} min" if budget else ""
            lines += [
                Line(
                    SECTION,
                    f"{path.name}, kernel CPU time",
                    cpu,
                    budget,
                    "its budget",
                    1.0,
                    target,
                ),
                Line(SECTION, f"{path.name}, wall time", wall, budget, "its budget"),
            ]
    return lines


def solved_release(root, target):
    """A copy of release/ whose notebooks hold the reference solutions."""
    release = target / "release"
    shutil.copytree(root / "release", release, ignore=build.IGNORED)
    for notebook in release.glob("*/*.ipynb"):
        source = root / "source" / notebook.parent.name / notebook.name
        solved = demo.plant(nbformat.read(source, 4), nbformat.read(notebook, 4), [])
        nbformat.write(solved, notebook)
    return release


def children_cpu_seconds():
    """User + system seconds of every finished child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_notebook(path):
    """Wall seconds and the kernel's CPU seconds to execute the notebook at `path`
    in its own folder (the kernel is a child process, waited for at its end)."""
    nb = nbformat.read(path, 4)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(path.parent)}}
    )
    cpu_before, started = children_cpu_seconds(), time.perf_counter()
    client.execute()
    return time.perf_counter() - started, children_cpu_seconds() - cpu_before
