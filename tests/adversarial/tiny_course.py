"""A tiny nbgrader course for grading tests: one assignment, `tiny`, of one
notebook, `Tiny.ipynb`, with two exercises and three test cells, released with the
course's own nbgrader settings. It grades in a few seconds, so hostile submissions
can be tried by the dozen."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib.tooling import build

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "tiny"
NOTEBOOK = "Tiny.ipynb"
POINTS = {"test_square": 2.0, "test_cube": 1.0, "test_secret": 1.0}
# The reference answers; the release replaces what is between the markers.
SQUARE = (
    "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
)
CUBE = (
    "def cube(x):\n    ### BEGIN SOLUTION\n    return x * x * x\n    ### END SOLUTION"
)
# Hidden tests: never in the release, only in the gradebook.
HIDDEN_SECRET = "HIDDEN-TEST-MARKER-7f3a"
MAX_SCORE = sum(POINTS.values())


def _meta(grade_id, **flags):
    meta = {"schema_version": 3, "grade_id": grade_id, "locked": False}
    meta.update(solution=False, grade=False)
    meta.update(flags)
    return {"nbgrader": meta}


def source_notebook():
    test = lambda name, source: new_code_cell(  # noqa: E731
        source,
        metadata=_meta(name, grade=True, locked=True, points=POINTS[name]),
    )
    cells = [
        new_markdown_cell("# Tiny", metadata=_meta("intro", locked=True)),
        new_code_cell("import numpy as np", metadata=_meta("setup", locked=True)),
        new_code_cell(SQUARE, metadata=_meta("code_square", solution=True)),
        test(
            "test_square",
            "assert square(3) == 9\n### BEGIN HIDDEN TESTS\n"
            "assert np.allclose(square(np.arange(5.0)), np.arange(5.0) ** 2)\n"
            "### END HIDDEN TESTS",
        ),
        new_code_cell(CUBE, metadata=_meta("code_cube", solution=True)),
        test("test_cube", "assert cube(2) == 8"),
        test(
            "test_secret",
            "### BEGIN HIDDEN TESTS\n"
            f"# {HIDDEN_SECRET}\n"
            "from course_lib.grading.core import rel_error\n"
            "assert rel_error(cube(np.arange(3.0)), [0.0, 1.0, 8.0]) < 1e-12\n"
            "### END HIDDEN TESTS",
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def make_course(target, cell_timeout=5):
    """Write and release the tiny course at `target` with the course's nbgrader
    settings, cells interrupted after `cell_timeout` seconds; return its root."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    config = (ROOT / "nbgrader_config.py").read_text()
    config += f"\nc.Execute.timeout = {cell_timeout}\n"
    (target / "nbgrader_config.py").write_text(config)
    folder = target / "source" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(source_notebook(), folder / NOTEBOOK)
    (folder / "helper.py").write_text("REFERENCE_ONLY = 'source helper'\n")
    build.generate_release(build.Course(target), ASSIGNMENT)
    return target


def solved(course):
    """The released notebook with the reference answers written in."""
    nb = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "code_square":
            cell.source = "def square(x):\n    return x * x"
        elif grade_id == "code_cube":
            cell.source = "def cube(x):\n    return x * x * x"
    return nb


def submit(course, student, nb=None, files=None):
    """Write submitted/<student>/tiny/ with `nb` (default: solved) and `files`."""
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    if nb is not None or files is None:
        nbformat.write(nb if nb is not None else solved(course), folder / NOTEBOOK)
    for name, content in (files or {}).items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder
