# Template of Generative_Adversarial_Networks.ipynb: `course build` renders it into
# source/assignment3/. Cell kinds are explained in course_lib/tooling/template.py.

# %% [locked] include=setup

# %% [markdown]
# # Generative adversarial networks
#
# Every network of the course so far has been *discriminative*: it reads an input
# and predicts a label for it, be it a class of image or, word by word, a caption.
# This notebook turns the question around. A *generative* model learns to produce
# new samples that look as if they came from the training set; here, images of
# handwritten digits that nobody drew.
#
# ## Two networks in a contest
#
# Goodfellow et al. (2014) train a generative model through a contest between two
# networks. The **discriminator** $D$ is an ordinary classifier: it looks at an
# image and estimates the probability that it is real, that is, taken from the
# training data rather than made up. The **generator** $G$ turns a vector of random
# noise $z$ into an image, and it is rewarded when the discriminator takes that
# image for a real one.
#
# Written as a single objective, the generator minimizes what the discriminator
# maximizes:
#
# $$\min_G \max_D \;
# \mathbb{E}_{x \sim p_\text{data}}\left[\log D(x)\right] +
# \mathbb{E}_{z \sim p(z)}\left[\log\left(1 - D(G(z))\right)\right],$$
#
# where $p(z)$ is the noise distribution and $D(\cdot)$ is a probability. The paper
# shows that, at the optimum of this game, the generator's distribution matches the
# data's; the game amounts to minimizing the Jensen-Shannon divergence between the
# two.
#
# Training alternates between the players: a gradient *ascent* step on the
# objective for $D$ (classify better), then a gradient *descent* step for $G$ (make
# the discriminator classify worse). One change makes this work in practice. Early
# on, the discriminator rejects the generator's crude images with confidence, and
# $\log(1 - D(G(z)))$ is then almost flat: the generator gets hardly any gradient.
# So instead of making the discriminator *less right*, the generator is trained to
# make it *more wrong*, which gives strong gradients exactly when the generator is
# losing. The updates we alternate are therefore:
#
# 1. the generator maximizes the probability that its images are called real,
#    $$\max_G \; \mathbb{E}_{z \sim p(z)}\left[\log D(G(z))\right];$$
# 2. the discriminator maximizes the probability of labelling both kinds of image
#    correctly,
#    $$\max_D \; \mathbb{E}_{x \sim p_\text{data}}\left[\log D(x)\right] +
#    \mathbb{E}_{z \sim p(z)}\left[\log\left(1 - D(G(z))\right)\right].$$
#
# You will train three GANs: the original fully connected one, one with a
# least-squares loss, and a convolutional one. GANs are sensitive to their
# hyper-parameters and to luck, so your digits will not look exactly like anyone
# else's.
#
# You write each piece in the cell that holds its signature and documentation; the
# cell after it checks your code on inputs with known answers. When you submit,
# the autograder checks it again on inputs of its own.

# %% [locked]
import os

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from IPython.display import display
from torch.utils.data import DataLoader

from course_lib import gan_pytorch
from course_lib.checks import report, report_equal
from course_lib.digits import Digits
from course_lib.exercise import exercise
from course_lib.gan_pytorch import *  # noqa: F403  helpers, and what you write
from course_lib.widgets.latent_explorer import latent_explorer

plt.rcParams["figure.figsize"] = (10.0, 8.0)
plt.rcParams["image.interpolation"] = "nearest"
plt.rcParams["image.cmap"] = "gray"

threads = torch.get_num_threads()
print(f"Training on {gan_pytorch.device} with {threads} thread(s)")

checks_file = os.path.join(os.path.dirname(gan_pytorch.__file__), "data",
                           "gan-checks.npz")
answers = dict(np.load(checks_file))

# %% [markdown]
# ## The digits
#
# GANs need many training steps, so we work with small images: 28x28 grayscale
# digits, white on black, in the format of MNIST (LeCun et al., 1998), the dataset
# on which convolutional networks first made their name. A modest CNN classifies
# MNIST with better than 99% accuracy.
#
# The kit embeds its own digits so that the notebook runs offline: 20,000 training
# images drawn by code in `course_lib/digits.py`, each a pen stroke through the
# outline of a digit, bent, slanted, rotated and inked with a varying width. They
# are simpler than real handwriting, which makes them quicker to learn. If you have
# the MNIST files, `Digits("train", source=<their folder>)` reads them instead
# (`course_lib.digits.download_mnist` fetches them), with 50,000 training images.
#
# `ChunkSampler` hands the loader a fixed run of consecutive indices, so the
# minibatches come in the same order every epoch.

