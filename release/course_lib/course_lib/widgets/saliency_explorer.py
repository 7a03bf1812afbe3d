"""Where does a classifier look? Saliency maps of any image for any class.

The saliency map of an image for class y is |d s_y / d pixel|, maximal over the
colour channels (Simonyan et al. 2014): bright pixels are those whose change would
move the class score most. The explorer shows it for a chosen image and a chosen
class, which need not be the image's label: comparing the map of the correct class
with that of another class shows which parts of the picture speak for or against
each one. The model's top predictions are listed beside it.

The maps come from `compute_saliency_maps` as the notebook defines it, looked up
when they are drawn, so the explorer shows the student's implementation. Where
widgets cannot render, a static figure shows each image with its saliency for its
own class and the model's top predictions.
"""

import io

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib import net_visualization_pytorch
from course_lib.image_preprocessing import preprocess
from course_lib.widgets import choose, new_figure


class SaliencyExplorer:
    """Saliency maps and top predictions of a classifier on a few images.

    Inputs:
    - model: a classifier mapping normalized images (N, 3, H, W) to (N, C) scores,
      such as `load_pretrained()`.
    - X: uint8 array (N, H, W, 3) of images, as `load_imagenet_val` returns them.
    - y: int array (N,) of their labels.
    - class_names: mapping class index -> name, covering all C classes.
    - top_k: how many predictions to list.
    """

    def __init__(self, model, X, y, class_names, top_k=3):
        self.model = model
        self.X = np.asarray(X)
        self.y = [int(label) for label in y]
        self.class_names = dict(class_names)
        self.top_k = top_k
        self.inputs = torch.cat([preprocess(x) for x in self.X])  # (N, 3, H, W)
        self.image_menu = self.class_menu = self.picture = self.caption = None

    def predictions(self, index):
        """The top_k (class name, probability) pairs for image `index`."""
        self.model.eval()
        with torch.no_grad():
            scores = self.model(self.inputs[index : index + 1])[0]  # (C,)
        probs = torch.softmax(scores.double(), dim=0)
        top = torch.topk(probs, self.top_k)
        return [
            (self.class_names[int(c)], float(p))
            for p, c in zip(top.values, top.indices)
        ]

    def saliency(self, index, target):
        """(H, W) NumPy saliency of image `index` for class `target`."""
        compute = net_visualization_pytorch.compute_saliency_maps
        X = self.inputs[index : index + 1]
        y = torch.tensor([int(target)])
        return compute(X, y, self.model)[0].detach().cpu().numpy()

    def panels(self, index, target):
        """Image, saliency (scaled to [0, 1]) and overlay, side by side: an RGB
        array in [0, 1] of shape (H, 3 W + 2 gap, 3)."""
        image = self.X[index].astype(np.float64) / 255  # (H, W, 3)
        saliency = self.saliency(index, target)
        saliency = saliency / max(float(saliency.max()), 1e-12)  # (H, W)
        heat = plt.cm.hot(saliency)[..., :3]  # (H, W, 3)
        # Dim the picture and light up the salient pixels in the heat colours.
        alpha = saliency[..., None]
        overlay = (1 - alpha) * 0.4 * image + alpha * heat
        gap = np.ones((image.shape[0], 2, 3))
        return np.concatenate([image, gap, heat, gap, overlay], axis=1)

    def png(self, index, target, scale=4):
        """PNG bytes of `panels`, enlarged `scale` times, for an ipywidgets Image."""
        panels = np.kron(self.panels(index, target), np.ones((scale, scale, 1)))
        buffer = io.BytesIO()
        matplotlib.image.imsave(buffer, panels.clip(0, 1), format="png")
        return buffer.getvalue()

    def describe(self, index, target):
        """HTML: the image's label, the class shown, and the top predictions."""
        rows = "".join(
            f"<li>{name}: {100 * p:.1f} %</li>"
            for name, p in self.predictions(index)
        )
        return (
            f"Image {index}, labelled <b>{self.class_names[self.y[index]]}</b>; "
            f"saliency for <b>{self.class_names[int(target)]}</b> "
            f"(picture, saliency, overlay).<br>Top predictions:<ol>{rows}</ol>"
        )

    def figure(self, indices=None):
        """A static figure: per image, the picture titled with its label, and its
        saliency for that label titled with the top predictions."""
        indices = range(min(len(self.X), 5)) if indices is None else list(indices)
        n = len(indices)
        figure = new_figure((2.4 * n, 5.4))
        axes = figure.subplots(2, n, squeeze=False)
        for column, i in enumerate(indices):
            axes[0, column].imshow(self.X[i])
            axes[0, column].set_title(self.class_names[self.y[i]], fontsize=9)
            axes[1, column].imshow(self.saliency(i, self.y[i]), cmap="hot")
            top = "\n".join(f"{name} {100 * p:.0f}%"
                            for name, p in self.predictions(i))
            axes[1, column].set_title(top, fontsize=8)
            for ax in axes[:, column]:
                ax.axis("off")
        figure.suptitle("Saliency for the correct class, with the top predictions")
        figure.tight_layout()
        return figure

    def widget(self):
        """Menus for the image and the class above the pictures and predictions."""
        import ipywidgets as widgets

        self.image_menu = widgets.Dropdown(
            options=[
                (f"{i}: {self.class_names[label]}", i)
                for i, label in enumerate(self.y)
            ],
            value=0,
            description="image",
        )
        self.class_menu = widgets.Dropdown(
            options=[(name, c) for c, name in sorted(self.class_names.items())],
            value=self.y[0],
            description="class",
        )
        self.picture = widgets.Image(format="png")
        self.caption = widgets.HTML()

        def redraw(_=None):
            index, target = self.image_menu.value, self.class_menu.value
            self.picture.value = self.png(index, target)
            self.caption.value = self.describe(index, target)

        def new_image(change):
            # A new image starts from its own class; redraw once either way.
            label = self.y[change["new"]]
            if self.class_menu.value != label:
                self.class_menu.value = label  # triggers redraw
            else:
                redraw()

        redraw()
        self.image_menu.observe(new_image, names="value")
        self.class_menu.observe(redraw, names="value")
        return widgets.VBox(
            [widgets.HBox([self.image_menu, self.class_menu]),
             self.picture, self.caption]
        )


def saliency_explorer(model, X, y, class_names, top_k=3, interactive=None):
    """Explore the saliency maps of `model` on the images X.

    Inputs:
    - model, X, y, class_names, top_k: as for SaliencyExplorer.
    - interactive: True for the menus (needs ipywidgets and a live notebook), False
      for the static figure; None (the default) chooses the menus only in a live
      Jupyter kernel that the autograder is not running.

    Returns an ipywidgets VBox, or a matplotlib Figure. Either shows when it is the
    last value of a notebook cell.
    """
    explorer = SaliencyExplorer(model, X, y, class_names, top_k)
    return choose(interactive, explorer.widget, explorer.figure)
