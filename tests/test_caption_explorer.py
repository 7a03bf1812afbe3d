"""The caption explorer: greedy and tempered captions, its widget, its fallback."""

import sys
import types

import matplotlib.figure
import numpy as np
import pytest
from PIL import Image

from course_lib import rnn_layers, widgets
from course_lib.classifiers.rnn import CaptioningRNN
from course_lib.widgets import caption_explorer as ce

WORDS = ["<NULL>", "<START>", "<END>", "a", "red", "blue", "circle", "square"]
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
    }


@pytest.fixture(params=["rnn", "lstm"])
def model(request, data):
    np.random.seed(0)
    return CaptioningRNN(data["word_to_idx"], input_dim=D, wordvec_dim=5,
                         hidden_dim=7, cell_type=request.param,
                         dtype=np.float64)  # fmt: skip


def test_a_cold_temperature_gives_the_greedy_caption(model, data):
    features = data["val_features"].astype(np.float64)
    greedy = model.sample(features, max_length=5)
    rng = np.random.default_rng(1)
    cold = ce.sample_with_temperature(model, features, 1e-9, rng, max_length=5)
    np.testing.assert_array_equal(cold, greedy)


def test_random_captions_repeat_with_the_seed_and_use_the_installed_layers(
    model, data, monkeypatch
):
    calls = []
    for name in ("rnn_step_forward", "lstm_step_forward"):
        real = getattr(rnn_layers, name)
        monkeypatch.setattr(rnn_layers, name,
                            lambda *a, real=real: calls.append(1) or real(*a))  # fmt: skip
    features = np.repeat(data["val_features"][:1], 20, axis=0)
    first, again = (
        ce.sample_with_temperature(model, features, 5.0, np.random.default_rng(3))
        for _ in range(2)
    )
    np.testing.assert_array_equal(first, again)
    assert len({tuple(row) for row in first}) > 1  # hot: the rows differ
    assert calls  # the student's step function wrote them
    with pytest.raises(ValueError, match="greedy"):
        ce.sample_with_temperature(model, features, 0.0, np.random.default_rng())


def test_ground_truth_is_every_caption_of_the_image(model, data):
    explorer = ce.CaptionExplorer(model, data)
    assert explorer.images == [0, 1, 2]
    assert explorer.ground_truth(1) == ["a blue square", "blue square"]


def test_sliders_and_button_drive_the_picture_and_the_captions(model, data):
    explorer = ce.CaptionExplorer(model, data, num_samples=4)
    box = explorer.widget()
    assert explorer.image_slider in box.children[0].children
    first_picture = explorer.picture.value
    assert first_picture[:8] == b"\x89PNG\r\n\x1a\n"
    assert "greedy" in explorer.text.value and "a red circle" in explorer.text.value

    explorer.image_slider.value = 1
    assert explorer.picture.value != first_picture  # a blue picture
    assert "a blue square" in explorer.text.value

    explorer.temperature_slider.value = 1.5
    text = explorer.text.value
    assert "temperature 1.5" in text and text.count("<li><b>") == 4
    state = explorer.rng.bit_generator.state
    explorer.button.click()
    assert explorer.rng.bit_generator.state != state  # new captions drawn


def test_outside_a_live_kernel_a_static_figure(model, data):
    figure = ce.caption_explorer(model, data)
    assert isinstance(figure, matplotlib.figure.Figure)
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 3 and all("GT: " in t for t in titles)


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
