"""Pick an image and compare what people wrote about it with what the model writes.

The explorer shows an image of a split, its ground-truth captions and the caption
a trained CaptioningRNN (vanilla RNN or LSTM) writes for it. At temperature 0 that
is the model's own greedy `sample`; above 0, each word is drawn at random from the
softmax of the scores divided by the temperature,

    p(word) = softmax(scores / temperature),

so a low temperature stays close to the greedy caption and a high one wanders
into unlikely words. The random captions are written step by step with the
installed `rnn_step_forward` or `lstm_step_forward`, looked up when they run, so
the explorer shows the student's layers at work.

Interactively, a slider picks the image, another the temperature, and a button
draws new random captions; where widgets cannot render, a static figure shows a
few images with their greedy and ground-truth captions.
"""

import io

import matplotlib.image
import numpy as np

from course_lib import rnn_layers
from course_lib.coco_utils import decode_captions
from course_lib.image_utils import image_from_url
from course_lib.widgets import choose, new_figure


def sample_with_temperature(model, features, temperature, rng, max_length=30):
    """Random captions of a CaptioningRNN, each word drawn from
    softmax(scores / temperature).

    Inputs:
    - model: a CaptioningRNN, cell_type "rnn" or "lstm".
    - features: (N, D) image features.
    - temperature: > 0; lower is closer to the greedy caption.
    - rng: a NumPy Generator, for captions that can be drawn again.
    - max_length: words per caption.

    Returns (N, max_length) int word indices; after a caption's <END>, <NULL>.
    """
    if temperature <= 0:
        raise ValueError(
            f"temperature must be above 0, got {temperature}; temperature 0 is "
            f"the greedy caption of model.sample"
        )
    p = model.params
    N = features.shape[0]
    h = features @ p["W_proj"] + p["b_proj"]  # (N, H)
    c = np.zeros_like(h)  # (N, H), the LSTM's cell state
    word = np.full(N, model._start)  # (N,)
    done = np.zeros(N, dtype=bool)  # (N,)
    captions = np.full((N, max_length), model._null, dtype=np.int64)

    for t in range(max_length):
        # 1. One step of the network on the previous word.
        x = p["W_embed"][word]  # (N, W)
        if model.cell_type == "rnn":
            h, _ = rnn_layers.rnn_step_forward(x, h, p["Wx"], p["Wh"], p["b"])
        else:
            h, c, _ = rnn_layers.lstm_step_forward(x, h, c, p["Wx"], p["Wh"], p["b"])

        # 2. Draw the next word from the tempered softmax of its scores.
        scores = (h @ p["W_vocab"] + p["b_vocab"]) / temperature  # (N, V)
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)  # (N, V)
        word = np.array([rng.choice(len(row), p=row) for row in probs])  # (N,)

        # 3. Record it for the captions that have not ended.
        captions[~done, t] = word[~done]
        done |= word == model._end
        if done.all():
            break
    return captions


