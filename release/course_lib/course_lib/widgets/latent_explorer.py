"""Walk a generator's noise space between two points and watch its digits change.

A trained generator maps every noise vector to an image. Draw two noise vectors z_a
and z_b and follow the straight line z(t) = (1 - t) z_a + t z_b from t = 0 to 1:
where the generator has learned a smooth map, the digit morphs gradually, one
stroke at a time, instead of flickering between unrelated pictures.

The explorer shows a row of such walks side by side, one per pair of endpoints.
Interactively, a slider moves t and another draws new endpoints; where widgets
cannot render it draws a static grid instead, one walk per row, t across.
"""

import io

import matplotlib.image
import numpy as np
import torch

from course_lib.gan_pytorch import NOISE_DIM, deprocess_img
from course_lib.widgets import choose, new_figure


class LatentExplorer:
    """Images of a generator along straight lines between pairs of noise vectors.

    Inputs:
    - G: a generator mapping (P, noise_dim) noise to (P, 784) images in [-1, 1].
    - noise_dim: the size of its noise input.
    - num_pairs: P, the number of walks shown side by side.
    - seed: which endpoints to draw; the same seed draws the same ones.

    The endpoints are uniform in (-1, 1), like the training noise, and drawn with a
    private random generator, so the notebook's random numbers are left alone. The
    generator runs in evaluation mode (batch norm uses its running statistics, so
    an image does not depend on the others drawn with it) and is put back in the
    mode it was in.
    """

    def __init__(self, G, noise_dim=NOISE_DIM, num_pairs=6, seed=0):
        self.G = G
        self.noise_dim = noise_dim
        self.num_pairs = num_pairs
        self.set_seed(seed)
        self.t_slider = self.seed_slider = self.image = self.caption = None

    def set_seed(self, seed):
        """Draw the endpoints z_a and z_b of every walk: two (P, noise_dim) tensors."""
        self.seed = int(seed)
        generator = torch.Generator().manual_seed(self.seed)
        shape = (2, self.num_pairs, self.noise_dim)
        ends = 2 * torch.rand(shape, generator=generator) - 1
        self.start, self.end = ends[0], ends[1]  # (P, noise_dim) each

    def noise(self, t):
        """(P, noise_dim) points a fraction t of the way from z_a to z_b."""
        return (1 - t) * self.start + t * self.end

    def images(self, t):
        """(P, 28, 28) NumPy images in [0, 1] at position t of every walk."""
        was_training = self.G.training
        parameter = next(self.G.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
        self.G.eval()
        try:
            with torch.no_grad():
                fake = self.G(self.noise(t).to(device))  # (P, 784)
        finally:
            self.G.train(was_training)
        return deprocess_img(fake).clamp(0, 1).reshape(-1, 28, 28).cpu().numpy()

    def strip(self, t, scale=4):
        """The P images at position t side by side, enlarged: a 2-D array in [0, 1]."""
        images = self.images(t)  # (P, 28, 28)
        gap = np.ones((28, 2))  # a thin white line between digits
        row = np.concatenate([np.hstack([image, gap]) for image in images], axis=1)
        return np.kron(row[:, :-2], np.ones((scale, scale)))

    def png(self, t):
        """PNG bytes of `strip(t)`, for an ipywidgets Image."""
        buffer = io.BytesIO()
        matplotlib.image.imsave(buffer, self.strip(t), cmap="gray", vmin=0, vmax=1,
                                format="png")
        return buffer.getvalue()

    def figure(self, steps=9):
        """A static grid: one walk per row, t from 0 to 1 across `steps` columns."""
        ts = np.linspace(0, 1, steps)
        walks = np.stack([self.images(t) for t in ts], axis=1)  # (P, steps, 28, 28)
        figure = new_figure((steps * 0.8, self.num_pairs * 0.8 + 0.4))
        axes = figure.subplots(self.num_pairs, steps, squeeze=False,
                               gridspec_kw=dict(wspace=0.05, hspace=0.05))
        for p in range(self.num_pairs):
            for s in range(steps):
                ax = axes[p, s]
                ax.imshow(walks[p, s], cmap="gray", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                if p == 0:
                    ax.set_title(f"t={ts[s]:.2f}", fontsize=8)
        figure.suptitle("From z_a (left) to z_b (right), a pair of noise vectors a row")
        return figure

    def widget(self):
        """Sliders for t and for the endpoints' seed above the row of digits."""
        import ipywidgets as widgets

        self.t_slider = widgets.FloatSlider(
            value=0.0, min=0.0, max=1.0, step=0.05, description="t",
            continuous_update=True, readout_format=".2f",
        )
        self.seed_slider = widgets.IntSlider(
            value=self.seed, min=0, max=99, description="endpoints",
        )
        self.image = widgets.Image(format="png", value=self.png(0.0))
        self.caption = widgets.HTML()

        def redraw(_=None):
            if self.seed_slider.value != self.seed:
                self.set_seed(self.seed_slider.value)
            t = self.t_slider.value
            self.image.value = self.png(t)
            self.caption.value = (
                f"z = {1 - t:.2f} z<sub>a</sub> + {t:.2f} z<sub>b</sub>, "
                f"endpoints drawn with seed {self.seed}"
            )

        redraw()
        self.t_slider.observe(redraw, names="value")
        self.seed_slider.observe(redraw, names="value")
        return widgets.VBox([widgets.HBox([self.t_slider, self.seed_slider]),
                             self.image, self.caption])


def latent_explorer(G, noise_dim=NOISE_DIM, num_pairs=6, seed=0, steps=9,
                    interactive=None):
    """Explore the noise space of the generator G.

    Inputs:
    - G, noise_dim, num_pairs, seed: as for LatentExplorer.
    - steps: the number of columns of the static figure.
    - interactive: True for the sliders (needs ipywidgets and a live notebook),
      False for the static figure; None (the default) chooses the sliders only in
      a live Jupyter kernel that the autograder is not running.

    Returns an ipywidgets VBox, or a matplotlib Figure. Either shows when it is the
    last value of a notebook cell.
    """
    explorer = LatentExplorer(G, noise_dim, num_pairs, seed)
    return choose(interactive, explorer.widget, lambda: explorer.figure(steps))
