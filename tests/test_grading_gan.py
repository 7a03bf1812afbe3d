"""The GAN notebook's graders, run on solution cells executed as a notebook would."""

import numpy as np
import pytest
import torch

from course_lib import exercise, gan_pytorch
from course_lib.grading import gan as hidden
from course_lib.tooling import exercises
from notebook_cells import exec_cells

# What the notebook's set-up cell imports before its exercise cells.
NOTEBOOK_IMPORTS = """
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from course_lib import gan_pytorch
from course_lib.exercise import exercise
from course_lib.gan_pytorch import *
"""

CELLS = [
    f"course_lib.gan_pytorch:{name}"
    for name in (
        "sample_noise", "discriminator", "generator", "discriminator_loss",
        "generator_loss", "get_optimizer", "ls_discriminator_loss", "ls_generator_loss",
        "build_dc_classifier", "build_dc_generator", "alternating_gradient_steps",
    )
]

# Test cell id -> its grader call, and its points (as in the notebook).
GRADERS = {
    "test_sample_noise": lambda: hidden.sample_noise(2),
    "test_discriminator": lambda: hidden.discriminator(2),
    "test_generator": lambda: hidden.generator(2),
    "test_discriminator_loss": lambda: hidden.discriminator_loss(2),
    "test_generator_loss": lambda: hidden.generator_loss(2),
    "test_get_optimizer": lambda: hidden.get_optimizer(1),
    "test_lsgan_loss": lambda: hidden.ls_losses(3),
    "test_dc_classifier": lambda: hidden.dc_classifier(2),
    "test_dc_generator": lambda: hidden.dc_generator(3),
    "test_minimax_steps": lambda: hidden.minimax_steps(2),
}
POINTS = {
    "test_sample_noise": 2, "test_discriminator": 2, "test_generator": 2,
    "test_discriminator_loss": 2, "test_generator_loss": 2, "test_get_optimizer": 1,
    "test_lsgan_loss": 3, "test_dc_classifier": 2, "test_dc_generator": 3,
    "test_minimax_steps": 2,
}


@pytest.fixture
def notebook(monkeypatch):
    """`run(edits, skip)` execs the imports and the exercise cells (with `edits`,
    {reference: (old, new)}, planted) in a fresh namespace, as the notebook would;
    the library is restored afterwards."""
    monkeypatch.setattr(exercise, "submitted", {})
    for name in list(vars(gan_pytorch)):
        monkeypatch.setattr(gan_pytorch, name, getattr(gan_pytorch, name))

    def run(edits=None, skip=()):
        return exec_cells(NOTEBOOK_IMPORTS, CELLS, edits, skip)

    return run


def scores():
    return {name: grader() for name, grader in GRADERS.items()}


def test_notebook_and_graders_agree_on_the_test_cells():
    """Every [test] cell of the template calls the grader listed here, for its points."""
    from pathlib import Path

    from course_lib.tooling import template

    path = Path(__file__).parents[1] / "notebooks/assignment3/Generative_Adversarial_Networks.py"
    cells = template.parse(path.read_text(), path)
    tests = {c.options["id"]: c for c in cells if c.kind == "test"}
    assert {k: int(c.options["points"]) for k, c in tests.items()} == POINTS
    solutions = [c.reference for c in cells if c.kind == "solution"]
    assert sorted(solutions) == sorted(CELLS)


def test_reference_solutions_earn_every_point(notebook, capsys):
    notebook()
    assert scores() == POINTS
    out = capsys.readouterr().out
    assert "FAIL" not in out, out


def test_unrun_cells_earn_nothing_and_say_why(notebook, capsys):
    notebook(skip=CELLS)
    assert all(score == 0 for score in scores().values())
    assert "run its cell" in capsys.readouterr().out


def test_grading_leaves_the_notebook_random_state_alone(notebook):
    notebook()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    scores()
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


