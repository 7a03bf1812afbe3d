"""`course feedback` and `course export` on a small nbgrader course of one notebook:
two students autograded, their feedback written, the gradebook exported."""

import csv

import nbformat
import pytest

from course_lib.tooling import build, cli

pytestmark = pytest.mark.slow

A = "hw"


def homework():
    """A notebook with one exercise and its one-point test."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    answer = nbformat.v4.new_code_cell(
        "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
    )
    answer.metadata["nbgrader"] = dict(
        grade=False, grade_id="answer", locked=False, schema_version=3, solution=True
    )
    test = nbformat.v4.new_code_cell("assert square(3) == 9")
    test.metadata["nbgrader"] = dict(
        grade=True, grade_id="test", locked=True, points=1, schema_version=3,
        solution=False,
    )  # fmt: skip
    nb.cells = [answer, test]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """alice solved the exercise, bob handed in the release untouched."""
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'small'\n"
    )
    (root / "source" / A).mkdir(parents=True)
    nbformat.write(homework(), root / "source" / A / "hw.ipynb")
    course = build.Course(root)
    build.nbgrader(course, "generate_assignment", A, "--force")
    for student, source in [("alice", "source"), ("bob", "release")]:
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        (folder / "hw.ipynb").write_bytes((root / source / A / "hw.ipynb").read_bytes())
    build.nbgrader(course, "autograde", A, "--force")
    return root


def test_feedback_for_every_autograded_student(course, capsys):
    assert cli.main(["--root", str(course), "feedback", A]) == cli.EXIT_OK
    assert "feedback for 2 of 2 students" in capsys.readouterr().out
    for student in ("alice", "bob"):
        html = (course / "feedback" / student / A / "hw.html").read_text()
        assert "square" in html


def test_feedback_before_grading_says_to_grade_first(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert cli.main(["--root", str(tmp_path), "feedback", A]) == cli.EXIT_FAILED
    assert f"course autograde {A}" in capsys.readouterr().err


def test_export_writes_grades_and_summarizes_them(course, tmp_path, capsys):
    target = tmp_path / "out" / "grades.csv"
    assert cli.main(["--root", str(course), "export", "--to", str(target)]) == 0
    with open(target, newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(rows["alice"]["score"]) == 1.0
    assert float(rows["bob"]["score"]) == 0.0
    assert f"{A}: 2 students, mean 0.50 / 1" in capsys.readouterr().out