# %%
NOISE_DIM = 96
batch_size = 128

digits_train = Digits("train")
NUM_TRAIN = len(digits_train)
loader_train = DataLoader(
    digits_train,
    batch_size=batch_size,
    sampler=ChunkSampler(NUM_TRAIN, 0),
)
print(f"{NUM_TRAIN} training images in batches of {batch_size}")

images = next(iter(loader_train))[0]  # (N, 1, 28, 28), pixels in [0, 1]
display(show_images(images[:64].reshape(64, 784)))

# %% [markdown]
# ## Random noise
#
# The generator's input is a vector of noise, each entry drawn uniformly from
# $(-1, 1)$. Write `sample_noise` to return a `(batch_size, dim)` tensor of such
# values. `torch.rand` draws from $[0, 1)$; stretch and shift its output.

# %% [solution] course_lib.gan_pytorch:sample_noise

# %% [markdown]
# The check draws a few values and a histogram of many more: the bars should stand
# at about the same height, from -1 to 1.

# %% [test] id=test_sample_noise points=2
torch.manual_seed(231)
z = sample_noise(3, 4)
np_z = z.cpu().numpy()
report_equal("a tensor", torch.is_tensor(z), True, "return a torch tensor")
report_equal("shape", tuple(z.shape), (3, 4), "batch_size rows of dim values")
report_equal("inside [-1, 1]",
             bool(np.all(np_z >= -1.0) and np.all(np_z <= 1.0)), True,
             "map uniform [0, 1) noise onto [-1, 1)")
report_equal("both signs",
             bool(np.any(np_z < 0.0) and np.any(np_z > 0.0)), True,
             "map uniform [0, 1) noise onto [-1, 1)")

plt.figure(figsize=(5, 2.5))
plt.hist(sample_noise(1000, 10).flatten().numpy(), bins=20, range=(-1, 1))
plt.title("10,000 noise values")
plt.show()
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.sample_noise(2)
### END HIDDEN TESTS

# %% [markdown]
# ## Helpers we give you
#
# Images travel through the networks as rows of 784 pixels. `Flatten` turns
# `(N, C, H, W)` images into such rows, and `Unflatten` turns rows back into
# images, which the convolutional generator will need. `initialize_weights` gives
# linear and transposed-convolution layers Xavier-uniform weights instead of
# PyTorch's default; the training cells apply it for you. Read them in
# `course_lib/gan_pytorch.py`.

# %% [markdown]
# ## The discriminator
#
# Build the discriminator as an `nn.Sequential`, with a bias in every linear layer:
#
# * `Flatten`, so that it also accepts `(N, 1, 28, 28)` images;
# * a linear layer from 784 to 256 inputs, then a leaky ReLU with slope 0.01;
# * a linear layer from 256 to 256, then a leaky ReLU with slope 0.01;
# * a linear layer from 256 to 1.
#
# A leaky ReLU computes $f(x) = \max(\alpha x, x)$ for a small fixed $\alpha$, here
# $\alpha = 0.01$: negative inputs keep a small slope, so their gradient never dies
# out completely.
#
# The output has shape `(N, 1)`: one real number per image, a *logit*. Large
# positive values mean "real", large negative ones "fake"; the probability is its
# sigmoid, which the loss functions apply themselves.

# %% [solution] course_lib.gan_pytorch:discriminator

# %% [markdown]
# A first check counts the parameters: each linear layer has
# (inputs x outputs) weights and one bias per output.

# %% [test] id=test_discriminator points=2
def test_discriminator(true_count=267009):
    count = count_params(discriminator())
    report_equal("parameters in the discriminator", count, true_count,
                 "check the architecture")


test_discriminator()
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.discriminator(2)
### END HIDDEN TESTS

# %% [markdown]
# ## The generator
#
# Now the generator, again as an `nn.Sequential`:
#
# * a linear layer from `noise_dim` to 1024, then a ReLU;
# * a linear layer from 1024 to 1024, then a ReLU;
# * a linear layer from 1024 to 784, then a tanh, which squeezes every pixel into
#   $[-1, 1]$, the range of the training images once `preprocess_img` has mapped
#   them there.