class CaptionExplorer:
    """Ground-truth and generated captions of a split's images.

    Inputs:
    - model: a trained CaptioningRNN.
    - data: the dictionary of `coco_utils.load_coco_data`.
    - split: "train" or "val".
    - images: indices of the split's images to offer; by default the first 8
      images that have captions in `data`.
    - max_length: the longest caption to write.
    - num_samples: random captions drawn at each temperature above 0.
    - seed: the random captions' seed; the button draws new ones.
    """

    def __init__(self, model, data, split="val", images=None, max_length=30,
                 num_samples=3, seed=0):  # fmt: skip
        self.model = model
        self.data = data
        self.split = split
        self.idx_to_word = data["idx_to_word"]
        with_captions = np.unique(data[f"{split}_image_idxs"])
        self.images = list(with_captions[:8] if images is None else images)
        self.max_length = max_length
        self.num_samples = num_samples
        self.rng = np.random.default_rng(seed)
        self.image_slider = self.temperature_slider = self.button = None
        self.picture = self.text = None

    def features(self, choice):
        """(1, D) features of the `choice`-th offered image."""
        return self.data[f"{self.split}_features"][self.images[choice]][None]

    def ground_truth(self, choice):
        """Every caption people wrote for the `choice`-th offered image."""
        image = self.images[choice]
        rows = self.data[f"{self.split}_image_idxs"] == image
        captions = self.data[f"{self.split}_captions"][rows]
        return [self._words(c) for c in decode_captions(captions, self.idx_to_word)]

    def generated(self, choice, temperature=0.0):
        """Captions of the model: the greedy one at temperature 0, else
        num_samples random ones."""
        features = self.features(choice)
        if temperature <= 0:
            rows = self.model.sample(features, max_length=self.max_length)
        else:
            features = np.repeat(features, self.num_samples, axis=0)
            rows = sample_with_temperature(
                self.model, features, temperature, self.rng, self.max_length
            )
        return [self._words(c) for c in decode_captions(rows, self.idx_to_word)]

    @staticmethod
    def _words(caption):
        """A decoded caption without its <START> and <END> tokens."""
        return " ".join(w for w in caption.split() if w not in ("<START>", "<END>"))

    def picture_of(self, choice):
        """The image as (H, W, 3) uint8, or None where it cannot be read."""
        return image_from_url(self.data[f"{self.split}_urls"][self.images[choice]])

    def png(self, choice, scale=2):
        """PNG bytes of the image, enlarged, for an ipywidgets Image."""
        image = self.picture_of(choice)
        if image is None:
            image = np.full((32, 32, 3), 200, dtype=np.uint8)  # a grey stand-in
        image = np.kron(image, np.ones((scale, scale, 1), dtype=np.uint8))
        buffer = io.BytesIO()
        matplotlib.image.imsave(buffer, image, format="png")
        return buffer.getvalue()

    def describe(self, choice, temperature):
        """HTML: the model's captions above the ground truth."""
        kind = "greedy" if temperature <= 0 else f"temperature {temperature:.1f}"
        captions = self.generated(choice, temperature)
        made = "".join(f"<li><b>{c}</b></li>" for c in captions)
        truth = "".join(f"<li>{c}</li>" for c in self.ground_truth(choice))
        image = self.images[choice]
        return (
            f"{self.split} image {image}. The model ({kind}):<ul>{made}</ul>"
            f"Written by people:<ul>{truth}</ul>"
        )

    def figure(self, count=4):
        """A static figure: `count` images titled with the greedy caption (bold
        line) and one ground-truth caption."""
        count = min(count, len(self.images))
        figure = new_figure((3.2 * count, 3.8))
        axes = figure.subplots(1, count, squeeze=False)[0]
        for choice, ax in enumerate(axes):
            image = self.picture_of(choice)
            if image is None:
                ax.text(0.5, 0.5, "image unavailable", ha="center", va="center")
            else:
                ax.imshow(image)
            made = self.generated(choice)[0]
            truth = self.ground_truth(choice)[0]
            ax.set_title(f"{made}\nGT: {truth}", fontsize=8, wrap=True)
            ax.axis("off")
        figure.suptitle(f"Greedy captions of {self.split} images (top line)")
        return figure

    def widget(self):
        """Sliders for the image and the temperature, a button for new draws."""
        import ipywidgets as widgets

        self.image_slider = widgets.IntSlider(
            value=0, min=0, max=len(self.images) - 1, description="image",
            continuous_update=False,
        )  # fmt: skip
        self.temperature_slider = widgets.FloatSlider(
            value=0.0, min=0.0, max=2.0, step=0.1, description="temperature",
            continuous_update=False, readout_format=".1f",
        )  # fmt: skip
        self.button = widgets.Button(description="draw again")
        self.picture = widgets.Image(format="png")
        self.text = widgets.HTML()

        def redraw(_=None):
            choice = self.image_slider.value
            self.picture.value = self.png(choice)
            self.text.value = self.describe(choice, self.temperature_slider.value)

        redraw()
        self.image_slider.observe(redraw, names="value")
        self.temperature_slider.observe(redraw, names="value")
        self.button.on_click(redraw)
        controls = [self.image_slider, self.temperature_slider, self.button]
        return widgets.VBox(
            [widgets.HBox(controls), widgets.HBox([self.picture, self.text])]
        )


def caption_explorer(model, data, split="val", images=None, max_length=30,
                     interactive=None):  # fmt: skip
    """Explore the captions a CaptioningRNN writes for a split's images.

    Inputs:
    - model, data, split, images, max_length: as for CaptionExplorer.
    - interactive: True for the sliders (needs ipywidgets and a live notebook),
      False for the static figure; None (the default) chooses the sliders only in
      a live Jupyter kernel that the autograder is not running.

    Returns an ipywidgets VBox, or a matplotlib Figure. Either shows when it is the
    last value of a notebook cell.
    """
    explorer = CaptionExplorer(model, data, split, images, max_length)
    return choose(interactive, explorer.widget, explorer.figure)
