"""Signs that a submission tampers with its grading, found before it is graded.

nbgrader puts locked cells back as they were released and restores their points, so
an edited or deleted test cell costs the student nothing and gains nothing. Still a
TA wants to know: `test_cell_changes` compares the submission with the released
notebook. Code that rebinds functions of NumPy, PyTorch or the course library (to
make a check pass) does run, in the same kernel as the hidden tests, so
`patched_libraries` looks for it in the student's code, and `sandbox_escapes` for
code that reaches for files outside the student's folder. These are flags for a
person to review, not verdicts: the notebook keeps the score it earned.
"""

import ast
import re

# Modules whose attributes a submission must not reassign.
GUARDED = ("numpy", "torch", "course_lib", "math", "builtins", "nbgrader", "sys")
# The hidden part of a test cell, which the release does not have.
HIDDEN = re.compile(r"\n?### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.DOTALL)
# Words that betray an attempt to read what the grader keeps apart.
ESCAPES = ("gradebook", "/source/", "../source", "release/", "submitted/", "/proc/")


def _graded_cells(nb):
    """grade_id -> cell of the locked test cells of a notebook."""
    cells = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("locked") and not meta.get("solution"):
            cells[meta.get("grade_id")] = cell
    return cells


def test_cell_changes(submitted, released):
    """Lines describing test cells the student deleted, edited or re-pointed."""
    mine, theirs = _graded_cells(submitted), _graded_cells(released)
    problems = []
    for grade_id, cell in theirs.items():
        if grade_id not in mine:
            problems.append(f"test cell {grade_id} deleted")
            continue
        if _visible(mine[grade_id].source) != _visible(cell.source):
            problems.append(f"test cell {grade_id} edited")
        points = mine[grade_id].metadata["nbgrader"].get("points")
        if points != cell.metadata["nbgrader"].get("points"):
            problems.append(f"points of {grade_id} changed to {points}")
    ids = [
        c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for c in submitted.cells
    ]
    for grade_id in sorted({i for i in ids if i and ids.count(i) > 1}):
        problems.append(f"cell {grade_id} duplicated")
    return problems


def _visible(source):
    """A test cell's source without hidden tests (a copy of the source notebook has
    them; what the student could have changed is the rest)."""
    return HIDDEN.sub("\n", source).strip()


def _module_aliases(tree):
    """Names bound to guarded modules by the code's imports: {"np": "numpy"}."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in GUARDED:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in GUARDED:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _root_name(node):
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def patched_libraries(code, known_modules=("np", "numpy", "torch", "course_lib")):
    """What `code` rebinds in guarded modules: "numpy.allclose", "setattr(np, ...)"."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    aliases = {name: name for name in known_modules}
    aliases.update(_module_aliases(tree))
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setattr":
            if node.args and _root_name(node.args[0]) in aliases:
                found.append(f"setattr({ast.unparse(node.args[0])}, ...)")
        for target in targets:
            if isinstance(target, ast.Attribute) and _root_name(target) in aliases:
                found.append(ast.unparse(target))
            if isinstance(target, ast.Subscript) and "modules" in ast.unparse(target):
                found.append(ast.unparse(target))
    return sorted(set(found))


def sandbox_escapes(code):
    """Words of `code` that point at files a submission has no business reading."""
    return sorted({word for word in ESCAPES if word in code})


def student_code(nb, released):
    """The source of every code cell that is not a locked cell of the release."""
    locked = {
        c.metadata["nbgrader"]["grade_id"]
        for c in released.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("locked")
    }
    return "\n".join(
        cell.source
        for cell in nb.cells
        if cell.get("cell_type") == "code"
        and cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in locked
    )


def review(submitted, released):
    """Every flag for one submitted notebook, as lines a TA reads."""
    code = student_code(submitted, released)
    flags = test_cell_changes(submitted, released)
    flags += [f"rebinds {name}" for name in patched_libraries(code)]
    flags += [f"mentions {word!r}" for word in sandbox_escapes(code)]
    return flags
