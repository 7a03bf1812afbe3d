import importlib.util
from pathlib import Path

import matplotlib.figure
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from course_lib import gan_pytorch as gan

CHECKS = Path(gan.__file__).parent / "data" / "gan-checks.npz"
SCRIPT = Path(__file__).parents[1] / "scripts" / "make_gan_checks.py"


def linear(n_in, n_out):
    return n_in * n_out + n_out


def conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def batch_norm(c):
    return 2 * c


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_parameter_counts_match_the_architectures():
    assert gan.count_params(gan.discriminator()) == (
        linear(784, 256) + linear(256, 256) + linear(256, 1)
    ) == 267009
    for noise_dim in (4, gan.NOISE_DIM):
        assert gan.count_params(gan.generator(noise_dim)) == (
            linear(noise_dim, 1024) + linear(1024, 1024) + linear(1024, 784)
        )
    assert gan.count_params(gan.build_dc_classifier(128)) == (
        conv(1, 32, 5) + conv(32, 64, 5) + linear(1024, 1024) + linear(1024, 1)
    ) == 1102721
    assert gan.count_params(gan.build_dc_generator(4)) == (
        linear(4, 1024)
        + batch_norm(1024)
        + linear(1024, 7 * 7 * 128)
        + batch_norm(7 * 7 * 128)
        + conv(128, 64, 4)
        + batch_norm(64)
        + conv(64, 1, 4)
    ) == 6580801


def test_models_map_images_and_noise_to_the_right_shapes():
    images = torch.rand(5, 784)
    noise = gan.sample_noise(5, gan.NOISE_DIM)
    assert gan.discriminator()(images).shape == (5, 1)
    assert gan.build_dc_classifier(5)(images).shape == (5, 1)
    for G in (gan.generator(), gan.build_dc_generator()):
        fake = G(noise)
        assert fake.shape == (5, 784)
        assert fake.abs().max() <= 1


def test_seeded_models_are_reproducible():
    first, second = gan.generator(4, seed=3), gan.generator(4, seed=3)
    for a, b in zip(first.parameters(), second.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_bce_loss_matches_pytorch():
    logits = torch.tensor([[-300.0], [-4.0], [-0.5], [0.0], [0.7], [9.0], [300.0]])
    target = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    expected = F.binary_cross_entropy_with_logits(logits.squeeze(), target)
    torch.testing.assert_close(gan.bce_loss(logits, target), expected)


def test_bce_loss_refuses_mismatched_targets():
    with pytest.raises(ValueError, match="one target per logit"):
        gan.bce_loss(torch.zeros(4, 1), torch.zeros(3))


def test_losses_match_their_formulas(rng):
    real = rng.normal(1.0, 2.0, size=(10, 1))
    fake = rng.normal(-1.0, 2.0, size=(10, 1))
    t_real, t_fake = torch.from_numpy(real), torch.from_numpy(fake)

    d_loss = -np.mean(np.log(sigmoid(real))) - np.mean(np.log(1 - sigmoid(fake)))
    g_loss = -np.mean(np.log(sigmoid(fake)))
    ls_d_loss = 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake**2)
    ls_g_loss = 0.5 * np.mean((fake - 1) ** 2)

    assert gan.rel_error(gan.discriminator_loss(t_real, t_fake), d_loss) < 1e-10
    assert gan.rel_error(gan.generator_loss(t_fake), g_loss) < 1e-10
    assert gan.rel_error(gan.ls_discriminator_loss(t_real, t_fake), ls_d_loss) < 1e-10
    assert gan.rel_error(gan.ls_generator_loss(t_fake), ls_g_loss) < 1e-10


