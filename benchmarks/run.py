"""Run every benchmark of the kit in one run and write benchmarks/RESULTS.md.

    make bench                              # = the command below, one BLAS thread
    python benchmarks/run.py [--only layers training] [--skip clone] [--quick]

Figures, in the order they run: data loading, reference layers, captioning
training, student time of each notebook, autograding, and a fresh clone's
`make demo`. Each prints its lines as it finishes; the page is written at the end.
Every figure but the clone uses one data folder, created empty for the run
(COURSE_LIB_DATA): the data figure times its datasets' generation, the others
find them there.
"""

import argparse
import ctypes
import glob
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from bench import clone, data, grading, layers, notebooks, report, training

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")
FIGURES = {  # data first: its cold loads need the empty data folder
    "data": data,
    "layers": layers,
    "training": training,
    "notebooks": notebooks,
    "grading": grading,
    "clone": clone,
}


METHOD = [  # how the figures are measured, for the page
    "- Layers and training are timed in CPU seconds of this one-thread process",
    "  (time.process_time), medians of 7 repeats after a warm-up, each figure",
    "  alternating with its reference: on a shared machine that leaves out the time",
    "  other processes held the CPU. Notebooks, grading and the clone are timed in",
    "  wall seconds, as a student or a TA waits for them; the notebooks' budgets are",
    "  held against their kernels' CPU time for the same reason.",
    "- Peak memory is ru_maxrss of the waited command: the largest single process",
    "  (a notebook kernel as a rule), not the sum of a process tree.",
    "- One data folder (COURSE_LIB_DATA), empty at the start, serves the whole run;",
    "  the data figure generates the datasets in it, the later figures read them.",
]


@dataclass
class Context:
    """What every figure may read: settings of the run and earlier figures' results."""

    root: Path
    scratch: Path
    data_home: Path
    repeats: int
    quick: bool
    threads: str
    blas: str
    started: object = None
    finished: object = None
    load_before: str = ""
    load_after: str = ""
    student_seconds: dict = field(default_factory=dict)  # notebook -> seconds
    loads: list = field(default_factory=list)  # the load average as each figure began
    notes: list = field(default_factory=list)  # what figures add to the page


def blas_kernel():
    """NumPy's OpenBLAS build and the kernel it chose for this processor."""
    found = glob.glob(
        os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*")
    )
    try:
        lib = ctypes.CDLL(found[0])
        corename = lib.scipy_openblas_get_corename64_
        corename.restype = ctypes.c_char_p
        kernel = f"OpenBLAS kernel {corename().decode()}"
    except (IndexError, OSError, AttributeError):
        kernel = "BLAS kernel unknown"
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return kernel + (f" (forced by OPENBLAS_CORETYPE={forced})" if forced else "")


def threads():
    """The thread settings every figure runs with."""
    torch.set_num_threads(1)
    omp = os.environ.get("OMP_NUM_THREADS", "unset")
    return (
        f"OMP_NUM_THREADS={omp}, torch.get_num_threads()={torch.get_num_threads()}; "
        "notebook kernels and nbgrader inherit the same environment"
    )


def data_home(scratch):
    """An empty data folder for the run, set as COURSE_LIB_DATA for every process."""
    folder = scratch / "data"
    folder.mkdir()
    os.environ["COURSE_LIB_DATA"] = str(folder)
    return folder


def measure(name, context):
    """The lines of one figure; a figure that fails gives a pending line saying why,
    and the run goes on with the next."""
    try:
        return FIGURES[name].measure(context)
    except Exception as error:  # noqa: BLE001 (any failure is reported, not fatal)
        why = f"the figure failed: {type(error).__name__}: {error}"
        why = " ".join(why.split())[:600]
        return [
            report.Line(
                FIGURES[name].SECTION,
                f"{name}: not measured",
                None,
                None,
                "-",
                note=why,
            )
        ]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=FIGURES, help="run only these figures")
    p.add_argument("--skip", nargs="+", choices=FIGURES, default=[], help="leave out")
    p.add_argument(
        "--notes",
        type=Path,
        help="a file of lines for the page's notes (why a figure was left out, a "
        "figure measured apart), read when the page is written",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="one repeat, smallest workloads: checks the harness, not the kit",
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="page to write")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="course-bench-") as scratch:
        context = Context(
            root=ROOT,
            scratch=Path(scratch),
            data_home=data_home(Path(scratch)),
            repeats=1 if args.quick else 7,
            quick=args.quick,
            threads=threads(),
            blas=blas_kernel(),
            started=report.now(),
            load_before=report.load_average(),
        )
        lines = []
        for name in args.only or [f for f in FIGURES if f not in args.skip]:
            print(f"== {name}", flush=True)
            context.loads.append(f"- {name}: {report.load_average()}")
            found = measure(name, context)
            for row in report.table(found)[3:]:
                print(row, flush=True)
            lines += found
        for name in args.skip:
            why = "left out of this run with --skip; the notes say why"
            lines.append(
                report.Line(
                    FIGURES[name].SECTION,
                    f"{name}: not measured",
                    None,
                    None,
                    "-",
                    note=why,
                )
            )
        if args.notes:
            context.notes += args.notes.read_text().splitlines()
        context.finished = report.now()
        context.load_after = report.load_average()
    args.out.write_text(report.page(lines, context, METHOD))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
