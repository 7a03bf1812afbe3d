"""Render notebook templates into nbgrader source notebooks.

The source notebook is a pure function of its template and of the library: building
twice gives the same bytes, so a stale notebook shows up as a diff.
"""

from pathlib import Path

import nbformat

from . import exercises, template

KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}


def _nbgrader(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return meta


def solution_id(reference):
    """The grade id of the cell that holds an exercise."""
    return "code_" + reference.split(":", 1)[1].replace(".", "_")


def _cell_id(index, grade_id=None):
    return (grade_id or f"cell-{index:03d}").replace("_", "-")[:64]


def _include(cell, includes, values):
    """The cell's own source, or the include file it names with `values` filled in."""
    name = cell.options.get("include")
    if name is None:
        return cell.source
    path = includes / f"{name}.py"
    if not path.exists():
        raise template.TemplateError(f"line {cell.line}: no include file {path}")
    text = path.read_text().strip("\n")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def render(template_path, includes, values):
    """The source notebook of one template, as an nbformat node."""
    template_path = Path(template_path)
    cells = template.parse(template_path.read_text(), template_path)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for index, cell in enumerate(cells):
        source = _include(cell, includes, values)
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(source)
        elif cell.kind == "answer":
            node = nbformat.v4.new_markdown_cell(source)
            node.metadata["nbgrader"] = _nbgrader(
                cell.options["id"],
                grade=True,
                solution=True,
                points=cell.options["points"],
            )
        elif cell.kind == "solution":
            ex = exercises.find(cell.reference)
            node = nbformat.v4.new_code_cell(exercises.cell_source(ex))
            node.metadata["nbgrader"] = _nbgrader(
                solution_id(cell.reference), solution=True
            )
        elif cell.kind == "test":
            node = nbformat.v4.new_code_cell(source)
            node.metadata["nbgrader"] = _nbgrader(
                cell.options["id"],
                grade=True,
                locked=True,
                points=cell.options["points"],
            )
        elif cell.kind == "locked":
            node = nbformat.v4.new_code_cell(source)
            node.metadata["nbgrader"] = _nbgrader(f"locked_{index:03d}", locked=True)
        else:
            node = nbformat.v4.new_code_cell(source)
        grade_id = node.metadata.get("nbgrader", {}).get("grade_id")
        node.id = _cell_id(index, grade_id)
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def write(nb, path):
    """Write a notebook with stable formatting; return True if the file changed."""
    path = Path(path)
    text = nbformat.writes(nb) + "\n"
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
