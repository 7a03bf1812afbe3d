"""The adversarial catalog (tests/adversarial/catalog.py) graded as one class, two
notebooks at a time, in the sandbox with tight limits: every hostile or broken
submission gets the outcome the catalog gives it, and nobody else is affected."""

import os
import socket
import sqlite3
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.tooling import batch, sandbox, ta_report

sys.path.insert(0, str(Path(__file__).parent / "adversarial"))
import catalog  # noqa: E402
import tiny_course  # noqa: E402

pytestmark = pytest.mark.skipif(
    sandbox.unavailable_reason() is not None, reason="bubblewrap cannot run here"
)

LIMITS = sandbox.Limits(
    cpu_seconds=10,
    memory_mib=2048,
    processes=64,
    open_files=256,
    file_mib=16,
    tmp_mib=64,
    wall_seconds=120,
    output_kib=256,
)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "grading.md"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tiny_course.make_course(tmp_path_factory.mktemp("adversarial") / "course")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        for case in catalog.CASES:
            catalog.write(course, case, server.getsockname()[1])
        options = batch.Options(
            workers=2, limits=LIMITS, prepare_data=False, max_file_mib=5
        )
        outcomes = batch.run(course, tiny_course.ASSIGNMENT, options, progress=_quiet)
    loaded = batch.Course.load(course, tiny_course.ASSIGNMENT)
    rows = ta_report.rows(
        course, tiny_course.ASSIGNMENT, loaded.db_url, loaded.course_id
    )
    return course, {o.student: o for o in outcomes}, {r.student: r for r in rows}


def _quiet(line):
    pass


@pytest.mark.parametrize("case", catalog.CASES, ids=lambda c: c.name)
def test_each_submission_gets_the_outcome_it_deserves(graded, case):
    _, outcomes, rows = graded
    outcome, row = outcomes[case.name], rows[case.name]
    assert outcome.status == case.status, outcome.problems
    assert row.score == pytest.approx(case.score)
    assert row.max_score == pytest.approx(tiny_course.MAX_SCORE)
    problems = "; ".join(outcome.problems)
    for flag in case.flags:
        assert flag in problems
    if not case.flags and case.status == "graded":
        assert outcome.problems == []


def test_the_whole_class_is_graded_exactly_once(graded):
    course, outcomes, _ = graded
    assert set(outcomes) == {case.name for case in catalog.CASES}
    journal = (course / "batches" / "tiny" / "journal.jsonl").read_text().splitlines()
    assert len(journal) == len(catalog.CASES)


def test_every_write_outside_failed_inside_the_sandbox(graded):
    course, _, _ = graded
    nb = nbformat.read(
        course / "autograded" / "writes_outside" / "tiny" / "Tiny.ipynb", 4
    )
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    failed = [line for line in printed.splitlines() if line.endswith("Error")]
    assert len(failed) == 5, printed
    assert list(course.rglob("HACKED")) == []
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_no_process_of_a_sandbox_survives(graded):
    """No process works in a catalog student's folder any more (the fork bomb's
    children, say); other batches' sandboxes may be running meanwhile."""
    students = {f"/autograded/{case.name}/" for case in catalog.CASES}
    leftovers = []
    for entry in Path("/proc").iterdir():
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if any(student in cwd for student in students):
            leftovers.append((entry.name, cwd))
    assert leftovers == []


def test_graded_notebooks_are_in_autograded_and_failed_ones_are_not(graded):
    course, outcomes, _ = graded
    for student, outcome in outcomes.items():
        path = course / "autograded" / student / "tiny" / tiny_course.NOTEBOOK
        assert path.exists() == (outcome.status == "graded"), student
        if outcome.status == "graded":
            assert path.stat().st_size < 1024 * 1024, student


def test_the_docs_table_lists_every_case_with_its_outcome():
    text = DOCS.read_text()
    for case in catalog.CASES:
        line = next((row for row in text.splitlines() if f"`{case.name}`" in row), "")
        assert f"| {case.status} |" in line, case.name
        assert f"| {case.score:g} |" in line, case.name