# %% [solution] course_lib.gan_pytorch:generator

# %% [test] id=test_generator points=2
def test_generator(true_count=1858320):
    count = count_params(generator(4))
    report_equal("parameters in the generator", count, true_count,
                 "check the architecture")


test_generator()
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.generator(2)
### END HIDDEN TESTS

# %% [markdown]
# ## The GAN losses
#
# We minimize losses, so the objectives above change sign. The generator's loss is
#
# $$\ell_G = -\mathbb{E}_{z \sim p(z)}\left[\log D(G(z))\right]$$
#
# and the discriminator's
#
# $$\ell_D = -\mathbb{E}_{x \sim p_\text{data}}\left[\log D(x)\right]
# - \mathbb{E}_{z \sim p(z)}\left[\log\left(1 - D(G(z))\right)\right].$$
#
# Both are binary cross-entropies. For a logit $s$ with probability
# $\sigma(s) = 1 / (1 + e^{-s})$ and a label $y \in \{0, 1\}$,
#
# $$\text{bce}(s, y) = -y \log \sigma(s) - (1 - y) \log\left(1 - \sigma(s)\right).$$
#
# Computed as written, $\log \sigma(s)$ overflows for large $|s|$; the provided
# `bce_loss(input, target)` uses a stable rearrangement and averages over the
# minibatch. So each loss is a matter of choosing labels: which images should the
# discriminator call real (1), which fake (0), and which label does the generator
# want its images to get? Make the label tensors the size of the logits, with the
# same dtype and device: `torch.ones_like` and `torch.zeros_like` do exactly that.
# Average over the minibatch (as `bce_loss` does) rather than summing.
#
# Keep the logits in PyTorch's graph: the generator learns only through the
# gradient of its loss with respect to the logits of its images.

# %% [solution] course_lib.gan_pytorch:discriminator_loss

# %% [markdown]
# The checks compare your losses with values computed from fixed logits. Expect
# errors around 1e-7 or smaller.

# %% [test] id=test_discriminator_loss points=2
def test_discriminator_loss(logits_real, logits_fake, d_loss_true):
    d_loss = discriminator_loss(torch.tensor(logits_real),
                                torch.tensor(logits_fake))
    report("d_loss", d_loss.detach().numpy(), d_loss_true, 1e-7)


test_discriminator_loss(
    answers["logits_real"], answers["logits_fake"], answers["d_loss_true"]
)
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.discriminator_loss(2)
### END HIDDEN TESTS

# %% [solution] course_lib.gan_pytorch:generator_loss

# %% [test] id=test_generator_loss points=2
def test_generator_loss(logits_fake, g_loss_true):
    g_loss = generator_loss(torch.tensor(logits_fake))
    report("g_loss", g_loss.detach().numpy(), g_loss_true, 1e-7)


test_generator_loss(answers["logits_fake"], answers["g_loss_true"])
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.generator_loss(2)
### END HIDDEN TESTS

# %% [markdown]
# ## The optimizer
#
# Both networks learn with Adam, at a learning rate of $10^{-3}$ and with
# $\beta_1 = 0.5$, $\beta_2 = 0.999$. The usual $\beta_1 = 0.9$ averages the
# gradient over many steps; the opponent changes in the meantime, and a shorter
# memory of past gradients keeps the game steadier.

# %% [solution] course_lib.gan_pytorch:get_optimizer

# %% [test] id=test_get_optimizer points=1
optimizer = get_optimizer(discriminator())
settings = optimizer.param_groups[0]
report_equal("optimizer", type(optimizer).__name__, "Adam")
report_equal("lr", settings["lr"], 0.001)
report_equal("betas", tuple(settings["betas"]), (0.5, 0.999))
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.get_optimizer(1)
### END HIDDEN TESTS

