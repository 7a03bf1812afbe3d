"""Look at where a captioning Transformer's words attend while it writes a caption.

The explorer picks an image, lets the model write its caption greedily, and reads the
caption back through the model once, recording the self-attention weights of every
layer and head: row t of a head's (T, T) map is how the word read at step t spreads
its attention over itself and the words before it (the causal mask hides the later
ones). The cross-attention is not shown: with the image as a single memory token,
each of its weights is 1.

The weights are recorded where every `MultiHeadAttention` hands them to its dropout,
`attn_drop` (a forward hook on that module), so the explorer shows what the installed
`forward` computes without computing attention itself. In evaluation mode the dropout
changes nothing.

Interactively, sliders choose the image, the layer and the head; where widgets cannot
render, a static figure shows every layer and head for one image.
"""

import io

import numpy as np
import torch

from course_lib.image_utils import image_from_url
from course_lib.widgets import choose, new_figure


def self_attention_weights(model, features, words):
    """The self-attention weights of every decoder layer for one caption.

    Inputs:
    - model: a CaptioningTransformer.
    - features: (D,) the image's features, NumPy or tensor.
    - words: (T,) word indices the model reads, starting with <START>.

    Returns a NumPy array (L, h, T, T): layer, head, query position, key position.
    The model runs once in evaluation mode without a graph, and is put back in the
    mode it was in.
    """
    layers = model.transformer.layers
    recorded = [[] for _ in layers]
    hooks = [
        layer.self_attn.attn_drop.register_forward_hook(
            lambda module, inputs, output, i=i: recorded[i].append(inputs[0].detach())
        )
        for i, layer in enumerate(layers)
    ]
    device = model.output.weight.device
    features = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    features = features.to(device)  # (D,)
    words = torch.as_tensor(np.asarray(words), dtype=torch.long, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(features[None], words[None])  # (1, T, V), not needed
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return np.stack([_heads(calls, len(words)) for calls in recorded])  # (L, h, T, T)


def _heads(calls, T):
    """(h, T, T) weights of one layer from what its attn_drop received."""
    if len(calls) == 1 and calls[0].dim() == 4:  # all heads at once: (1, h, T, T)
        weights = calls[0][0]
    elif calls and all(c.dim() == 3 for c in calls):  # one call a head: (1, T, T)
        weights = torch.stack([c[0] for c in calls])
    else:
        shapes = [tuple(c.shape) for c in calls]
        raise ValueError(
            f"self.attn_drop received tensors of shapes {shapes}; the explorer reads "
            f"the attention weights there, shaped (N, h, S, T). Apply attn_drop to "
            f"the weights right after the softmax."
        )
    if weights.shape[-2:] != (T, T):
        raise ValueError(
            f"attention weights of shape {tuple(weights.shape)} for a caption of {T} "
            f"words; expected (h, {T}, {T})"
        )
    return weights.cpu().double().numpy()


class AttentionExplorer:
    """Captions of some images of a split and the self-attention behind each word.

    Inputs:
    - model: a trained CaptioningTransformer.
    - data: the dictionary of `coco_utils.load_coco_data`.
    - split: "val" or "train", where the images come from.
    - images: indices of the split's images to offer; the first 8 by default.
    - max_length: the longest caption to write.

    Captions and weights are computed once per image and kept.
    """

    def __init__(self, model, data, split="val", images=None, max_length=30):
        self.model = model
        self.data = data
        self.split = split
        num_images = len(data[f"{split}_features"])
        if images is None:
            images = range(min(8, num_images))
        self.images = list(images)
        self.max_length = max_length
        self.idx_to_word = data["idx_to_word"]
        self._cache = {}
        self.image_slider = self.layer_slider = self.head_slider = None
        self.picture = self.caption_label = None

    @property
    def num_layers(self):
        return len(self.model.transformer.layers)

    @property
    def num_heads(self):
        return self.model.transformer.layers[0].self_attn.num_heads

    def read(self, choice):
        """(words, weights) for the `choice`-th offered image: the T words the model
        reads (<START> and its caption, without the final <END>) and their
        self-attention weights (L, h, T, T)."""
        if choice not in self._cache:
            features = self.data[f"{self.split}_features"][self.images[choice]]  # (D,)
            sampled = self.model.sample(features[None], max_length=self.max_length)[0]
            words = [self.model._start]
            for index in sampled:
                if self.idx_to_word[index] == "<END>":
                    break
                words.append(int(index))
            weights = self_attention_weights(self.model, features, words)
            self._cache[choice] = ([self.idx_to_word[i] for i in words], weights)
        return self._cache[choice]

    def picture_of(self, choice):
        """The image as (H, W, 3) uint8, or None where it cannot be read."""
        return image_from_url(self.data[f"{self.split}_urls"][self.images[choice]])

    def _heat_map(self, ax, weights, words, title):
        ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
        ticks = np.arange(len(words))
        ax.set_xticks(ticks, words, rotation=90, fontsize=7)
        ax.set_yticks(ticks, words, fontsize=7)
        ax.set_title(title, fontsize=9)

    def _image_panel(self, ax, choice, words):
        image = self.picture_of(choice)
        if image is None:
            ax.text(0.5, 0.5, "image unavailable", ha="center", va="center")
        else:
            ax.imshow(image)
        ax.set_title(" ".join(words[1:]) or "(empty caption)", fontsize=9, wrap=True)
        ax.axis("off")

    def figure(self, choice=0, layer=0, head=0):
        """The image with its caption and one head's map, side by side."""
        words, weights = self.read(choice)
        fig = new_figure((10, 4.5), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.3])
        self._image_panel(left, choice, words)
        self._heat_map(
            right, weights[layer, head], words,
            f"layer {layer}, head {head}: row = word read, column = word attended",
        )  # fmt: skip
        fig.colorbar(right.images[0], ax=right, shrink=0.8, label="attention weight")
        return fig

    def overview(self, choice=0):
        """A static figure: the image, then every layer (rows) and head (columns)."""
        words, weights = self.read(choice)
        L, h = self.num_layers, self.num_heads
        size = (3.2 * (h + 1), 3.2 * L)
        fig = new_figure(size, layout="constrained")
        axes = fig.subplots(L, h + 1, squeeze=False)
        self._image_panel(axes[0, 0], choice, words)
        for layer in range(L):
            if layer > 0:
                axes[layer, 0].axis("off")
            for head in range(h):
                self._heat_map(
                    axes[layer, head + 1], weights[layer, head], words,
                    f"layer {layer}, head {head}",
                )  # fmt: skip
        fig.suptitle("Self-attention: row = word read, column = word attended")
        return fig

    def png(self, choice, layer, head):
        """PNG bytes of `figure(choice, layer, head)`, for an ipywidgets Image."""
        buffer = io.BytesIO()
        self.figure(choice, layer, head).savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def widget(self):
        """Sliders for the image, the layer and the head, above the picture."""
        import ipywidgets as widgets

        def slider(description, count):
            return widgets.IntSlider(
                value=0, min=0, max=count - 1, description=description,
                continuous_update=False,
            )  # fmt: skip

        self.image_slider = slider("image", len(self.images))
        self.layer_slider = slider("layer", self.num_layers)
        self.head_slider = slider("head", self.num_heads)
        self.picture = widgets.Image(format="png")
        self.caption_label = widgets.HTML()

        def redraw(_=None):
            choice = self.image_slider.value
            layer, head = self.layer_slider.value, self.head_slider.value
            self.picture.value = self.png(choice, layer, head)
            caption = " ".join(self.read(choice)[0][1:])
            image = self.images[choice]
            self.caption_label.value = f"{self.split} image {image}: <b>{caption}</b>"

        redraw()
        for control in (self.image_slider, self.layer_slider, self.head_slider):
            control.observe(redraw, names="value")
        controls = [self.image_slider, self.layer_slider, self.head_slider]
        return widgets.VBox([widgets.HBox(controls), self.caption_label, self.picture])


def attention_explorer(model, data, split="val", images=None, max_length=30,
                       interactive=None):  # fmt: skip
    """Explore the self-attention of a captioning Transformer on a split's images.

    Inputs:
    - model, data, split, images, max_length: as for AttentionExplorer.
    - interactive: True for the sliders (needs ipywidgets and a live notebook),
      False for the static figure of the first image; None (the default) chooses
      the sliders only in a live Jupyter kernel that the autograder is not running.

    Returns an ipywidgets VBox, or a matplotlib Figure. Either shows when it is the
    last value of a notebook cell.
    """
    explorer = AttentionExplorer(model, data, split, images, max_length)
    return choose(interactive, explorer.widget, explorer.overview)
