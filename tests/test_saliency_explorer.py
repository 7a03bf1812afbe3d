import matplotlib.figure
import numpy as np
import pytest
import torch
from torch import nn

from course_lib import net_visualization_pytorch as nv
from course_lib.image_preprocessing import preprocess
from course_lib import widgets
from course_lib.widgets import saliency_explorer as se

N, C, S = 4, 5, 8
NAMES = {c: f"class {c}" for c in range(C)}


@pytest.fixture
def model():
    """A tiny frozen conv net on 8x8 images."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.Flatten(),
                        nn.Linear(4 * S * S, C))
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


@pytest.fixture
def images(rng):
    X = rng.integers(0, 256, size=(N, S, S, 3), dtype=np.uint8)
    y = np.array([3, 0, 4, 1])
    return X, y


def test_saliency_and_predictions_come_from_the_model(model, images):
    X, y = images
    explorer = se.SaliencyExplorer(model, X, y, NAMES, top_k=3)
    x = preprocess(X[2])
    want = nv.compute_saliency_maps(x, torch.tensor([1]), model)[0].numpy()
    np.testing.assert_allclose(explorer.saliency(2, 1), want)

    top = explorer.predictions(2)
    probs = torch.softmax(model(x)[0].double(), dim=0)
    assert [name for name, _ in top] == [NAMES[int(c)] for c in probs.argsort()[-3:]
                                         .flip(0)]
    assert top[0][1] >= top[1][1] >= top[2][1]
    assert sum(p for _, p in top) <= 1 + 1e-9


def test_the_notebook_implementation_is_the_one_shown(model, images, monkeypatch):
    X, y = images
    explorer = se.SaliencyExplorer(model, X, y, NAMES)
    monkeypatch.setattr(nv, "compute_saliency_maps",
                        lambda X, y, model: torch.ones(len(X), S, S) * 7)
    np.testing.assert_array_equal(explorer.saliency(0, 0), np.full((S, S), 7.0))


def test_panels_show_image_saliency_and_overlay(model, images):
    X, y = images
    panels = se.SaliencyExplorer(model, X, y, NAMES).panels(1, 0)
    assert panels.shape == (S, 3 * S + 4, 3)
    assert panels.min() >= 0 and panels.max() <= 1
    np.testing.assert_allclose(panels[:, :S], X[1] / 255)


def test_menus_drive_the_picture_and_predictions(model, images):
    X, y = images
    explorer = se.SaliencyExplorer(model, X, y, NAMES)
    box = explorer.widget()
    assert explorer.image_menu in box.children[0].children
    first = explorer.picture.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == explorer.png(0, 3)
    assert "labelled <b>class 3</b>" in explorer.caption.value

    # Another class for the same image: a new map, the same predictions.
    explorer.class_menu.value = 2
    assert explorer.picture.value == explorer.png(0, 2) != first
    assert "saliency for <b>class 2</b>" in explorer.caption.value

    # Another image: the class follows its label, the predictions follow it.
    explorer.image_menu.value = 2
    assert explorer.class_menu.value == 4
    assert explorer.picture.value == explorer.png(2, 4)
    top = explorer.predictions(2)[0][0]
    assert f"<li>{top}:" in explorer.caption.value
    assert "Image 2, labelled <b>class 4</b>" in explorer.caption.value


def test_static_figure_under_the_autograder(model, images, monkeypatch):
    X, y = images
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    figure = se.saliency_explorer(model, X, y, NAMES)
    assert isinstance(figure, matplotlib.figure.Figure)
    assert len(figure.axes) == 2 * N and all(ax.has_data() for ax in figure.axes)
    assert figure.axes[0].get_title() == "class 3"
    assert "%" in figure.axes[N].get_title()


def test_interactive_flag_chooses_the_widget(model, images):
    import ipywidgets

    X, y = images
    box = se.saliency_explorer(model, X, y, NAMES, interactive=True)
    assert isinstance(box, ipywidgets.VBox)
    assert not widgets.in_live_kernel()  # pytest is no Jupyter kernel