# %% [markdown]
# ## Training a GAN
#
# `run_a_gan` in `course_lib/gan_pytorch.py` holds the training loop; you need not
# change it, but read it. Each iteration takes a minibatch of real images and
#
# 1. updates the discriminator on the real images and on a batch of generated
#    ones, *detached* from the generator, so that this step leaves the generator
#    alone;
# 2. updates the generator on fresh noise, through the discriminator's logits of
#    its images;
#
# and every `show_every` iterations it keeps 16 generated images, which it returns.
# Given a list as `losses`, it also records both losses of every iteration; the
# cells below plot them above the snapshots. A progress bar shows how far it is.
#
# The budgets below fit the whole notebook in about ten minutes on a laptop's CPU;
# a GPU, where available, is used automatically. Expect black backgrounds and
# blurry blobs first, then rough strokes. Recognizable digits of every class take
# about ten epochs: raise `num_epochs` if you have the time. (The autograder trains
# each GAN only a few dozen iterations; nothing it grades depends on training.)


# %%
def show_progress(images, show_every, losses):
    """The losses of every iteration, then the kept snapshots side by side,
    16 generated digits each."""
    d_loss, g_loss = np.array(losses).T
    plt.figure(figsize=(7, 3))
    plt.plot(d_loss, label="discriminator")
    plt.plot(g_loss, label="generator")
    plt.xlabel("Iteration")
    plt.ylabel("Loss")
    plt.title("Training losses")
    plt.legend()
    plt.show()

    count = len(images)
    fig, axes = plt.subplots(
        1, count, figsize=(2.2 * count, 2.6), squeeze=False
    )
    for i, (ax, batch) in enumerate(zip(axes[0], images)):
        # A 4x4 grid: (grid row, digit row, grid column, digit column).
        grid = batch.reshape(4, 4, 28, 28).transpose(0, 2, 1, 3)
        ax.imshow(grid.reshape(112, 112), vmin=0, vmax=1)
        ax.set_title(f"snapshot {i}")
        ax.axis("off")
    fig.suptitle(f"Generated digits, a snapshot every {show_every} iterations")
    plt.show()


torch.manual_seed(231)
D = discriminator()
G = generator()
D.apply(initialize_weights)
G.apply(initialize_weights)
D_solver = get_optimizer(D)
G_solver = get_optimizer(G)

show_every = 155
losses = []  # (D loss, G loss) of every iteration
images = run_a_gan(
    D,
    G,
    D_solver,
    G_solver,
    discriminator_loss,
    generator_loss,
    loader_train,
    show_every=show_every,
    num_epochs=5,
    losses=losses,
)
show_progress(images, show_every, losses)

# %% [markdown]
# ## Inline question 1
#
# The next cell shows the vanilla GAN's last snapshot. Describe what you see in a
# sentence or two: the background, the strokes, how many images read as digits.

# %%
print("Vanilla GAN, final images:")
display(show_images(images[-1]))

# %% [answer] id=inline_question_1 points=1
# After five epochs the backgrounds are black and most images are digit-shaped:
# several read clearly (a 0, 2, 3, 6 or 9), others are broken or hover between
# two digits. The strokes are dotted with salt-and-pepper speckle instead of the
# smooth lines of the training digits, and isolated white pixels litter the
# background.

# %% [markdown]
# ## Least squares GAN
#
# The least squares GAN of Mao et al. (2017) keeps the networks and the training
# loop and changes only the losses: the discriminator's raw score is pushed towards
# 1 for real images and 0 for generated ones by a squared error, instead of a
# cross-entropy. Its gradients do not vanish for generated images that are already
# scored on the right side but far from the real ones, and training is often
# steadier. We use the paper's equation (9). The generator's loss is
#
# $$\ell_G = \frac{1}{2} \mathbb{E}_{z \sim p(z)}\left[\left(D(G(z)) - 1\right)^2
# \right]$$
#
# and the discriminator's
#
# $$\ell_D = \frac{1}{2} \mathbb{E}_{x \sim p_\text{data}}\left[\left(D(x) - 1
# \right)^2\right] + \frac{1}{2} \mathbb{E}_{z \sim p(z)}\left[D(G(z))^2\right].$$
#
# Here $D(\cdot)$ is the discriminator's output itself (`scores_real`,
# `scores_fake`), with no sigmoid. Average over the minibatch instead of taking
# expectations.

# %% [solution] course_lib.gan_pytorch:ls_discriminator_loss

# %% [solution] course_lib.gan_pytorch:ls_generator_loss

# %% [markdown]
# Check both against fixed scores; expect errors around 1e-7 or smaller.

