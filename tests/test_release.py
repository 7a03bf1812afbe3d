"""The released artifacts: fresh, and free of reference code and hidden tests."""

from pathlib import Path

import pytest

from course_lib.tooling import build, exercises, template

ROOT = Path(__file__).resolve().parents[1]
COURSE = build.Course(ROOT)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def released_files():
    return [
        p
        for p in (ROOT / "release").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]


def released_text():
    return {p: p.read_text(errors="replace") for p in released_files()}


def _significant(line):
    line = line.strip()
    return len(line) >= 12 and not line.startswith("#")


def test_every_exercise_has_exactly_one_notebook_cell():
    assert build.check_exercises(COURSE) == []


def test_release_holds_no_nbgrader_markers():
    leaks = [
        f"{p}: {m}" for p, text in released_text().items() for m in MARKERS if m in text
    ]
    assert leaks == []


def test_release_holds_no_line_of_any_solution_region():
    """Every line inside a solution region that appears nowhere else in the library
    (provided code, docstrings) identifies reference code; none may be released."""
    regions, outside = set(), set()
    for ex in build.all_exercises():
        lines = ex.path.read_text().splitlines()
        regions.update(
            line.strip()
            for line in lines[ex.begin_line : ex.end_line - 1]
            if _significant(line)
        )
    for module in build.library_modules():
        path = exercises.module_path(module)
        inside = set()
        for ex in exercises.exercises_in(module):
            inside.update(range(ex.begin_line, ex.end_line + 1))
        lines = path.read_text().splitlines()
        outside.update(
            line.strip() for i, line in enumerate(lines, 1) if i not in inside
        )
    identifying = regions - outside
    assert len(identifying) > 20  # the scan sees the reference code it guards
    leaks = [
        f"{path.relative_to(ROOT)}: {line}"
        for path, text in released_text().items()
        for line in identifying
        if line in text
    ]
    assert leaks == []


def test_release_holds_no_line_of_any_hidden_test():
    hidden = set()
    for assignment in COURSE.assignments:
        for path in COURSE.templates(assignment):
            for cell in template.parse(path.read_text(), path):
                if "### BEGIN HIDDEN TESTS" in cell.source:
                    body = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1]
                    body = body.split("### END HIDDEN TESTS", 1)[0]
                    hidden.update(
                        line.strip() for line in body.splitlines() if _significant(line)
                    )
    assert hidden
    leaks = [
        f"{p}: {line}"
        for p, text in released_text().items()
        for line in hidden
        if line in text
    ]
    assert leaks == []


def test_student_library_leaves_out_the_grader_and_the_tooling():
    package = ROOT / "release" / "course_lib" / "course_lib"
    assert (package / "rnn_layers.py").exists()
    for private in build.PRIVATE_PACKAGES:
        assert not (package / private).exists()


@pytest.mark.slow
def test_source_and_release_are_what_a_fresh_build_makes():
    stale = build.stale_files(COURSE)
    assert stale == [], "run `course release` and commit: " + ", ".join(stale)


def test_notebook_code_fits_a_narrow_pane():
    """Code cells stay within 79 columns, to read well in a narrow Colab pane
    (a line that is one unbreakable string, such as an address, is let through)."""
    import nbformat

    def too_wide(line):
        text = line.strip()
        unbreakable = text.startswith('"') and text.endswith('"') and " " not in text
        return len(line) > 79 and not unbreakable

    wide = []
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            if cell.cell_type == "code":
                wide += [
                    f"{path.name}: {x}" for x in cell.source.splitlines() if too_wide(x)
                ]
    assert wide == []
