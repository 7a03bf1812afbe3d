"""A TA's look at the gradebook through nbgrader's formgrader, in a real browser.

A scratch course of one notebook (the network visualization, the quickest to
grade) gets the demo's three submissions (reference, blank, buggy), autograded by
nbgrader; JupyterLab serves the course, and the TA opens the formgrader from
JupyterLab's Nbgrader menu: the assignment lists three submissions, and the
students' page shows each score that the gradebook holds.
"""

import shutil

import pytest
from e2e_support import KIT, expect, jupyter_lab

from course_lib.tooling import build, demo

pytestmark = pytest.mark.slow

ASSIGNMENT = "assignment3"
NOTEBOOK = "Network_Visualization.ipynb"


@pytest.fixture(scope="module")
def course(tmp_path_factory, browser):
    """A course folder with the demo's submissions autograded; returns the folder
    and each student's (score, max_score)."""
    root = tmp_path_factory.mktemp("course")
    for name in ("course.toml", "nbgrader_config.py"):
        shutil.copy(KIT / name, root / name)
    # The one notebook only: generating and grading the others would take minutes.
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(KIT / "source" / ASSIGNMENT / NOTEBOOK, root / "source" / ASSIGNMENT)
    course = build.Course(root)
    build.generate_release(course, ASSIGNMENT)
    demo.make_submissions(course, ASSIGNMENT)
    build.nbgrader(course, "autograde", ASSIGNMENT, "--force")
    return root, gradebook_totals(root)


def gradebook_totals(root):
    """Each demo student's (score, max_score) over the assignment, from the
    gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {
            student: (submission.score, submission.max_score)
            for student in demo.STUDENTS
            for submission in [gb.find_submission(ASSIGNMENT, student)]
        }


def test_a_ta_sees_the_gradebook_in_the_formgrader(
    course, page, artifacts, tmp_path
):
    root, totals = course
    assert totals["reference"][0] > totals["buggy"][0] > totals["blank"][0] == 0
    with jupyter_lab(root, tmp_path) as url:
        page.goto(f"{url}lab?reset")
        page.get_by_text("Nbgrader", exact=True).click()
        page.get_by_text("Formgrader", exact=True).click()
        formgrader = page.frame_locator("iframe")

        row = formgrader.locator("tr", has_text=ASSIGNMENT).first
        submissions = row.locator("a[href*='manage_submissions']")
        expect(submissions).to_have_text(str(len(demo.STUDENTS)))

        formgrader.get_by_text("Manage Students").click()
        for student, (score, max_score) in totals.items():
            row = formgrader.locator("tr", has_text=student).first
            expect(row).to_contain_text(f"{round(score, 2):g} / {max_score:g}")
        page.screenshot(path=artifacts / "formgrader.png")