# %% [test] id=test_lsgan_loss points=3
def test_lsgan_loss(score_real, score_fake, d_loss_true, g_loss_true):
    score_real = torch.tensor(score_real)
    score_fake = torch.tensor(score_fake)
    d_loss = ls_discriminator_loss(score_real, score_fake)
    g_loss = ls_generator_loss(score_fake)
    report("d_loss", d_loss.detach().numpy(), d_loss_true, 1e-7)
    report("g_loss", g_loss.detach().numpy(), g_loss_true, 1e-7)


test_lsgan_loss(
    answers["logits_real"],
    answers["logits_fake"],
    answers["d_loss_lsgan_true"],
    answers["g_loss_lsgan_true"],
)
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.ls_losses(3)
### END HIDDEN TESTS

# %% [markdown]
# Train it with the same budget as the vanilla GAN.

# %%
torch.manual_seed(231)
D_LS = discriminator()
G_LS = generator()
D_LS.apply(initialize_weights)
G_LS.apply(initialize_weights)
D_LS_solver = get_optimizer(D_LS)
G_LS_solver = get_optimizer(G_LS)

losses = []  # (D loss, G loss) of every iteration
images = run_a_gan(
    D_LS,
    G_LS,
    D_LS_solver,
    G_LS_solver,
    ls_discriminator_loss,
    ls_generator_loss,
    loader_train,
    show_every=show_every,
    num_epochs=5,
    losses=losses,
)
show_progress(images, show_every, losses)

# %% [markdown]
# ## Inline question 2
#
# Describe the least squares GAN's final images, as for question 1. Do they
# differ from the vanilla GAN's?

# %%
print("LSGAN, final images:")
display(show_images(images[-1]))

# %% [answer] id=inline_question_2 points=1
# Much like the vanilla GAN's after the same budget: black backgrounds and
# speckled, dotted strokes, about half of them readable. In this run the least
# squares GAN favours a few digits (many ones and fives) where the vanilla GAN's
# snapshot showed more variety; another run may well differ, since five epochs
# are early days for either loss.

# %% [markdown]
# ## Deep convolutional GANs
#
# The networks so far are fully connected: they treat the 784 pixels as an
# unordered list, so nothing they learn about a stroke in one place carries over to
# the same stroke elsewhere, and they have no built-in notion of an edge or a
# curve. The DCGAN of Radford et al. (2016) uses convolutions in both networks.
#
# **Discriminator.** A small convolutional classifier of the kind that reaches
# 99% accuracy on MNIST quickly:
#
# * `Unflatten` the rows into `(N, 1, 28, 28)` images;
# * a convolution with 32 filters of 5x5, stride 1, no padding, then a leaky ReLU
#   with slope 0.01 and a 2x2 max pool with stride 2;
# * a convolution with 64 filters of 5x5, stride 1, no padding, then a leaky ReLU
#   with slope 0.01 and a 2x2 max pool with stride 2;
# * `Flatten`, a linear layer to 4 x 4 x 64 outputs, a leaky ReLU with slope 0.01,
#   and a linear layer to 1 output.
#
# Follow the image size through the layers before you write them: 28, then 24
# after a 5x5 convolution, 12 after pooling, and so on.

# %% [solution] course_lib.gan_pytorch:build_dc_classifier

# %% [markdown]
# A minibatch of real digits through your classifier should give one logit per
# image, `(128, 1)`:

# %%
data = next(iter(loader_train))[0].reshape(batch_size, 784)
print("output shape:", tuple(build_dc_classifier(batch_size)(data).shape))

# %% [markdown]
# Count its parameters:

# %% [test] id=test_dc_classifier points=2
def test_dc_classifier(true_count=1102721):
    count = count_params(build_dc_classifier(batch_size))
    report_equal("parameters in the classifier", count, true_count,
                 "check the architecture")


test_dc_classifier()
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.dc_classifier(2)
### END HIDDEN TESTS

