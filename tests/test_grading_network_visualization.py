"""The network-visualization notebook's graders, run on solution cells executed as a
notebook would."""

import pytest

from course_lib import exercise
from course_lib.grading import network_visualization as hidden
from notebook_cells import exec_cells

# What the notebook's set-up cell imports before its exercise cells.
NOTEBOOK_IMPORTS = """
import torch
from course_lib import net_visualization_pytorch
from course_lib.exercise import exercise
from course_lib.net_visualization_pytorch import *
"""

SALIENCY = "course_lib.net_visualization_pytorch:compute_saliency_maps"
FOOLING = "course_lib.net_visualization_pytorch:make_fooling_image"
UPDATE = "course_lib.net_visualization_pytorch:class_visualization_update_step"
CELLS = [SALIENCY, FOOLING, UPDATE]

GRADERS = {
    "saliency": lambda: hidden.saliency_maps(3),
    "fooling": lambda: hidden.fooling_image(3),
    "update": lambda: hidden.update_step(2),
}
POINTS = {"saliency": 3, "fooling": 3, "update": 2}


@pytest.fixture
def notebook(monkeypatch):
    """`run(edits, skip)` execs the imports and the exercise cells (with `edits`,
    {reference: (old, new)}, planted) in a fresh namespace; the library is restored
    afterwards."""
    from course_lib import net_visualization_pytorch

    monkeypatch.setattr(exercise, "submitted", {})
    for name in ("compute_saliency_maps", "make_fooling_image",
                 "class_visualization_update_step"):
        monkeypatch.setattr(net_visualization_pytorch, name,
                            getattr(net_visualization_pytorch, name))

    def run(edits=None, skip=()):
        return exec_cells(NOTEBOOK_IMPORTS, CELLS, edits, skip)

    return run


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


MISTAKES = [
    # Saliency: the signed gradient, or channels summed instead of the max.
    (SALIENCY, "grad.abs().amax(dim=1)", "grad.amax(dim=1)", {"saliency"}),
    (SALIENCY, "grad.abs().amax(dim=1)", "grad.abs().sum(dim=1)", {"saliency"}),
    # Every score's gradient instead of the correct class's.
    (SALIENCY, "torch.autograd.grad(correct.sum(), X)",
     "torch.autograd.grad(scores.sum(), X)", {"saliency"}),
    # Dropout left on.
    (SALIENCY, "    model.eval()\n", "", {"saliency"}),
    # Fooling: raw gradient steps, or the student's input image overwritten.
    (FOOLING, "learning_rate * grad / grad.norm()", "learning_rate * grad",
     {"fooling"}),
    (FOOLING, "X_fooling = X.detach().clone().requires_grad_(True)",
     "X_fooling = X.requires_grad_(True)", {"fooling"}),
    # No early stop: all 100 steps are taken.
    (FOOLING, "            break\n", "            pass\n", {"fooling"}),
    # Update step: no L2 penalty, an unnormalized step, a copy instead of in place.
    (UPDATE, " - l2_reg * img.square().sum()", "", {"update"}),
    (UPDATE, "learning_rate * grad / grad.norm()", "learning_rate * grad",
     {"update"}),
    (UPDATE, "img += learning_rate", "img = img + learning_rate", {"update"}),
]


@pytest.mark.parametrize("reference, old, new, costs", MISTAKES)
def test_a_mistake_costs_points_in_its_own_cell_only(
    notebook, reference, old, new, costs, capsys
):
    notebook({reference: (old, new)})
    got = scores()
    lost = {name for name, score in got.items() if score < POINTS[name]}
    assert lost == costs, capsys.readouterr().out
    assert all(0 <= score <= POINTS[name] for name, score in got.items())


ALTERNATIVES = [
    # Indexing instead of gather; backward instead of autograd.grad.
    (SALIENCY, "scores.gather(1, y.view(-1, 1)).squeeze(1)",
     "scores[torch.arange(len(y)), y]"),
    (SALIENCY, "(grad,) = torch.autograd.grad(correct.sum(), X)",
     "correct.sum().backward()\n    grad = X.grad"),
    (SALIENCY, "grad.abs().amax(dim=1)", "grad.abs().max(dim=1)[0]"),
    (FOOLING, "(grad,) = torch.autograd.grad(scores[0, target_y], X_fooling)",
     "scores[0, target_y].backward()\n        grad = X_fooling.grad.clone()\n"
     "        X_fooling.grad.zero_()"),
    (FOOLING, "X_fooling += learning_rate * grad / grad.norm()",
     "X_fooling.data += learning_rate * grad / torch.sqrt((grad**2).sum())"),
    (UPDATE, "(grad,) = torch.autograd.grad(objective, img)",
     "objective.backward()\n    grad = img.grad.clone()\n    img.grad.zero_()"),
    (UPDATE, "img.square().sum()", "(img * img).sum()"),
]


@pytest.mark.parametrize("reference, old, new", ALTERNATIVES)
def test_a_correct_alternative_earns_every_point(notebook, reference, old, new, capsys):
    notebook({reference: (old, new)})
    assert scores() == POINTS, capsys.readouterr().out


def test_feedback_names_the_failure_without_reference_values(notebook, capsys):
    notebook({SALIENCY: ("grad.abs().amax(dim=1)", "grad.amax(dim=1)")})
    hidden.saliency_maps(3)
    out = capsys.readouterr().out
    assert "FAIL" in out and "relative error" in out and "saliency" in out
    assert "[" not in out and "tensor" not in out  # no arrays printed


def test_a_modified_input_is_named(notebook, capsys):
    notebook({FOOLING: ("X_fooling = X.detach().clone().requires_grad_(True)",
                        "X_fooling = X.requires_grad_(True)")})
    hidden.fooling_image(3)
    assert "was modified" in capsys.readouterr().out


def test_inputs_differ_between_students(monkeypatch):
    monkeypatch.setenv("COURSE_STUDENT_ID", "ada")
    a = hidden._seed("saliency_maps/model")
    monkeypatch.setenv("COURSE_STUDENT_ID", "grace")
    assert hidden._seed("saliency_maps/model") != a


@pytest.mark.parametrize("student", [f"student{i:02d}" for i in range(40)])
def test_reference_earns_every_point_for_every_student(notebook, monkeypatch, student):
    """Each student's inputs and fooling targets differ; correct code must pass on
    all of them."""
    monkeypatch.setenv("COURSE_STUDENT_ID", student)
    notebook()
    assert scores() == POINTS
