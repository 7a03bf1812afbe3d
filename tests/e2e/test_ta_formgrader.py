"""A TA's look at the gradebook through nbgrader's formgrader, in a real browser.

A scratch course of one notebook (the network visualization, the quickest to
grade) gets the demo's reference submission, autograded by nbgrader; JupyterLab
serves the course, and the TA opens the formgrader from JupyterLab's Nbgrader menu:
the assignment lists one submission, and the student's page shows the score that
the gradebook holds.
"""

import shutil

import pytest
from e2e_support import KIT, expect, jupyter_lab

from course_lib.tooling import build

pytestmark = pytest.mark.slow

ASSIGNMENT = "assignment3"
NOTEBOOK = "Network_Visualization.ipynb"
STUDENT = "reference"


@pytest.fixture(scope="module")
def course(tmp_path_factory, browser):
    """A course folder with one autograded submission; returns the folder and the
    student's (score, max_score)."""
    root = tmp_path_factory.mktemp("course")
    for name in ("course.toml", "nbgrader_config.py"):
        shutil.copy(KIT / name, root / name)
    # The one notebook only: generating and grading the others would take minutes.
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(KIT / "source" / ASSIGNMENT / NOTEBOOK, root / "source" / ASSIGNMENT)
    course = build.Course(root)
    build.generate_release(course, ASSIGNMENT)
    submission = root / "submitted" / STUDENT / ASSIGNMENT
    submission.mkdir(parents=True)
    shutil.copy(root / "source" / ASSIGNMENT / NOTEBOOK, submission / NOTEBOOK)
    build.nbgrader(course, "autograde", ASSIGNMENT, "--student", STUDENT, "--force")
    return root, gradebook_total(root)


def gradebook_total(root):
    """The student's (score, max_score) over the assignment, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, STUDENT)
        return submission.score, submission.max_score


def test_a_ta_sees_the_gradebook_in_the_formgrader(
    course, page, artifacts, tmp_path
):
    root, (score, max_score) = course
    assert score > 0
    with jupyter_lab(root, tmp_path) as url:
        page.goto(f"{url}lab?reset")
        page.get_by_text("Nbgrader", exact=True).click()
        page.get_by_text("Formgrader", exact=True).click()
        formgrader = page.frame_locator("iframe")

        row = formgrader.locator("tr", has_text=ASSIGNMENT).first
        submissions = row.locator("a[href*='manage_submissions']")
        expect(submissions).to_have_text("1")

        formgrader.get_by_text("Manage Students").click()
        student = formgrader.locator("tr", has_text=STUDENT).first
        expect(student).to_contain_text(f"{round(score, 2):g} / {max_score:g}")
        page.screenshot(path=artifacts / "formgrader.png")
