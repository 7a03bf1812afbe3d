"""The demo class graded end to end by nbgrader, in a scratch copy of the course."""

import csv
import shutil
from pathlib import Path

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
