"""Pick an image and compare what people wrote about it with what the model writes.

The explorer shows an image, the captions people wrote for it and the caption a
trained CaptioningRNN (vanilla RNN or LSTM) writes with its `sample`, looked up
when it runs, so the explorer shows the student's code at work. A menu switches
between training images, which a small model has memorised, and validation
images, which it never saw.

Interactively, a slider picks the image and a menu the split; where widgets cannot
render, a static figure shows a few images of one split with their captions.
"""

import io
import textwrap

import matplotlib.image
import numpy as np

from course_lib.coco_utils import decode_captions
from course_lib.image_utils import image_from_url
from course_lib.widgets import choose, new_figure


class CaptionExplorer:
    """Ground-truth and generated captions of images of both splits.

    Inputs:
    - model: a trained CaptioningRNN.
    - data: the dictionary of `coco_utils.load_coco_data`.
    - split: the split shown first, "train" or "val".
    - count: how many images of each split to offer: the first ones that have
      captions in `data`.
    - max_length: the longest caption to write.

    The model's captions are written once per image and kept.
    """

    SPLITS = ("train", "val")

    def __init__(self, model, data, split="val", count=8, max_length=30):
        if split not in self.SPLITS:
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        self.model = model
        self.data = data
        self.split = split
        self.idx_to_word = data["idx_to_word"]
        self.images = {
            s: list(np.unique(data[f"{s}_image_idxs"])[:count])
            for s in self.SPLITS
            if f"{s}_image_idxs" in data
        }
        self.max_length = max_length
        self._generated = {}
        self.image_slider = self.split_menu = self.picture = self.text = None

    def _image(self, split, choice):
        return self.images[split][choice]

    def ground_truth(self, split, choice):
        """Every caption people wrote for the `choice`-th offered image."""
        rows = self.data[f"{split}_image_idxs"] == self._image(split, choice)
        captions = self.data[f"{split}_captions"][rows]
        return [_words(c) for c in decode_captions(captions, self.idx_to_word)]

    def generated(self, split, choice):
        """The model's greedy caption of the `choice`-th offered image."""
        key = (split, choice)
        if key not in self._generated:
            features = self.data[f"{split}_features"][self._image(split, choice)]
            row = self.model.sample(features[None], max_length=self.max_length)
            self._generated[key] = _words(decode_captions(row, self.idx_to_word)[0])
        return self._generated[key]

    def picture_of(self, split, choice):
        """The image as (H, W, 3) uint8, or None where it cannot be read."""
        return image_from_url(self.data[f"{split}_urls"][self._image(split, choice)])

    def png(self, split, choice, scale=2):
        """PNG bytes of the image, enlarged, for an ipywidgets Image."""
        image = self.picture_of(split, choice)
        if image is None:
            image = np.full((32, 32, 3), 200, dtype=np.uint8)  # a grey stand-in
        image = np.kron(image, np.ones((scale, scale, 1), dtype=np.uint8))
        buffer = io.BytesIO()
        matplotlib.image.imsave(buffer, image, format="png")
        return buffer.getvalue()

    def describe(self, split, choice):
        """HTML: the model's caption above the ground truth."""
        truth = "".join(f"<li>{c}</li>" for c in self.ground_truth(split, choice))
        return (
            f"{split} image {self._image(split, choice)}<br>"
            f"The model writes: <b>{self.generated(split, choice)}</b><br>"
            f"People wrote:<ul>{truth}</ul>"
        )

    def figure(self, count=4):
        """A static figure: `count` images of the first split, each titled with
        the model's caption above one ground-truth caption (GT)."""
        split = self.split
        count = min(count, len(self.images[split]))
        figure = new_figure((3.2 * count, 4.4), layout="constrained")
        axes = figure.subplots(1, count, squeeze=False)[0]
        for choice, ax in enumerate(axes):
            image = self.picture_of(split, choice)
            if image is None:
                ax.text(0.5, 0.5, "image unavailable", ha="center", va="center")
            else:
                ax.imshow(image)
            made = textwrap.fill(self.generated(split, choice), 36)
            truth = textwrap.fill("GT: " + self.ground_truth(split, choice)[0], 36)
            ax.set_title(f"{made}\n{truth}", fontsize=8)
            ax.axis("off")
        figure.suptitle(f"The model's captions of {split} images, above people's (GT)")
        return figure

    def widget(self):
        """A menu for the split and a slider for the image, above the captions."""
        import ipywidgets as widgets

        self.split_menu = widgets.Dropdown(
            options=[("training images", "train"), ("validation images", "val")],
            value=self.split, description="split",
        )  # fmt: skip
        self.image_slider = widgets.IntSlider(
            value=0, min=0, max=len(self.images[self.split]) - 1,
            description="image", continuous_update=False,
        )  # fmt: skip
        self.picture = widgets.Image(format="png")
        self.text = widgets.HTML()

        def redraw(_=None):
            split = self.split_menu.value
            self.image_slider.max = len(self.images[split]) - 1
            choice = min(self.image_slider.value, self.image_slider.max)
            self.picture.value = self.png(split, choice)
            self.text.value = self.describe(split, choice)

        redraw()
        self.split_menu.observe(redraw, names="value")
        self.image_slider.observe(redraw, names="value")
        return widgets.VBox(
            [
                widgets.HBox([self.split_menu, self.image_slider]),
                widgets.HBox([self.picture, self.text]),
            ]
        )


def _words(caption):
    """A decoded caption without its <START> and <END> tokens."""
    return " ".join(w for w in caption.split() if w not in ("<START>", "<END>"))


def caption_explorer(model, data, split="val", count=8, max_length=30,
                     interactive=None):  # fmt: skip
    """Explore the captions a CaptioningRNN writes for images of both splits.

    Inputs:
    - model, data, split, count, max_length: as for CaptionExplorer.
    - interactive: True for the menu and slider (needs ipywidgets and a live
      notebook), False for the static figure of `split`; None (the default)
      chooses the widget only in a live Jupyter kernel that the autograder is not
      running.

    Returns an ipywidgets VBox, or a matplotlib Figure. Either shows when it is the
    last value of a notebook cell.
    """
    explorer = CaptionExplorer(model, data, split, count, max_length)
    return choose(interactive, explorer.widget, explorer.figure)