def test_checks_file_agrees_with_the_reference():
    answers = dict(np.load(CHECKS))
    real = torch.tensor(answers["logits_real"])
    fake = torch.tensor(answers["logits_fake"])
    pairs = [
        (gan.discriminator_loss(real, fake), answers["d_loss_true"]),
        (gan.generator_loss(fake), answers["g_loss_true"]),
        (gan.ls_discriminator_loss(real, fake), answers["d_loss_lsgan_true"]),
        (gan.ls_generator_loss(fake), answers["g_loss_lsgan_true"]),
    ]
    for loss, expected in pairs:
        assert gan.rel_error(loss.numpy(), expected) < 1e-7

    # The committed file is what the script writes today.
    spec = importlib.util.spec_from_file_location("make_gan_checks", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    fresh = script.make_checks()
    assert sorted(fresh) == sorted(answers)
    for key in answers:
        np.testing.assert_array_equal(fresh[key], answers[key])


def test_sample_noise():
    noise = gan.sample_noise(300, 4)
    assert torch.is_tensor(noise) and noise.shape == (300, 4)
    assert noise.min() >= -1 and noise.max() <= 1
    assert noise.min() < -0.9 and noise.max() > 0.9
    same = gan.sample_noise(3, 4, seed=7), gan.sample_noise(3, 4, seed=7)
    torch.testing.assert_close(*same, rtol=0, atol=0)
    assert not torch.equal(same[0], gan.sample_noise(3, 4, seed=8))


def test_get_optimizer_hyper_parameters():
    model = gan.discriminator()
    optimizer = gan.get_optimizer(model)
    assert isinstance(optimizer, torch.optim.Adam)
    (group,) = optimizer.param_groups
    assert group["lr"] == 1e-3 and tuple(group["betas"]) == (0.5, 0.999)
    assert {id(p) for p in group["params"]} == {id(p) for p in model.parameters()}


def test_helpers():
    x = torch.rand(2, 3, 4, 5)
    assert gan.Flatten()(x).shape == (2, 60)
    assert gan.Unflatten(-1, 3, 4, 5)(gan.Flatten()(x)).shape == (2, 3, 4, 5)
    torch.testing.assert_close(gan.deprocess_img(gan.preprocess_img(x)), x)
    assert gan.preprocess_img(torch.tensor([0.0, 1.0])).tolist() == [-1.0, 1.0]
    assert list(gan.ChunkSampler(3, start=5)) == [5, 6, 7]
    assert len(gan.ChunkSampler(3, start=5)) == 3

    figure = gan.show_images(np.zeros((5, 784)))
    assert isinstance(figure, matplotlib.figure.Figure)
    assert sum(ax.has_data() for ax in figure.axes) == 5


def tiny_loader(n=40, batch_size=16):
    images = torch.rand(n, 1, 28, 28)
    return DataLoader(TensorDataset(images, torch.zeros(n)), batch_size=batch_size)


def train_tiny(**kwargs):
    """Train small stand-ins for D and G for a few steps on random images."""
    torch.manual_seed(0)
    D = torch.nn.Sequential(gan.Flatten(), torch.nn.Linear(784, 1))
    G = torch.nn.Sequential(torch.nn.Linear(gan.NOISE_DIM, 784), torch.nn.Tanh())
    return gan.run_a_gan(
        D,
        G,
        gan.get_optimizer(D),
        gan.get_optimizer(G),
        gan.discriminator_loss,
        gan.generator_loss,
        tiny_loader(),
        batch_size=16,
        **kwargs,
    )


def test_run_a_gan_keeps_snapshots_and_writes_nothing_to_stderr(capfd, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    # 40 images in batches of 16: two full batches an epoch, the third is skipped.
    images = train_tiny(show_every=2, num_epochs=3)

    assert len(images) == 3  # iterations 0, 2 and 4 of 6
    for snapshot in images:
        assert isinstance(snapshot, np.ndarray) and snapshot.shape == (16, 784)
        assert snapshot.min() >= 0 and snapshot.max() <= 1
    out, err = capfd.readouterr()
    assert err == ""
    assert "Iteration 4: D loss" in out


def test_run_a_gan_records_the_losses_of_every_iteration(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    losses = []
    train_tiny(show_every=2, num_epochs=3, losses=losses)
    assert len(losses) == 6  # two full batches an epoch
    assert all(isinstance(d, float) and isinstance(g, float) for d, g in losses)


def test_run_a_gan_short_schedule_under_nbgrader(capfd, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(gan, "SHORT_SCHEDULE", 4)
    images = train_tiny(show_every=250, num_epochs=10)

    assert len(images) == 2  # iterations 0 and 2 of 4
    out, err = capfd.readouterr()
    assert err == ""
    assert "Grading run: 4 training iterations" in out


def test_run_a_gan_refuses_unknown_schedule():
    with pytest.raises(ValueError, match="schedule must be"):
        train_tiny(schedule="fast")
