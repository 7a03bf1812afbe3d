import matplotlib.figure
import numpy as np
import pytest
import torch

from course_lib.classifiers.transformer import CaptioningTransformer
from course_lib.coco_utils import load_coco_data
from course_lib.widgets.attention_explorer import (
    AttentionExplorer,
    attention_explorer,
    self_attention_weights,
)


@pytest.fixture(scope="module")
def data():
    return load_coco_data()


@pytest.fixture
def model(data):
    torch.manual_seed(231)
    model = CaptioningTransformer(
        data["word_to_idx"], input_dim=data["val_features"].shape[1], wordvec_dim=16,
        num_heads=2, num_layers=2, max_length=10,
    )  # fmt: skip
    with torch.no_grad():  # weights large enough for captions and maps to vary
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 1.0 / np.sqrt(p.shape[1]))
    return model.train()


def test_weights_are_causal_distributions_and_the_mode_is_restored(model, data):
    words = [model._start, 4, 5, 6, 7]
    weights = self_attention_weights(model, data["val_features"][0], words)
    assert weights.shape == (2, 2, 5, 5)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)
    assert np.all(np.triu(weights, k=1) == 0)  # no word attends to a later one
    assert model.training
    assert all(not m._forward_hooks for m in model.modules())


def test_weights_are_those_of_the_installed_forward(model, data, monkeypatch):
    """The explorer reads what `forward` hands to attn_drop, computing nothing."""
    from course_lib.transformer_layers import MultiHeadAttention

    def uniform(self, query, key, value, attn_mask=None):  # every key weighs 1/T
        N, S, E = query.shape
        T, h, d = key.shape[1], self.num_heads, self.head_dim
        weights = self.attn_drop(torch.full((N, h, S, T), 1.0 / T))
        v = self.value(value).view(N, T, h, d).transpose(1, 2)
        return self.proj((weights @ v).transpose(1, 2).reshape(N, S, E))

    monkeypatch.setattr(MultiHeadAttention, "forward", uniform)
    weights = self_attention_weights(model, data["val_features"][0], [model._start, 4, 5])
    np.testing.assert_allclose(weights, 1.0 / 3)


def test_sliders_change_the_picture_and_the_caption(model, data):
    explorer = AttentionExplorer(model, data, images=[0, 1, 2], max_length=6)
    box = explorer.widget()
    assert box.children  # the VBox holds the controls and the picture
    first = bytes(explorer.picture.value)
    assert first.startswith(b"\x89PNG")

    explorer.layer_slider.value = 1
    assert bytes(explorer.picture.value) != first
    after_layer = bytes(explorer.picture.value)
    explorer.head_slider.value = 1
    assert bytes(explorer.picture.value) != after_layer

    captions = set()
    for choice in range(3):
        explorer.image_slider.value = choice
        captions.add(explorer.caption_label.value)
        words, weights = explorer.read(choice)
        assert words[0] == "<START>" and "<END>" not in words
        assert weights.shape == (2, 2, len(words), len(words))
    assert len(captions) == 3  # each image has its own line


def test_static_fallback_outside_a_live_kernel(model, data, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    figure = attention_explorer(model, data, images=[3], max_length=5)
    assert isinstance(figure, matplotlib.figure.Figure)
    heat_maps = [ax for ax in figure.axes if ax.images and ax.get_title().startswith("layer")]
    assert len(heat_maps) == 2 * 2  # every layer and head
    assert model.training


def test_interactive_on_request(model, data):
    import ipywidgets

    box = attention_explorer(model, data, images=[0], max_length=4, interactive=True)
    assert isinstance(box, ipywidgets.VBox)
