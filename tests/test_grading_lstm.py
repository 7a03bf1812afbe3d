"""The LSTM notebook's graders, run on solution cells executed as a notebook would."""

import pytest

from course_lib.grading import lstm_captioning as hidden

CELLS = [
    "course_lib.rnn_layers:word_embedding_forward",
    "course_lib.rnn_layers:word_embedding_backward",
    "course_lib.classifiers.rnn:CaptioningRNN.loss",
    "course_lib.classifiers.rnn:CaptioningRNN.sample",
    "course_lib.rnn_layers:lstm_step_forward",
    "course_lib.rnn_layers:lstm_step_backward",
    "course_lib.rnn_layers:lstm_forward",
    "course_lib.rnn_layers:lstm_backward",
]
POINTS = {
    "step_forward": 2,
    "step_backward": 3,
    "forward": 2,
    "backward": 3,
    "model": 3,
}


def scores():
    return {
        "step_forward": hidden.lstm_step_forward(2),
        "step_backward": hidden.lstm_step_backward(3),
        "forward": hidden.lstm_forward(2),
        "backward": hidden.lstm_backward(3),
        "model": hidden.captioning_lstm(3),
    }


def test_reference_solutions_earn_every_point(solution_cells, capsys):
    solution_cells(CELLS)
    assert scores() == POINTS
    assert "FAIL" not in capsys.readouterr().out


def test_unrun_cells_earn_nothing(solution_cells):
    solution_cells(CELLS, skip=CELLS)
    assert all(score == 0 for score in scores().values())


SWAP = (
    "i = sigmoid(a[:, :H])  # (N, H)\n    f = sigmoid(a[:, H : 2 * H])  # (N, H)",
    "f = sigmoid(a[:, :H])  # (N, H)\n    i = sigmoid(a[:, H : 2 * H])  # (N, H)",
)


@pytest.mark.parametrize(
    "reference, edit, costs",
    [
        (
            "course_lib.rnn_layers:lstm_step_forward",
            SWAP,
            {"step_forward", "step_backward"},
        ),
        (
            "course_lib.rnn_layers:lstm_step_forward",
            ("next_c = f * prev_c + i * g", "next_c = f * prev_c + g"),
            {"step_forward", "step_backward"},
        ),
        (
            "course_lib.classifiers.rnn:CaptioningRNN.loss",
            ("lstm_forward(x, h0, Wx, Wh, b)", "rnn_forward(x, h0, Wx, Wh, b)"),
            {"model"},
        ),
    ],
)
def test_a_mistake_costs_points_in_its_own_cells_only(
    solution_cells, reference, edit, costs
):
    solution_cells(CELLS, {reference: edit})
    lost = {name for name, score in scores().items() if score < POINTS[name]}
    assert lost == costs


@pytest.mark.parametrize("student", [f"student{i:02d}" for i in range(40)])
def test_reference_earns_every_point_for_every_student(solution_cells, monkeypatch, student):
    """Each student's inputs differ; correct code must pass on all of them."""
    monkeypatch.setenv("COURSE_STUDENT_ID", student)
    solution_cells(CELLS)
    assert scores() == POINTS