MISTAKES = [
    # Fakes labelled real in the discriminator's loss.
    ("discriminator_loss", "torch.zeros_like(logits_fake)", "torch.ones_like(logits_fake)",
     {"test_discriminator_loss"}),
    # The generator asks for its images to be called fake.
    ("generator_loss", "torch.ones_like(logits_fake)", "torch.zeros_like(logits_fake)",
     {"test_generator_loss"}),
    # The right value, but no gradient ever reaches the generator.
    ("generator_loss", "bce_loss(logits_fake,", "bce_loss(logits_fake.detach(),",
     {"test_generator_loss"}),
    # Batch norm before the ReLU: same parameter count, visible check passes.
    ("build_dc_generator", "nn.ReLU(),\n        nn.BatchNorm2d(64),",
     "nn.BatchNorm2d(64),\n        nn.ReLU(),", {"test_dc_generator"}),
    # Noise in [0, 1) instead of (-1, 1).
    ("sample_noise", "2 * torch.rand(batch_size, dim) - 1", "torch.rand(batch_size, dim)",
     {"test_sample_noise"}),
    # Adam's default beta1.
    ("get_optimizer", "betas=(0.5, 0.999)", "betas=(0.9, 0.999)", {"test_get_optimizer"}),
    # The least squares discriminator loss without its 1/2 on the fake term.
    ("ls_discriminator_loss", "0.5 * torch.mean(scores_fake**2)",
     "torch.mean(scores_fake**2)", {"test_lsgan_loss"}),
    # ReLU instead of leaky ReLU in the discriminator: same parameter count.
    ("discriminator", "nn.LeakyReLU(0.01),\n        nn.Linear(256, 1)",
     "nn.ReLU(),\n        nn.Linear(256, 1)", {"test_discriminator"}),
    # Padding 2 keeps the convolutions at 28 pixels: the classifier then fails to run.
    ("build_dc_classifier", "nn.Conv2d(1, 32, kernel_size=5)",
     "nn.Conv2d(1, 32, kernel_size=5, padding=2)", {"test_dc_classifier"}),
    # x updated with the old y instead of the new one.
    ("alternating_gradient_steps",
     "        y = y + step_size * x  # ascent on y: df/dy = x\n"
     "        x = x - step_size * y  # descent on x with the new y: df/dx = y",
     "        x, y = x - step_size * y, y + step_size * x",
     {"test_minimax_steps"}),
]


@pytest.mark.parametrize("name, old, new, costs", MISTAKES, ids=[
    f"{m[0]}-{i}" for i, m in enumerate(MISTAKES)])
def test_a_mistake_costs_points_in_its_own_cell_only(notebook, name, old, new, costs, capsys):
    notebook({f"course_lib.gan_pytorch:{name}": (old, new)})
    got = scores()
    lost = {cell for cell, score in got.items() if score < POINTS[cell]}
    assert lost == costs, capsys.readouterr().out
    assert all(0 <= score <= POINTS[cell] for cell, score in got.items())


def test_a_detached_generator_loss_keeps_the_value_points_only(notebook, capsys):
    notebook({"course_lib.gan_pytorch:generator_loss": (
        "bce_loss(logits_fake,", "bce_loss(logits_fake.detach(),")})
    assert hidden.generator_loss(2) == pytest.approx(2 * 2 / 4)
    out = capsys.readouterr().out
    assert "generator's weights" in out


def test_swapped_real_and_fake_labels_fail_both_value_and_gradients(notebook, capsys):
    notebook({"course_lib.gan_pytorch:discriminator_loss": (
        "real_loss = bce_loss(logits_real, torch.ones_like(logits_real))\n"
        "    fake_loss = bce_loss(logits_fake, torch.zeros_like(logits_fake))",
        "real_loss = bce_loss(logits_real, torch.zeros_like(logits_real))\n"
        "    fake_loss = bce_loss(logits_fake, torch.ones_like(logits_fake))")})
    assert hidden.discriminator_loss(2) == 0


