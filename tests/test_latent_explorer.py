import matplotlib.figure
import numpy as np
import pytest
import torch
import torch.nn as nn

from course_lib import gan_pytorch as gan
from course_lib import widgets
from course_lib.widgets import latent_explorer as le

NOISE = 4


@pytest.fixture
def G():
    """A tiny generator with batch norm, so that evaluation mode matters."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(NOISE, 16), nn.ReLU(), nn.BatchNorm1d(16),
                          nn.Linear(16, 784), nn.Tanh())
    model(torch.rand(32, NOISE))  # running statistics that differ from the start
    return model.train()


def test_images_follow_the_straight_line_between_the_endpoints(G):
    explorer = le.LatentExplorer(G, NOISE, num_pairs=3, seed=7)
    a, b = explorer.start, explorer.end
    assert a.shape == b.shape == (3, NOISE)
    assert a.abs().max() <= 1 and b.abs().max() <= 1
    for t in (0.0, 0.3, 1.0):
        G.eval()
        with torch.no_grad():
            want = gan.deprocess_img(G((1 - t) * a + t * b)).reshape(3, 28, 28).numpy()
        G.train()
        np.testing.assert_allclose(explorer.images(t), want, atol=1e-6)
    assert G.training  # put back in the mode it was in


def test_endpoints_depend_on_the_seed_only_and_leave_torch_random_state_alone(G):
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    first = le.LatentExplorer(G, NOISE, seed=5)
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)
    again = le.LatentExplorer(G, NOISE, seed=5)
    other = le.LatentExplorer(G, NOISE, seed=6)
    assert torch.equal(first.start, again.start) and torch.equal(first.end, again.end)
    assert not torch.equal(first.start, other.start)


def test_sliders_drive_the_picture(G):
    explorer = le.LatentExplorer(G, NOISE, num_pairs=4, seed=0)
    box = explorer.widget()
    assert explorer.t_slider in box.children[0].children
    at_start = explorer.image.value
    assert at_start[:8] == b"\x89PNG\r\n\x1a\n"

    explorer.t_slider.value = 1.0
    at_end = explorer.image.value
    assert at_end != at_start
    assert at_end == explorer.png(1.0)
    assert "1.00 z<sub>b</sub>" in explorer.caption.value

    old_start = explorer.start.clone()
    explorer.seed_slider.value = 3
    assert explorer.seed == 3 and not torch.equal(explorer.start, old_start)
    assert explorer.image.value not in (at_start, at_end)
    assert "seed 3" in explorer.caption.value


def test_strip_lays_the_digits_side_by_side(G):
    strip = le.LatentExplorer(G, NOISE, num_pairs=3).strip(0.5, scale=2)
    assert strip.shape == (2 * 28, 2 * (3 * 30 - 2))
    assert strip.min() >= 0 and strip.max() <= 1


def test_static_figure_has_one_walk_per_row(G):
    figure = le.latent_explorer(G, NOISE, num_pairs=2, steps=5, interactive=False)
    assert isinstance(figure, matplotlib.figure.Figure)
    assert len(figure.axes) == 10 and all(ax.has_data() for ax in figure.axes)
    # The first and last columns are the endpoints.
    explorer = le.LatentExplorer(G, NOISE, num_pairs=2)
    first = figure.axes[0].images[0].get_array()
    np.testing.assert_allclose(first, explorer.images(0.0)[0], atol=1e-6)


def test_auto_mode_is_static_outside_a_live_kernel_and_under_the_autograder(G, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not widgets.in_live_kernel()  # pytest is no Jupyter kernel
    assert isinstance(le.latent_explorer(G, NOISE, num_pairs=1, steps=2),
                      matplotlib.figure.Figure)

    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    box = le.latent_explorer(G, NOISE, num_pairs=1)
    assert type(box).__name__ == "VBox"


def test_the_autograder_never_gets_widgets(monkeypatch):
    import IPython

    class Shell:
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert widgets.in_live_kernel()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert not widgets.in_live_kernel()
