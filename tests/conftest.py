import numpy as np
import pytest

from course_lib import exercise
from course_lib.tooling import exercises

# What a captioning notebook's set-up cell imports before its exercise cells.
NOTEBOOK_IMPORTS = """
import numpy as np
from course_lib import rnn_layers
from course_lib.classifiers.rnn import CaptioningRNN
from course_lib.exercise import exercise
from course_lib.rnn_layers import *
"""


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


@pytest.fixture
def rng():
    """A fresh, seeded NumPy generator for each test."""
    return np.random.default_rng(231)


@pytest.fixture
def solution_cells(monkeypatch):
    """Run exercise cells as a notebook would: `run(references, edits, skip)` execs
    the imports and the cells of `references` (with `edits`, {reference: (old, new)},
    planted) in a fresh namespace. The library is restored afterwards."""
    from course_lib import rnn_layers
    from course_lib.classifiers import rnn

    monkeypatch.setattr(exercise, "submitted", {})
    for name in list(vars(rnn_layers)):
        monkeypatch.setattr(rnn_layers, name, getattr(rnn_layers, name))
    for name in ("loss", "sample"):
        monkeypatch.setattr(rnn.CaptioningRNN, name, getattr(rnn.CaptioningRNN, name))

    def run(references, edits=None, skip=()):
        return exec_cells(NOTEBOOK_IMPORTS, references, edits, skip)

    return run