ALTERNATIVES = [
    ("sample_noise", "noise = 2 * torch.rand(batch_size, dim) - 1  # (N, dim)",
     "noise = torch.empty(batch_size, dim).uniform_(-1, 1)"),
    ("discriminator_loss",
     "real_loss = bce_loss(logits_real, torch.ones_like(logits_real))\n"
     "    fake_loss = bce_loss(logits_fake, torch.zeros_like(logits_fake))\n"
     "    loss = real_loss + fake_loss",
     "bce = F.binary_cross_entropy_with_logits\n"
     "    N = logits_real.shape[0]\n"
     "    loss = bce(logits_real.reshape(N), torch.ones(N))\n"
     "    loss = loss + bce(logits_fake.reshape(N), torch.zeros(N))"),
    ("generator_loss", "loss = bce_loss(logits_fake, torch.ones_like(logits_fake))",
     "loss = -F.logsigmoid(logits_fake).mean()"),
    ("ls_discriminator_loss",
     "real_loss = 0.5 * torch.mean((scores_real - 1) ** 2)",
     "real_loss = ((scores_real - 1) ** 2).sum() / (2 * scores_real.numel())"),
    ("build_dc_classifier", "Unflatten(-1, 1, 28, 28),  # (N, 1, 28, 28)",
     "nn.Unflatten(1, (1, 28, 28)),"),
    ("build_dc_classifier", "Flatten(),  # (N, 1024)", "nn.Flatten(),"),
    ("get_optimizer", "optimizer = optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))",
     "optimizer = torch.optim.Adam(\n        model.parameters(), 0.001, (0.5, 0.999))"),
    ("alternating_gradient_steps",
     "        y = y + step_size * x  # ascent on y: df/dy = x\n"
     "        x = x - step_size * y  # descent on x with the new y: df/dx = y",
     "        y += step_size * x\n        x -= step_size * y"),
]


def test_correct_alternatives_earn_every_point(notebook, capsys):
    edits = {}
    for name, old, new in ALTERNATIVES:
        reference = f"course_lib.gan_pytorch:{name}"
        if reference in edits:  # two edits of one cell: apply them in turn
            first_old, first_new = edits[reference]
            source = exercises.cell_source(exercises.find(reference))
            edits[reference] = (source, source.replace(first_old, first_new).replace(old, new))
        else:
            edits[reference] = (old, new)
    notebook(edits)
    got = scores()
    assert got == POINTS, capsys.readouterr().out


def test_a_generator_built_from_separate_blocks_is_also_correct(notebook):
    """Nested Sequentials are fine: the grader reads the layers in order."""
    notebook({"course_lib.gan_pytorch:generator": (
        "model = nn.Sequential(\n        nn.Linear(noise_dim, 1024),\n        nn.ReLU(),",
        "model = nn.Sequential(\n        nn.Sequential(nn.Linear(noise_dim, 1024), nn.ReLU()),")})
    assert hidden.generator(2) == 2


def test_feedback_names_the_failure_without_reference_values(notebook, capsys):
    notebook({"course_lib.gan_pytorch:ls_generator_loss": ("0.5 * torch.mean", "torch.mean")})
    hidden.ls_losses(3)
    out = capsys.readouterr().out
    assert "FAIL" in out and "relative error" in out
    assert "[" not in out  # no arrays printed


def test_inputs_differ_between_students(monkeypatch):
    monkeypatch.setenv("COURSE_STUDENT_ID", "ada")
    a = hidden.rng("generator/noise_dim").integers(2, 128, size=4)
    monkeypatch.setenv("COURSE_STUDENT_ID", "grace")
    b = hidden.rng("generator/noise_dim").integers(2, 128, size=4)
    assert not np.array_equal(a, b)


def test_the_game_is_computed_independently():
    xs, ys = hidden._game(1.0, 1.0, 1.0, 6)
    assert xs == [1, -1, -2, -1, 1, 2, 1] and ys == [1, 2, 1, -1, -2, -1, 1]
    assert (xs, ys) == tuple(gan_pytorch.alternating_gradient_steps(1.0, 1.0, 1.0, 6))


@pytest.mark.parametrize("student", [f"student{i:02d}" for i in range(40)])
def test_reference_earns_every_point_for_every_student(notebook, monkeypatch, student):
    """Each student's inputs differ; correct code must pass on all of them."""
    monkeypatch.setenv("COURSE_STUDENT_ID", student)
    notebook()
    assert scores() == POINTS
