"""The demo class graded end to end by nbgrader, in a scratch copy of the course."""

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_lib.tooling import build, demo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    for name in ("course.toml", "nbgrader_config.py", "pyproject.toml"):
        shutil.copy(ROOT / name, course / name)
    for folder in ("notebooks", "source", "release"):
        shutil.copytree(ROOT / folder, course / folder, ignore=build.IGNORED)
    for assignment in build.Course(course).assignments:
        build.generate_release(build.Course(course), assignment)  # fills gradebook.db
    demo.run(course)
    return course, demo.scores(build.Course(course))


@pytest.mark.slow
def test_reference_earns_every_autograded_point(graded):
    _, rows = graded
    for student, _, notebook, _, _, cells in rows:
        if student == "reference":
            lost = {name: s for name, (s, m) in cells.items() if s < m}
            assert lost == {}, notebook


@pytest.mark.slow
def test_blank_release_earns_nothing(graded):
    _, rows = graded
    for student, _, notebook, _, _, cells in rows:
        if student == "blank":
            assert cells and all(s == 0 for s, _ in cells.values()), notebook


@pytest.mark.slow
def test_buggy_loses_points_exactly_where_its_mistakes_are(graded):
    _, rows = graded
    for student, _, notebook, score, max_score, cells in rows:
        if student != "buggy":
            continue
        lost = {name for name, (s, m) in cells.items() if s < m}
        assert lost == demo.expected_losses(cells), notebook
        assert 0 < score < max_score


@pytest.mark.slow
def test_demo_writes_the_exports(graded):
    course, rows = graded
    with (course / "demo_scores.csv").open() as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["student", "assignment", "notebook", "score", "max_score"]
    assert len(table) == len(rows)
    with (course / "grades.csv").open() as f:
        assert {r["student_id"] for r in csv.DictReader(f)} >= set(demo.STUDENTS)
    assert any((course / "feedback" / "buggy").rglob("*.html"))


@pytest.mark.slow
def test_feedback_shows_verdicts_but_no_hidden_test_code(graded):
    course, _ = graded
    pages = [p.read_text() for p in (course / "feedback").rglob("*.html")]
    assert pages
    for page in pages:
        assert "HIDDEN TESTS" not in page and "course_lib.grading" not in page
    buggy = "".join(
        p.read_text() for p in (course / "feedback" / "buggy").rglob("*.html")
    )
    assert "FAIL" in buggy and "relative error" in buggy


HIDDEN_REPORT = re.compile(r"^.*: [\d.]+ / [\d.]+ points$", re.MULTILINE)


def _visible_lines(cell):
    """The stdout a test cell printed before its hidden tests' report began."""
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    match = HIDDEN_REPORT.search(text)
    return text[: match.start()] if match else text


def _validate(course, notebook):
    """{grade_id: error text} of the test cells `nbgrader validate` fails."""
    from nbgrader.validator import Validator
    from traitlets.config import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    failed = Validator(config=config).validate(str(notebook)).get("failed", [])
    ids = {
        c.source.strip(): c.metadata["nbgrader"]["grade_id"]
        for c in nbformat.read(notebook, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    return {ids[f["source"]]: f["raw_error"] for f in failed}


@pytest.mark.slow
def test_validate_gives_the_verdicts_the_autograder_prints(graded, tmp_path):
    """A student who runs `nbgrader validate` on the buggy submission is told of
    exactly the test cells whose visible checks fail under the autograder, with the
    autograder's own line."""
    course, _ = graded
    student = tmp_path / "buggy"
    shutil.copytree(course / "submitted" / "buggy", student)
    told = 0
    for notebook in sorted(student.glob("*/*.ipynb")):
        failed = _validate(course, notebook)
        autograded = course / "autograded" / "buggy" / notebook.parent.name / notebook.name
        for cell in nbformat.read(autograded, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade") or meta.get("solution"):
                continue
            visible = _visible_lines(cell)
            flagged = [line for line in visible.splitlines() if "<--" in line]
            raised = any(o.output_type == "error" for o in cell.outputs)
            grade_id = meta["grade_id"]
            assert (grade_id in failed) == bool(flagged or raised), (notebook.name, grade_id)
            if flagged:
                assert flagged[0] in failed[grade_id], (notebook.name, grade_id)
                told += 1
    assert told, "the buggy submission should fail some visible checks"