# %% [markdown]
# **Generator.** We take the MNIST generator of the InfoGAN paper (Chen et al.,
# 2016, appendix C.1). It grows an image from a small stack of feature maps with
# *transposed* convolutions, each of which doubles the height and width:
#
# * a linear layer to 1024 outputs, a ReLU, and a batch norm;
# * a linear layer to 7 x 7 x 128 outputs, a ReLU, and a batch norm;
# * `Unflatten` into `(N, 128, 7, 7)` feature maps;
# * a transposed convolution with 64 filters of 4x4, stride 2 and padding 1
#   (7 to 14 pixels), a ReLU, and a batch norm;
# * a transposed convolution with 1 filter of 4x4, stride 2 and padding 1
#   (14 to 28 pixels), and a tanh;
# * `Flatten` back into rows of 784 pixels.
#
# Mind the order: here each batch norm comes *after* its ReLU. The network is
# always in training mode while the GAN trains, so batch norm normalizes with the
# statistics of the current minibatch.

# %% [solution] course_lib.gan_pytorch:build_dc_generator

# %% [markdown]
# A batch of noise through your generator should give `(128, 784)` images:

# %%
test_g_gan = build_dc_generator()
test_g_gan.apply(initialize_weights)
fake_seed = torch.randn(batch_size, NOISE_DIM)
print("output shape:", tuple(test_g_gan(fake_seed).shape))

# %% [markdown]
# Count its parameters for a noise size of 4 (a batch norm layer has a scale and a
# shift per channel):

# %% [test] id=test_dc_generator points=3
def test_dc_generator(true_count=6580801):
    count = count_params(build_dc_generator(4))
    report_equal("parameters in the generator", count, true_count,
                 "check the architecture")


test_dc_generator()
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.dc_generator(3)
### END HIDDEN TESTS

# %% [markdown]
# Each iteration of the convolutional GAN costs about ten times one of the fully
# connected ones on a CPU, so it gets one epoch here; its strokes are smoother all
# the same. Give it three to five epochs if you can.

# %%
torch.manual_seed(231)
D_DC = build_dc_classifier(batch_size)
G_DC = build_dc_generator()
D_DC.apply(initialize_weights)
G_DC.apply(initialize_weights)
D_DC_solver = get_optimizer(D_DC)
G_DC_solver = get_optimizer(G_DC)

dc_show_every = 31
losses = []  # (D loss, G loss) of every iteration
images = run_a_gan(
    D_DC,
    G_DC,
    D_DC_solver,
    G_DC_solver,
    discriminator_loss,
    generator_loss,
    loader_train,
    show_every=dc_show_every,
    num_epochs=1,
    losses=losses,
)
show_progress(images, dc_show_every, losses)

# %% [markdown]
# ## Inline question 3
#
# Describe the DCGAN's final images. How do they compare with the fully connected
# GANs', given how much less it trained?

# %%
print("DCGAN, final images:")
display(show_images(images[-1]))

# %% [answer] id=inline_question_3 points=1
# After a single epoch the DCGAN's digits are made of smooth, connected strokes
# on a clean background, with no speckle; some shapes are still unsettled or
# ambiguous between two digits, but most read as digits of several classes, and
# they look more like handwriting than the fully connected GANs' after five times
# as many iterations: convolutions share what they learn about a stroke across
# the whole image.

# %% [markdown]
# ## A walk through the noise space
#
# The generator maps every noise vector to an image. Pick two noise vectors $z_a$
# and $z_b$ and walk the straight line between them,
# $z(t) = (1 - t)\, z_a + t\, z_b$ for $t$ from 0 to 1. If the generator has
# learned a smooth map rather than a lookup table of memorized images, the digit
# changes gradually along the way: strokes thicken, bend and shift until one digit
# has become another.
#
# Move the slider `t` to walk, and `endpoints` to draw other pairs of noise
# vectors. Where sliders cannot be shown (a notebook run from the command line),
# the cell draws a grid instead: one walk per row, $t$ growing to the right.

# %%
latent_explorer(G_DC, noise_dim=NOISE_DIM)

