"""The course's gradebook seen by a batch: one writer, through nbgrader's API.

SQLite allows one writer at a time, and nbgrader opens its gradebook per command,
so graders running side by side on one gradebook.db corrupt or lose grades. A batch
therefore grades every notebook against a scratch gradebook of its own
(`scratch_gradebook`: the assignment's cells, no student), and one process, the
coordinator, writes what each job found into the course's gradebook
(`record_graded`, `record_not_graded`). The course's gradebook may be SQLite or any
database nbgrader accepts as `db_url` (PostgreSQL for a large class).
"""

import os
import sys
import tempfile
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

NOT_GRADED = "Not graded automatically: {}. A TA must grade this notebook."


def scratch_gradebook(db_url, assignment, course_id):
    """The bytes of a SQLite gradebook holding `assignment` alone: its notebooks and
    cells (hidden tests included, with their checksums), no student, no grade."""
    _tools_on_path()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gradebook.db"
        with (
            Gradebook(db_url, course_id) as source,
            Gradebook(f"sqlite:///{path}", course_id) as copy,
        ):
            _copy_assignment(source.find_assignment(assignment), copy)
        return path.read_bytes()


def _tools_on_path():
    """nbgrader runs alembic by name to create a gradebook: put the environment's
    scripts first on PATH, as when the environment is activated."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])


def _copy_assignment(assignment, gb):
    name = assignment.name
    gb.update_or_create_assignment(name, duedate=assignment.duedate)
    for nb in assignment.notebooks:
        gb.update_or_create_notebook(nb.name, name, kernelspec=nb.kernelspec)
        for cell in nb.grade_cells:
            gb.update_or_create_grade_cell(
                cell.name,
                nb.name,
                name,
                max_score=cell.max_score,
                cell_type=cell.cell_type,
            )
        for cell in nb.solution_cells:
            gb.update_or_create_solution_cell(cell.name, nb.name, name)
        for cell in nb.task_cells:
            gb.update_or_create_task_cell(
                cell.name,
                nb.name,
                name,
                max_score=cell.max_score,
                cell_type=cell.cell_type,
            )
        for cell in nb.source_cells:
            gb.update_or_create_source_cell(
                cell.name,
                nb.name,
                name,
                cell_type=cell.cell_type,
                locked=cell.locked,
                source=cell.source,
                checksum=cell.checksum,
            )


def notebook_names(db_url, assignment, course_id):
    """The file names of the assignment's notebooks, as the gradebook knows them."""
    with Gradebook(db_url, course_id) as gb:
        return sorted(
            f"{nb.name}.ipynb" for nb in gb.find_assignment(assignment).notebooks
        )


def _submission_notebook(gb, assignment, student, notebook, timestamp):
    """The student's notebook in the gradebook, with student and submission made if
    they are new; the submission's timestamp is updated when one is given."""
    try:
        gb.find_student(student)
    except MissingEntry:
        gb.add_student(student)
    # nbgrader builds a new submission's rows in an order SQLAlchemy warns about;
    # the rows it commits are complete.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        if timestamp is not None:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
    return gb.find_submission_notebook(Path(notebook).stem, assignment, student)


def record_graded(gb, result, flagged):
    """Write a graded job's scores, comments and late penalty into `gb`.

    `flagged` marks the notebook for a TA's review (tampering, truncated output)."""
    assignment, student, notebook = result.job_key
    nb = _submission_notebook(gb, assignment, student, notebook, result.timestamp)
    for grade in nb.grades:
        if grade.name in result.cells:
            score, _, manual = result.cells[grade.name]
            grade.auto_score = score
            grade.needs_manual_grade = manual
    for comment in nb.comments:
        if comment.name in result.comments:
            comment.auto_comment = result.comments[comment.name]
    nb.late_submission_penalty = result.late_penalty
    nb.flagged = bool(flagged)
    gb.db.commit()


def record_not_graded(gb, key, reason, timestamp=None, review=True):
    """Give every cell of a notebook that could not be graded (unreadable, its
    kernel killed, or with `review=False` missing from the submission) zero points.
    With `review`, the cells wait for a TA's grade and the notebook is flagged."""
    assignment, student, notebook = key
    nb = _submission_notebook(gb, assignment, student, notebook, timestamp)
    for grade in nb.grades:
        grade.auto_score = 0.0
        grade.needs_manual_grade = review
    for comment in nb.comments:
        comment.auto_comment = NOT_GRADED.format(reason) if review else reason
    nb.flagged = review
    gb.db.commit()


def has_notebook(gb, key):
    """Whether the gradebook holds a submission of this notebook."""
    assignment, student, notebook = key
    try:
        gb.find_submission_notebook(Path(notebook).stem, assignment, student)
    except MissingEntry:
        return False
    return True


def notebook_score(gb, key):
    """(score, max_score) of a notebook in the gradebook."""
    assignment, student, notebook = key
    nb = gb.find_submission_notebook(Path(notebook).stem, assignment, student)
    return float(nb.score), float(nb.max_score)
