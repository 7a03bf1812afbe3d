import nbformat

from course_lib.tooling.feedback import ShortTestTracebacks


def _cell(meta):
    cell = nbformat.v4.new_code_cell("x = 1\n### BEGIN HIDDEN TESTS\nsecret()\n")
    cell.metadata["nbgrader"] = meta
    cell.outputs = [
        nbformat.v4.new_output(
            "error", ename="NameError", evalue="name 'x' is not defined",
            traceback=["----> 1 x = 1", "      2 ### BEGIN HIDDEN TESTS", "      3 secret()"],
        )
    ]
    return cell


def test_errors_of_test_cells_keep_only_their_type_and_message():
    nb = nbformat.v4.new_notebook()
    nb.cells = [_cell({"grade": True, "solution": False}), _cell({"solution": True})]
    nb, _ = ShortTestTracebacks()(nb, {})
    assert nb.cells[0].outputs[0]["traceback"] == ["NameError: name 'x' is not defined"]
    assert len(nb.cells[1].outputs[0]["traceback"]) == 3  # the student's own cell