# %% [markdown]
# ## Inline question 4
#
# Alternating updates of a single objective, the way a GAN trains, can behave in
# surprising ways. Take the simplest min-max game there is,
#
# $$\min_x \max_y \; f(x, y) = x y.$$
#
# First, what is $\min_x \max_y f(x, y)$, and where is it attained? (The inner
# maximum is the largest value $y$ can reach for a given $x$; the outer minimum
# then chooses the $x$ for which that largest value is smallest.) Answer in the
# markdown cell below.
#
# Then play the game numerically: start at $(x_0, y_0) = (1, 1)$ and take six
# alternating gradient steps with step size 1. Each step first updates $y$ by
# gradient *ascent*, then updates $x$ by gradient *descent* using the new $y$:
#
# $$y_{t+1} = y_t + \eta \frac{\partial f}{\partial y}(x_t, y_t), \qquad
# x_{t+1} = x_t - \eta \frac{\partial f}{\partial x}(x_t, y_{t+1}),
# \qquad \eta = 1.$$
#
# Work the updates out on paper, then write them in `alternating_gradient_steps`,
# which returns the lists $x_0, \dots, x_6$ and $y_0, \dots, y_6$. The autograder
# checks the table from $(1, 1)$ and a few other starts and step sizes.

# %% [answer] id=inline_question_4 points=1
# For a fixed x other than 0, f(x, y) = x y grows without bound as y goes to
# +infinity (if x > 0) or to -infinity (if x < 0), so max_y f(x, y) is +infinity.
# For x = 0, f(0, y) = 0 for every y, so the maximum is 0. The outer minimum
# therefore picks x = 0, and min_x max_y x y = 0, reached at the saddle point
# (0, 0) (any y gives the value 0 there).

# %% [solution] course_lib.gan_pytorch:alternating_gradient_steps

# %% [markdown]
# The table of your six steps, and the path they trace over the contours of
# $f(x, y) = x y$:

# %% [test] id=test_minimax_steps points=2
x_values, y_values = alternating_gradient_steps(1.0, 1.0, 1.0, 6)
print("t   " + "".join(f"{t:>7d}" for t in range(len(x_values))))
print("y_t " + "".join(f"{v:>7.2f}" for v in y_values))
print("x_t " + "".join(f"{v:>7.2f}" for v in x_values))
report_equal("values of x and of y", (len(x_values), len(y_values)), (7, 7),
             "the start and six steps")
report_equal("start", (x_values[0], y_values[0]), (1.0, 1.0),
             "the lists begin with the starting point")

grid = np.linspace(-2.5, 2.5, 101)
X, Y = np.meshgrid(grid, grid)
plt.figure(figsize=(4.5, 4.5))
plt.contour(X, Y, X * Y, levels=15, cmap="coolwarm", linewidths=0.8)
plt.plot(x_values, y_values, "o-", color="black")
for t, (x, y) in enumerate(zip(x_values, y_values)):
    plt.annotate(str(t), (x, y), textcoords="offset points", xytext=(6, 6))
plt.xlabel("x (minimizes)")
plt.ylabel("y (maximizes)")
plt.title("Alternating gradient steps on f(x, y) = xy")
plt.show()
### BEGIN HIDDEN TESTS
from course_lib.grading import gan as hidden
hidden.minimax_steps(2)
### END HIDDEN TESTS

# %% [markdown]
# ## Inline question 5
#
# Following these updates, will $(x_t, y_t)$ ever reach the optimum you found in
# question 4? Why or why not?

# %% [answer] id=inline_question_5 points=2
# No. The steps go (1, 1), (-1, 2), (-2, 1), (-1, -1), (1, -2), (2, -1) and back
# to (1, 1): after six steps the path is where it started, and it goes round the
# saddle point (0, 0) forever without getting closer. Each step is the linear map
# (x, y) -> ((1 - s^2) x - s y, y + s x) with step size s; its determinant is 1,
# so it neither shrinks nor grows areas, and for s = 1 its eigenvalues are
# e^(+-i pi/3), a rotation by 60 degrees in a suitable basis. Smaller steps make
# the orbit smoother but still closed: the players keep chasing each other.

# %% [markdown]
# ## Inline question 6
#
# Suppose that during training the generator's loss keeps going down while the
# discriminator's loss stays at the same high value from the very start. Is that a
# good sign? Why or why not? A qualitative answer is enough.

# %% [answer] id=inline_question_6 points=2
# No. A discriminator loss that is high from the start and never moves means the
# discriminator is not learning to tell real images from generated ones (it may
# be stuck near chance, for instance outputting the same score for everything,
# through a bug, a too-weak network or a bad learning rate). Its judgement is
# then no signal: the generator's falling loss only says that it fools a
# discriminator that does not look, and its images need not resemble the data. In
# a healthy GAN both losses move and trade off as each player improves.
