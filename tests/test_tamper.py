"""Flags raised on a submitted notebook before it is graded."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.tooling import tamper


def _cell(source, grade_id, **flags):
    meta = {"grade_id": grade_id, "locked": False, "solution": False, "grade": False}
    meta.update(flags)
    return new_code_cell(source, metadata={"nbgrader": meta})


def released():
    return new_notebook(
        cells=[
            _cell("def f(x):\n    pass", "code_f", solution=True),
            _cell("assert f(1) == 2", "test_f", grade=True, locked=True, points=2),
        ]
    )


def test_an_untouched_submission_raises_no_flag():
    nb = released()
    nb.cells[0].source = "def f(x):\n    return 2 * x"
    assert tamper.review(nb, released()) == []


def test_a_copy_with_the_hidden_tests_is_not_an_edit():
    nb = released()
    nb.cells[
        1
    ].source += "\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS"
    assert tamper.test_cell_changes(nb, released()) == []


def test_deleted_edited_repointed_and_duplicated_test_cells_are_named():
    nb = released()
    nb.cells[1].source = "pass"
    nb.cells[1].metadata["nbgrader"]["points"] = 50
    nb.cells.append(nbformat.from_dict(nb.cells[0]))
    assert tamper.test_cell_changes(nb, released()) == [
        "test cell test_f edited",
        "points of test_f changed to 50",
        "cell code_f duplicated",
    ]
    nb.cells = nb.cells[:1]
    assert tamper.test_cell_changes(nb, released()) == ["test cell test_f deleted"]


def test_rebinding_library_functions_is_found_under_any_alias():
    code = (
        "import numpy as xp\nimport course_lib.grading.core as core\n"
        "from torch import nn\n"
        "xp.allclose = lambda *a: True\ncore.rel_error = abs\n"
        "setattr(nn, 'Linear', None)\nimport sys\nsys.modules['numpy'] = None\n"
        "mine = object()\nmine.attribute = 1\n"
    )
    assert tamper.patched_libraries(code) == [
        "core.rel_error",
        "setattr(nn, ...)",
        "sys.modules['numpy']",
        "xp.allclose",
    ]


def test_reaching_for_the_gradebook_or_source_is_flagged():
    assert tamper.sandbox_escapes("open('../../../gradebook.db')") == ["gradebook"]
    assert tamper.sandbox_escapes("x = 1") == []
