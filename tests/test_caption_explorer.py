"""The caption explorer: the model's captions beside people's, its widget, its
static fallback."""

import sys
import types

import matplotlib.figure
import numpy as np
import pytest
from PIL import Image

from course_lib import widgets
from course_lib.classifiers.rnn import CaptioningRNN
from course_lib.widgets import caption_explorer as ce

WORDS = ["<NULL>", "<START>", "<END>", "a", "red", "blue", "circle", "square",
         "green"]  # fmt: skip
D = 6


@pytest.fixture
def data(tmp_path):
    """Three images with two captions each, the images as PNG files."""
    word_to_idx = {w: i for i, w in enumerate(WORDS)}

    def caption(*words):
        row = [1] + [word_to_idx[w] for w in words] + [2]
        return row + [0] * (6 - len(row))

    captions = [
        caption("a", "red", "circle"), caption("red", "circle"),
        caption("a", "blue", "square"), caption("blue", "square"),
        caption("a", "red", "square"), caption("red", "square"),
    ]  # fmt: skip
    urls = []
    for i, colour in enumerate([(200, 0, 0), (0, 0, 200), (200, 0, 0)]):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (8, 8), colour).save(path)
        urls.append(str(path))
    rng = np.random.default_rng(0)
    return {
        "word_to_idx": word_to_idx,
        "idx_to_word": dict(enumerate(WORDS)),
        "val_captions": np.array(captions, dtype=np.int32),
        "val_image_idxs": np.array([0, 0, 1, 1, 2, 2], dtype=np.int32),
        "val_features": rng.standard_normal((3, D)).astype(np.float32),
        "val_urls": np.array(urls),
        "train_captions": np.array(
            [caption("red", "square"), caption("a", "green", "circle")], dtype=np.int32
        ),
        "train_image_idxs": np.array([0, 1], dtype=np.int32),
        "train_features": rng.standard_normal((2, D)).astype(np.float32),
        "train_urls": np.array(urls[:2]),
    }


@pytest.fixture(params=["rnn", "lstm"])
def model(request, data):
    np.random.seed(0)
    return CaptioningRNN(data["word_to_idx"], input_dim=D, wordvec_dim=5,
                         hidden_dim=7, cell_type=request.param,
                         dtype=np.float64)  # fmt: skip


def test_ground_truth_is_every_caption_of_the_image(model, data):
    explorer = ce.CaptionExplorer(model, data)
    assert explorer.images == {"train": [0, 1], "val": [0, 1, 2]}
    assert explorer.ground_truth("val", 1) == ["a blue square", "blue square"]


def test_the_caption_is_the_installed_sample(model, data, monkeypatch):
    calls = []

    def sample(self, features, max_length=30):
        calls.append(features.shape)
        return np.array([[3, 5, 7, 2, 0]])  # a blue square <END> <NULL>

    monkeypatch.setattr(CaptioningRNN, "sample", sample)
    explorer = ce.CaptionExplorer(model, data)
    assert explorer.generated("val", 2) == "a blue square"
    explorer.generated("val", 2)
    assert calls == [(1, D)]  # written once, then kept


def test_the_menu_and_the_slider_drive_the_picture_and_the_captions(model, data):
    explorer = ce.CaptionExplorer(model, data)
    box = explorer.widget()
    assert explorer.image_slider in box.children[0].children
    first_picture = explorer.picture.value
    assert first_picture[:8] == b"\x89PNG\r\n\x1a\n"
    assert "val image 0" in explorer.text.value
    assert "a red circle" in explorer.text.value
    greedy = explorer.generated("val", 0)
    assert f"<b>{greedy}</b>" in explorer.text.value

    explorer.image_slider.value = 2
    explorer.image_slider.value = 1
    assert explorer.picture.value != first_picture  # a blue picture
    assert "a blue square" in explorer.text.value

    explorer.split_menu.value = "train"
    assert explorer.image_slider.max == 1
    assert "train image 1" in explorer.text.value
    assert "a green circle" in explorer.text.value


def test_outside_a_live_kernel_a_static_figure(model, data):
    figure = ce.caption_explorer(model, data)
    assert isinstance(figure, matplotlib.figure.Figure)
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 3 and all("GT: " in t for t in titles)
    assert titles[1].endswith("\nGT: a blue square")


def test_in_colab_the_widget_manager_is_switched_on(model, data, monkeypatch):
    enabled = []
    output = types.SimpleNamespace(
        enable_custom_widget_manager=lambda: enabled.append(1)
    )
    colab = types.ModuleType("google.colab")
    colab.output = output
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    box = ce.caption_explorer(model, data)
    assert type(box).__name__ == "VBox" and enabled == [1]
