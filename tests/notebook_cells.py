"""Notebook cells run outside a notebook, for the grader tests.

A module of its own, not conftest.py: tests/e2e has a conftest.py too, and a test
module that imported `conftest` could get that one."""

from course_lib.tooling import exercises


def exec_cells(imports, references, edits=None, skip=()):
    """Exec a notebook's `imports` and the exercise cells of `references` in a fresh
    namespace, as the notebook would, with `edits` planted and the cells in `skip`
    left out. `edits` maps a reference to one (old, new) replacement or a list of
    them. Returns the namespace."""
    namespace = {}
    exec(imports, namespace)
    for reference in references:
        if reference in skip:
            continue
        source = exercises.cell_source(exercises.find(reference))
        replacements = (edits or {}).get(reference, [])
        if isinstance(replacements, tuple):
            replacements = [replacements]
        for old, new in replacements:
            assert old in source, f"{old!r} not in {reference}"
            source = source.replace(old, new)
        exec(source, namespace)
    return namespace
