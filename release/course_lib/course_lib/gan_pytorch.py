"""Generative adversarial networks on 28x28 digits, in PyTorch.

Images travel as flat (N, 784) rows in [-1, 1] (`preprocess_img` maps the loaders'
[0, 1] pixels there); the discriminators return (N, 1) logits, one real-vs-fake score
per image. NOISE_DIM is the size of the generators' uniform noise input.

Exercises: sample_noise, discriminator, generator, discriminator_loss,
generator_loss, ls_discriminator_loss, ls_generator_loss, get_optimizer,
build_dc_classifier, build_dc_generator, and alternating_gradient_steps (a
two-number min-max game that shows why alternating updates can go in circles).
The rest is provided: the helpers the exercises may use by their bare names, and
the training loop `run_a_gan`.
"""

import itertools
import os

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.nn import init
from torch.utils.data import Sampler

from course_lib.progress import Progress

NOISE_DIM = 96

# Where run_a_gan trains unless told otherwise: the GPU when there is one.
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# Under nbgrader (which sets NBGRADER_EXECUTION while it runs a notebook) run_a_gan
# trains this many iterations only, so that grading a notebook stays fast.
SHORT_SCHEDULE = 40


def sample_noise(batch_size, dim, seed=None):
    """Uniform random noise in (-1, 1).

    Inputs:
    - batch_size: N, the number of noise vectors.
    - dim: the size of each noise vector.
    - seed: if given, seed PyTorch's generator first, so that the noise is
      reproducible.

    Returns a (N, dim) float tensor of values drawn uniformly from (-1, 1).
    Hint: torch.rand draws from [0, 1).
    """
    if seed is not None:
        torch.manual_seed(seed)
    raise NotImplementedError(
        'sample_noise is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return noise


def discriminator(seed=None):
    """A fully connected discriminator, as an nn.Sequential.

    Layers: Flatten, Linear(784, 256), LeakyReLU(0.01), Linear(256, 256),
    LeakyReLU(0.01), Linear(256, 1); every Linear has a bias.

    Inputs:
    - seed: if given, seed PyTorch's generator first, so the weights are
      reproducible.

    Returns a model that maps (N, 784) images to (N, 1) logits.
    """
    if seed is not None:
        torch.manual_seed(seed)
    raise NotImplementedError(
        'discriminator is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """A fully connected generator, as an nn.Sequential.

    Layers: Linear(noise_dim, 1024), ReLU, Linear(1024, 1024), ReLU,
    Linear(1024, 784), Tanh (so pixels lie in [-1, 1]).

    Inputs:
    - noise_dim: the size of the noise vectors it takes.
    - seed: if given, seed PyTorch's generator first.

    Returns a model that maps (N, noise_dim) noise to (N, 784) images.
    """
    if seed is not None:
        torch.manual_seed(seed)
    raise NotImplementedError(
        'generator is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return model


def bce_loss(input, target):
    """Mean binary cross-entropy between logits and 0/1 targets.

    For a logit s and target y, -y log(sigmoid(s)) - (1 - y) log(1 - sigmoid(s)),
    computed as max(s, 0) - s y + log(1 + exp(-|s|)) so that no exp overflows.

    Inputs:
    - input: (N,) or (N, 1) float tensor of logits.
    - target: (N,) or (N, 1) float tensor of targets in {0, 1}.

    Returns the mean over the N elements, a 0-d tensor.
    """
    logits, target = input.squeeze(), target.squeeze()  # (N,), (N,)
    if logits.shape != target.shape:
        raise ValueError(
            f"bce_loss needs one target per logit, got logits of shape "
            f"{tuple(input.shape)} and targets of shape {tuple(target.shape)}. "
            f"Build the targets with the logits' size, e.g. torch.ones_like(logits)."
        )
    loss = logits.clamp(min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))
    return loss.mean()


def discriminator_loss(logits_real, logits_fake):
    """The discriminator's GAN loss: real images should score 1, fakes 0.

    l_D = -mean(log D(x)) - mean(log(1 - D(G(z)))), where D(.) is the sigmoid
    of a logit. Use bce_loss, with targets that match the logits in size, dtype
    and device (torch.ones_like and torch.zeros_like make them).

    Inputs:
    - logits_real: (N, 1) discriminator logits of real images.
    - logits_fake: (N, 1) discriminator logits of generated images.

    Returns the loss, a 0-d tensor.
    """
    raise NotImplementedError(
        'discriminator_loss is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return loss


def generator_loss(logits_fake):
    """The generator's (non-saturating) GAN loss: fakes should score 1.

    l_G = -mean(log D(G(z))). Use bce_loss.

    Inputs:
    - logits_fake: (N, 1) discriminator logits of generated images.

    Returns the loss, a 0-d tensor.
    """
    raise NotImplementedError(
        'generator_loss is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return loss


def ls_discriminator_loss(scores_real, scores_fake):
    """The discriminator's least-squares GAN loss (Mao et al., 2017, eq. 9).

    l_D = 1/2 mean((D(x) - 1)^2) + 1/2 mean(D(G(z))^2), with the
    discriminator's raw scores as D(.) (no sigmoid).

    Inputs:
    - scores_real: (N, 1) discriminator scores of real images.
    - scores_fake: (N, 1) discriminator scores of generated images.

    Returns the loss, a 0-d tensor.
    """
    raise NotImplementedError(
        'ls_discriminator_loss is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return loss


def ls_generator_loss(scores_fake):
    """The least-squares GAN loss of the generator: 1/2 mean((D(G(z)) - 1)^2).

    Inputs:
    - scores_fake: (N, 1) discriminator scores of generated images.

    Returns the loss, a 0-d tensor.
    """
    raise NotImplementedError(
        'ls_generator_loss is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return loss


def get_optimizer(model):
    """An Adam optimizer for the model's parameters.

    Learning rate 1e-3, beta1 = 0.5 and beta2 = 0.999 (a beta1 below the usual
    0.9 keeps GAN training steadier).

    Returns a torch.optim.Adam.
    """
    raise NotImplementedError(
        'get_optimizer is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return optimizer


def build_dc_classifier(batch_size):
    """A convolutional discriminator, as an nn.Sequential.

    Layers: Unflatten to (N, 1, 28, 28); Conv2d(1, 32, 5); LeakyReLU(0.01);
    MaxPool2d(2, 2); Conv2d(32, 64, 5); LeakyReLU(0.01); MaxPool2d(2, 2);
    Flatten; Linear(4 * 4 * 64, 4 * 4 * 64); LeakyReLU(0.01);
    Linear(4 * 4 * 64, 1).
    Work out the image size after each layer: 28 -> 24 -> 12 -> 8 -> 4.

    Inputs:
    - batch_size: N, the number of images per batch. The model need not fix
      it: Unflatten(-1, 1, 28, 28) infers N, so any batch size works.

    Returns a model that maps (N, 784) images to (N, 1) logits.
    """
    raise NotImplementedError(
        'build_dc_classifier is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return model


def build_dc_generator(noise_dim=NOISE_DIM):
    """A convolutional generator (InfoGAN's for MNIST), as an nn.Sequential.

    Layers: Linear(noise_dim, 1024); ReLU; BatchNorm1d;
    Linear(1024, 7 * 7 * 128); ReLU; BatchNorm1d; Unflatten to (N, 128, 7, 7);
    ConvTranspose2d(128, 64, 4, stride=2, padding=1); ReLU; BatchNorm2d;
    ConvTranspose2d(64, 1, 4, stride=2, padding=1); Tanh; Flatten.
    Each transposed convolution doubles the image size: 7 -> 14 -> 28.

    Inputs:
    - noise_dim: the size of the noise vectors it takes.

    Returns a model that maps (N, noise_dim) noise to (N, 784) images.
    """
    raise NotImplementedError(
        'build_dc_generator is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return model


def alternating_gradient_steps(x0, y0, step_size, num_steps):
    """Alternating gradient steps on the game min_x max_y f(x, y) = x y.

    Each step first moves y uphill (gradient ascent, since y maximizes), then
    moves x downhill (gradient descent, since x minimizes) using the y just
    updated:
        y_{t+1} = y_t + step_size * df/dy(x_t, y_t)
        x_{t+1} = x_t - step_size * df/dx(x_t, y_{t+1})
    Work out the two partial derivatives of f(x, y) = x y first.

    Inputs:
    - x0, y0: the starting point (x_0, y_0).
    - step_size: the learning rate of both updates.
    - num_steps: how many (y, x) update pairs to take.

    Returns a tuple of two lists of num_steps + 1 floats:
    - x_values: x_0, x_1, ..., x_{num_steps}.
    - y_values: y_0, y_1, ..., y_{num_steps}.
    """
    x_values, y_values = [float(x0)], [float(y0)]
    raise NotImplementedError(
        'alternating_gradient_steps is an exercise: write it in its cell in Generative_Adversarial_Networks.ipynb and run that cell.'
    )
    return x_values, y_values


class Flatten(nn.Module):
    """Flatten every dimension but the first: (N, ...) -> (N, D)."""

    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Unflatten(nn.Module):
    """Reshape (N, C * H * W) rows into (N, C, H, W) images; N=-1 infers N."""

    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N, self.C, self.H, self.W = N, C, H, W

    def forward(self, x):
        return x.reshape(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    """Xavier-uniform weights for Linear and ConvTranspose2d layers.

    Use as `model.apply(initialize_weights)`; other layers keep their own.
    """
    if isinstance(m, (nn.Linear, nn.ConvTranspose2d)):
        init.xavier_uniform_(m.weight.data)


def preprocess_img(x):
    """Map pixels from [0, 1] to [-1, 1], the range of the generators' Tanh."""
    return 2 * x - 1.0


def deprocess_img(x):
    """Map pixels from [-1, 1] back to [0, 1]."""
    return (x + 1.0) / 2.0


def rel_error(x, y):
    """Largest relative error between two arrays (or numbers)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def count_params(model):
    """The number of scalar parameters in a model."""
    return sum(p.numel() for p in model.parameters())


class ChunkSampler(Sampler):
    """Sample the consecutive indices start, start + 1, ..., start + num_samples - 1.

    Inputs:
    - num_samples: how many indices.
    - start: the first one.
    """

    def __init__(self, num_samples, start=0):
        self.num_samples = num_samples
        self.start = start

    def __iter__(self):
        return iter(range(self.start, self.start + self.num_samples))

    def __len__(self):
        return self.num_samples


def show_images(images):
    """Draw a square grid of images.

    Inputs:
    - images: (N, 784) or (N, 28, 28) array or tensor of pixels in [0, 1].

    Returns a matplotlib Figure. A notebook shows it when it is the value of a cell
    or passed to display(); a script can call its savefig.
    """
    if torch.is_tensor(images):
        images = images.detach().cpu().numpy()
    images = np.reshape(images, (images.shape[0], -1))  # (N, D)
    side = int(np.ceil(np.sqrt(images.shape[0])))  # images per row and column
    size = int(np.ceil(np.sqrt(images.shape[1])))  # pixels per image row

    # Made through pyplot, which sets up a notebook's display of figures (a bare
    # Figure made before any pyplot figure shows as text only), and closed at once,
    # so that a later plt.show() does not draw it a second time.
    figure = plt.figure(figsize=(side, side))
    plt.close(figure)
    spacing = dict(wspace=0.05, hspace=0.05)
    axes = figure.subplots(side, side, squeeze=False, gridspec_kw=spacing)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image in zip(axes.flat, images):
        ax.imshow(image.reshape(size, size), cmap="gray", vmin=0, vmax=1)
        ax.set_aspect("equal")
    return figure


def run_a_gan(
    D,
    G,
    D_solver,
    G_solver,
    discriminator_loss,
    generator_loss,
    loader_train,
    show_every=250,
    batch_size=128,
    noise_size=96,
    num_epochs=10,
    device=None,
    schedule="auto",
    losses=None,
):
    """Train a GAN, alternating one discriminator step and one generator step.

    Inputs:
    - D, G: the discriminator and the generator; moved to `device` first.
    - D_solver, G_solver: their optimizers.
    - discriminator_loss, generator_loss: functions of the logits (or scores), as
      discriminator_loss(logits_real, logits_fake) and generator_loss(logits_fake).
    - loader_train: a DataLoader of (images, labels) batches, images in [0, 1];
      batches smaller than batch_size are skipped.
    - show_every: keep 16 generated images every this many iterations.
    - batch_size: the number of images per step.
    - noise_size: the size of the generator's noise input.
    - num_epochs: the number of passes over loader_train.
    - device: where to train; by default the module's `device` (the GPU if any).
    - schedule: "full" trains num_epochs epochs; "short" trains SHORT_SCHEDULE
      iterations and keeps images twice as often; "auto" is "short" while nbgrader
      runs the notebook (NBGRADER_EXECUTION is set) and "full" otherwise.
    - losses: a list to which (D loss, G loss) of every iteration is appended,
      for a plot of the training curves; None keeps none.

    Returns a list of (16, 784) NumPy arrays of generated images in [0, 1], from
    iterations 0, show_every, 2 * show_every, ...

    Progress shows as a bar with the latest losses where a person watches (a
    live notebook, a terminal); elsewhere, under the autograder for one, the
    losses are printed to stdout every show_every iterations, never to stderr,
    which fails a graded cell (see `course_lib.progress`).
    """
    if schedule not in ("auto", "full", "short"):
        raise ValueError(
            f'schedule must be "auto", "full" or "short", got {schedule!r}.'
        )
    if device is None:
        device = globals()["device"]  # the module's choice, which the argument hides
    D.to(device)
    G.to(device)
    total = num_epochs * (len(loader_train.sampler) // batch_size)
    grading = schedule == "auto" and os.environ.get("NBGRADER_EXECUTION")
    if schedule == "short" or grading:
        total = min(total, SHORT_SCHEDULE)
        show_every = SHORT_SCHEDULE // 2
        print(f"Grading run: {total} training iterations, not {num_epochs} epochs.")

    # Full batches only, epoch after epoch, and at most `total` of them.
    batches = (
        x for _ in range(num_epochs) for x, _ in loader_train if len(x) == batch_size
    )
    images = []
    progress = Progress(total, "Training", unit="it")
    for iteration, x in enumerate(itertools.islice(batches, total)):
        # 1. Discriminator step: real images should score 1, fakes 0. The fakes
        #    are detached so that this step leaves the generator alone.
        D_solver.zero_grad()
        real_data = preprocess_img(x.to(device).reshape(batch_size, -1))  # (N, 784)
        logits_real = D(real_data)  # (N, 1)
        noise = sample_noise(batch_size, noise_size).to(device)  # (N, noise)
        fake_images = G(noise).detach()  # (N, 784)
        logits_fake = D(fake_images)  # (N, 1)
        d_total_error = discriminator_loss(logits_real, logits_fake)
        d_total_error.backward()
        D_solver.step()

        # 2. Generator step on fresh noise: its fakes should score 1.
        G_solver.zero_grad()
        noise = sample_noise(batch_size, noise_size).to(device)  # (N, noise)
        fake_images = G(noise)  # (N, 784)
        g_error = generator_loss(D(fake_images))
        g_error.backward()
        G_solver.step()
        if losses is not None:
            losses.append((d_total_error.item(), g_error.item()))

        # 3. Now and then keep 16 generated images, rescaled to [0, 1].
        if iteration % show_every == 0:
            snapshot = deprocess_img(fake_images[:16].detach())  # (16, 784)
            images.append(snapshot.cpu().numpy())
            d_loss, g_loss = d_total_error.item(), g_error.item()
            progress.note(
                f"Iteration {iteration}: D loss {d_loss:.4f}, G loss {g_loss:.4f}",
                D_loss=d_loss,
                G_loss=g_loss,
            )
        progress.step()
    progress.close()
    return images
