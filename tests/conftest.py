import numpy as np
import pytest

from course_lib import exercise
from notebook_cells import exec_cells

# What a captioning notebook's set-up cell imports before its exercise cells.
NOTEBOOK_IMPORTS = """
import numpy as np
from course_lib import rnn_layers
from course_lib.classifiers.rnn import CaptioningRNN
from course_lib.exercise import exercise
from course_lib.rnn_layers import *
"""


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
