"""The RNN notebook's graders, run on solution cells executed as a notebook would."""

import numpy as np
import pytest

from course_lib.grading import rnn_captioning as hidden

CELLS = [
    "course_lib.rnn_layers:rnn_step_forward",
    "course_lib.rnn_layers:rnn_step_backward",
    "course_lib.rnn_layers:rnn_forward",
    "course_lib.rnn_layers:rnn_backward",
    "course_lib.rnn_layers:word_embedding_forward",
    "course_lib.rnn_layers:word_embedding_backward",
    "course_lib.classifiers.rnn:CaptioningRNN.loss",
    "course_lib.classifiers.rnn:CaptioningRNN.sample",
]


@pytest.fixture
def notebook(solution_cells):
    return lambda edits=None, skip=(): solution_cells(CELLS, edits, skip)


GRADERS = {
    "rnn_step_forward": lambda: hidden.rnn_step_forward(2),
    "rnn_step_backward": lambda: hidden.rnn_step_backward(3),
    "rnn_forward": lambda: hidden.rnn_forward(2),
    "rnn_backward": lambda: hidden.rnn_backward(3),
    "word_embedding_forward": lambda: hidden.word_embedding_forward(1),
    "word_embedding_backward": lambda: hidden.word_embedding_backward(2),
    "loss": lambda: hidden.captioning_loss(4),
    "sample": lambda: hidden.captioning_sample(3),
}
POINTS = {
    "rnn_step_forward": 2,
    "rnn_step_backward": 3,
    "rnn_forward": 2,
    "rnn_backward": 3,
    "word_embedding_forward": 1,
    "word_embedding_backward": 2,
    "loss": 4,
    "sample": 3,
}


def scores():
    return {name: grader() for name, grader in GRADERS.items()}


def test_reference_solutions_earn_every_point(notebook, capsys):
    notebook()
    assert scores() == POINTS
    assert "FAIL" not in capsys.readouterr().out


def test_unrun_cells_earn_nothing_and_say_why(notebook, capsys):
    notebook(skip=CELLS)
    assert all(score == 0 for score in scores().values())
    assert "run its cell" in capsys.readouterr().out


@pytest.mark.parametrize(
    "reference, old, new, costs",
    [
        (
            "course_lib.rnn_layers:rnn_step_backward",
            "(1 - next_h**2)",
            "(1 - next_h)",
            {"rnn_step_backward"},
        ),
        (
            "course_lib.rnn_layers:word_embedding_backward",
            "np.add.at(dW, x, dout)",
            "dW[x] += dout",
            {"word_embedding_backward"},
        ),
        (
            "course_lib.rnn_layers:rnn_step_forward",
            "np.tanh(a)",
            "np.maximum(a, 0)",
            {"rnn_step_forward", "rnn_step_backward"},
        ),
    ],
)
def test_a_mistake_costs_points_in_its_own_cell_only(
    notebook, reference, old, new, costs, capsys
):
    notebook({reference: (old, new)})
    got = scores()
    lost = {name for name, score in got.items() if score < POINTS[name]}
    assert lost == costs, capsys.readouterr().out
    assert all(0 <= score <= POINTS[name] for name, score in got.items())


def test_partial_credit_counts_the_right_gradients(notebook):
    """A backward pass that gets db wrong keeps the other four gradients' credit."""
    notebook(
        {
            "course_lib.rnn_layers:rnn_step_backward": (
                "db = da.sum(axis=0)",
                "db = da.sum(axis=0) * 2",
            )
        }
    )
    assert hidden.rnn_step_backward(3) == pytest.approx(3 * 4 / 5)


def test_feedback_names_the_failure_without_reference_values(notebook, capsys):
    notebook(
        {"course_lib.rnn_layers:rnn_step_forward": ("np.tanh(a)", "np.tanh(a) + 1e-3")}
    )
    hidden.rnn_step_forward(2)
    out = capsys.readouterr().out
    assert "FAIL" in out and "relative error" in out and "next_h" in out
    assert "[" not in out  # no arrays printed


def test_inputs_differ_between_students(monkeypatch):
    monkeypatch.setenv("COURSE_STUDENT_ID", "ada")
    a = hidden.rng("x").standard_normal(3)
    monkeypatch.setenv("COURSE_STUDENT_ID", "grace")
    b = hidden.rng("x").standard_normal(3)
    assert not np.allclose(a, b)


def test_a_sampler_that_writes_on_after_end_is_also_correct(notebook):
    """Words after <END> are never read; writing them instead of <NULL> is fine."""
    notebook(
        {
            "course_lib.classifiers.rnn:CaptioningRNN.sample": (
                "captions[~done, t] = word[~done]",
                "captions[:, t] = word",
            )
        }
    )
    assert hidden.captioning_sample(3) == 3


def test_a_sampler_that_never_feeds_back_its_words_loses_points(notebook):
    notebook(
        {
            "course_lib.classifiers.rnn:CaptioningRNN.sample": (
                "x = W_embed[word]  # (N, W)",
                "x = W_embed[np.full(N, self._start)]  # (N, W)",
            )
        }
    )
    assert hidden.captioning_sample(3) < 3


@pytest.mark.parametrize("student", [f"student{i:02d}" for i in range(40)])
def test_reference_earns_every_point_for_every_student(notebook, monkeypatch, student):
    """Each student's inputs differ; correct code must pass on all of them."""
    monkeypatch.setenv("COURSE_STUDENT_ID", student)
    notebook()
    assert scores() == POINTS
