"""Notebook cells run outside a notebook, for the grader tests.

A module of its own, not conftest.py: tests/e2e has a conftest.py too, and a test
module that imported `conftest` could get that one."""

from course_lib.tooling import exercises


def exec_cells(imports, references, edits=None, skip=()):
    """Exec a notebook's `imports` and the exercise cells of `references` in a fresh
    namespace, as the notebook would, with `edits` ({reference: (old, new)})
    planted and the cells in `skip` left out. Returns the namespace."""
    namespace = {}
    exec(imports, namespace)
    for reference in references:
        if reference in skip:
            continue
        source = exercises.cell_source(exercises.find(reference))
        if edits and reference in edits:
            old, new = edits[reference]
            assert old in source, f"{old!r} not in {reference}"
            source = source.replace(old, new)
        exec(source, namespace)
    return namespace
