# Template of Network_Visualization.ipynb: `course build` renders it into
# source/assignment3/. Cell kinds and options are explained in
# course_lib/tooling/template.py.

# %% [locked] include=setup

# %% [markdown]
# # Network visualization
#
# Training a classifier means choosing a loss that measures how badly the network
# does, backpropagating to get the loss's gradient with respect to the **weights**,
# and moving the weights downhill. This notebook turns that around. The network is
# already trained and stays fixed; the loss is a statement about an **image**, and
# backpropagation gives its gradient with respect to the **pixels**. Following that
# gradient changes the picture, not the network.
#
# Image gradients answer three questions in this notebook:
#
# - **Saliency maps**: which pixels does the network's decision depend on?
# - **Fooling images**: how little must an image change for the network to call it
#   something else, while a person sees no difference?
# - **Class visualization**: what image does the network consider a perfect
#   example of a class? This hints at the patterns it looks for.
#
# You write one function for each, in the cell that holds its signature and
# documentation. The cell after it checks your code on a case with a known answer;
# when you submit, the autograder checks it again on inputs of its own.

# %% [locked]
import numpy as np
import matplotlib.pyplot as plt
import torch

from course_lib import net_visualization_pytorch
from course_lib.checks import rel_error, report
from course_lib.data_utils import load_imagenet_val
from course_lib.exercise import exercise
from course_lib.net_visualization_pytorch import *  # noqa: F403
from course_lib.squeezenet import load_pretrained
from course_lib.widgets.saliency_explorer import saliency_explorer

plt.rcParams["figure.figsize"] = (10.0, 8.0)
plt.rcParams["image.interpolation"] = "nearest"

# %% [markdown]
# ## The pretrained network
#
# Any trained convolutional network would do. We use SqueezeNet 1.1 (Iandola et
# al., 2016): it reaches about the accuracy of AlexNet on ImageNet with fifty times
# fewer parameters, so every experiment below runs in seconds on a laptop's CPU.
#
# The original assignment uses SqueezeNet trained on ImageNet. This kit works
# offline, so it ships a SqueezeNet 1.1 trained on a stand-in: 64x64 pictures of a
# dozen drawn classes (apples, stars, zebra stripes, smileys, ...) on cluttered
# backgrounds. It reaches over 99 % accuracy on images it has not seen. One detail
# differs from the published network: the last layer's ReLU, which clamps every
# class score at zero, is left out, so every class score keeps a gradient. If you
# have torchvision's ImageNet weights (`squeezenet1_1-b8a52dc0.pth`) and the
# original `imagenet_val_25.npz`, pass the first to `load_pretrained(path)` and set
# the environment variable `COURSE_LIB_IMAGENET_VAL` to the second: the rest of the
# notebook runs unchanged, on 224x224 images.
#
# `load_pretrained` returns the network in evaluation mode with its parameters
# frozen (`requires_grad=False`): we will differentiate with respect to images,
# never weights.

# %%
model = load_pretrained()
print(model.num_classes, "classes")

# %% [markdown]
# ### Example images
#
# `load_imagenet_val` returns a few validation images (never seen in training)
# with their labels and the names of all classes. Have a look.

# %%
X, y, class_names = load_imagenet_val(num=5)

plt.figure(figsize=(12, 3))
for i in range(5):
    plt.subplot(1, 5, i + 1)
    plt.imshow(X[i])
    plt.title(class_names[y[i]])
    plt.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# Images go into the network as float tensors (N, 3, H, W), with each colour
# channel normalized by the mean and standard deviation of the ImageNet images.
# `preprocess` does that for one image; `deprocess` turns a tensor back into a
# picture you can show.

# %%
X_tensor = torch.cat([preprocess(x) for x in X])  # (5, 3, H, W)
y_tensor = torch.from_numpy(y)
with torch.no_grad():
    predicted = model(X_tensor).argmax(dim=1)
print("labels:     ", [class_names[int(c)] for c in y_tensor])
print("predictions:", [class_names[int(c)] for c in predicted])

# %% [markdown]
# ## Saliency maps
#
# Simonyan, Vedaldi and Zisserman (2014, section 3.1) ask which pixels a
# classifier's answer depends on. Let $s_y(I)$ be the network's raw, unnormalized
# score for class $y$ on image $I$ (a logit, not a probability). Its gradient
# $\partial s_y / \partial I$ has the shape of the image, (3, H, W): entry by
# entry, it says how fast the score would change if that one value of that one
# pixel moved a little. The **saliency map** keeps, for every pixel, the size of
# the strongest of its three channel responses:
#
# $$M_{ij} = \max_{c} \left| \frac{\partial s_y(I)}{\partial I_{c,i,j}} \right|,$$
#
# an (H, W) map of non-negative numbers. Bright pixels are the ones the decision
# is sensitive to.
#
# For a batch you need one gradient per image, each of the image's own correct
# score. Since image $i$'s scores do not depend on the other images, the gradient
# of the **sum** of the N correct scores with respect to the batch holds exactly
# those N gradients, in one backward pass.
#
# ### Picking one score per row
#
# In the first assignment you selected one entry per row of a NumPy score matrix
# with `s[np.arange(N), y]`. The same indexing works on a PyTorch tensor, and so
# does `gather`: for `s` of shape (N, C) and an int64 tensor `y` of shape (N,),
# `s.gather(1, y.view(-1, 1)).squeeze(1)` has shape (N,) and holds `s[i, y[i]]`.
# Run the example, and read the documentation of `gather` and `squeeze` if it is
# new to you.

# %%
s = torch.randn(4, 5)
labels = torch.tensor([1, 2, 1, 3])
print(s)
print(labels)
print(s.gather(1, labels.view(-1, 1)).squeeze(1))
print(s[torch.arange(4), labels])  # the same four numbers

# %% [markdown]
# Write `compute_saliency_maps`. The check uses a network whose scores are a linear
# function of the image, $s = A\,\mathrm{vec}(I)$, so the gradient of score $y$ is
# row $y$ of $A$ for every image, and the saliency map is known. Expect an error
# of 0 or around 1e-16.

# %% [solution] course_lib.net_visualization_pytorch:compute_saliency_maps

# %% [test] id=test_compute_saliency_maps points=3
torch.manual_seed(231)
H, W = 4, 5
linear = torch.nn.Sequential(
    torch.nn.Flatten(), torch.nn.Linear(3 * H * W, 6, bias=False)
)
linear.requires_grad_(False)
X_check = torch.randn(3, 3, H, W)
y_check = torch.tensor([5, 0, 5])
A = linear[1].weight.view(6, 3, H, W)  # the gradient of every score
expected = A[y_check].abs().amax(dim=1)  # (3, H, W)

saliency = compute_saliency_maps(X_check, y_check, linear)
report("saliency", saliency.detach(), expected, 1e-7)
### BEGIN HIDDEN TESTS
from course_lib.grading import network_visualization as hidden
hidden.saliency_maps(3)
### END HIDDEN TESTS

# %% [markdown]
# Now look at the saliency maps of the example images for their correct classes.
# The bright pixels should gather on the object: on this network, three in five
# of the brightest pixels lie on it, though it covers only a fifth of the
# picture. The rest fall on the background clutter: the score reacts a little to
# lines and blotches there too.

# %%
def show_saliency_maps(X, y):
    X_tensor = torch.cat([preprocess(x) for x in X])  # (N, 3, H, W)
    y_tensor = torch.from_numpy(y)
    saliency = compute_saliency_maps(X_tensor, y_tensor, model).numpy()

    N = len(X)
    plt.figure(figsize=(12, 5))
    for i in range(N):
        plt.subplot(2, N, i + 1)
        plt.imshow(X[i])
        plt.axis("off")
        plt.title(class_names[y[i]])
        plt.subplot(2, N, N + i + 1)
        plt.imshow(saliency[i], cmap=plt.cm.hot)
        plt.axis("off")
    plt.show()


show_saliency_maps(X, y)

# %% [markdown]
# ### Explore
#
# The saliency map is defined for any class, not only the correct one. In the
# explorer below, pick an image and a class: you see the picture, the saliency map
# for that class, and the map laid over the picture, with the network's top
# predictions. Compare the map of the correct class with the map of a class the
# image could be confused with (a heart and an apple, say): do they light up the
# same pixels? (Where widgets cannot be shown, for instance when the notebook runs
# without a live kernel, the cell draws every image's map for its own class.)

# %%
X_all, y_all, _ = load_imagenet_val()
saliency_explorer(model, X_all[:12], y_all[:12], class_names)

# %% [markdown]
# ## Inline question 1
#
# A friend proposes to find an image that maximizes the score of its correct class
# by gradient ascent on the image, using the saliency map in place of the gradient
# at every step. Would that work? Explain why or why not.

# %% [answer] id=inline_question_1 points=2
# **No.** The saliency map throws away what gradient ascent needs. It keeps the
# absolute value, so it has no sign: every step would make every pixel brighter,
# including pixels whose increase lowers the score. It keeps one number per pixel,
# the largest over the channels, so it cannot say which colour channel to change
# or in which direction. And it has shape (H, W), not (3, H, W), so it is not even
# a direction in image space. A step along it is generally not an ascent
# direction; only the signed gradient, one value per channel, is.

# %% [markdown]
# ## Fooling images
#
# Szegedy et al. (2014) found that an image a network classifies correctly can be
# changed imperceptibly into one it classifies as anything you like. Image
# gradients make this easy: pick a target class $t$, then do gradient **ascent**
# on its score $s_t$ with respect to the image, and stop as soon as the network's
# top class is $t$.
#
# Take steps of a fixed length rather than raw gradient steps, so that the step
# size does not depend on how large the gradient happens to be:
#
# $$g = \frac{\partial s_t(X')}{\partial X'}, \qquad
# X' \leftarrow X' + \eta \, \frac{g}{\lVert g \rVert_2},$$
#
# with $\eta = 1$, $\lVert g \rVert_2$ the norm of the whole (1, 3, H, W)
# gradient, and at most 100 steps. Work on a copy: the original image must not
# change.
#
# The check below again uses a linear network: there each step adds the same unit
# vector $A_t / \lVert A_t \rVert$, and you can count how many steps it takes.
# Expect an error of 0 or around 1e-16.

# %% [solution] course_lib.net_visualization_pytorch:make_fooling_image

# %% [test] id=test_make_fooling_image points=3
torch.manual_seed(231)
X_check = torch.randn(1, 3, H, W, dtype=torch.float64)
linear = linear.double()
target = int(linear(X_check).argmin())  # the least likely class
direction = linear[1].weight[target].view(1, 3, H, W)
direction = direction / direction.norm()
for k in range(101):  # k unit steps along the gradient
    expected = X_check + k * direction
    if linear(expected).argmax().item() == target:
        break
print(f"the linear network is fooled after {k} unit steps")

X_before = X_check.clone()
X_fooling = make_fooling_image(X_check, target, linear)
report("fooling image", X_fooling, expected, 1e-7)
print("input unchanged:", torch.equal(X_check, X_before))
### BEGIN HIDDEN TESTS
from course_lib.grading import network_visualization as hidden
hidden.fooling_image(3)
### END HIDDEN TESTS

# %% [markdown]
# Now fool the pretrained network. The cell turns the image `idx` into one the
# network classifies as `target_y`; change both to explore. Then it shows the two
# images, their difference, and the difference magnified ten times. At first
# glance the two pictures should look the same, yet the network's answer changed;
# the magnified difference shows faint, structured noise, concentrated where the
# target class would have its telltale features.
#
# On this network, 100 steps fool more than nine (image, target) pairs in ten. On
# the others, the ascent that raises the target's score raises the image's own
# class even faster, and the cell prints `fooled: False`: your function is not
# wrong, the pair is hard. Pick another target.

# %%
idx = 0
target_y = list(class_names.values()).index("star")

X_fooling = make_fooling_image(X_tensor[idx : idx + 1], target_y, model)
with torch.no_grad():
    fooled_as = model(X_fooling).argmax(dim=1).item()
print("fooled:", fooled_as == target_y, "- now classified as",
      class_names[fooled_as])

# The change in pixel units: [0, 255], as the image is stored.
change = (X_fooling - X_tensor[idx : idx + 1]) * SQUEEZENET_STD.view(3, 1, 1)
change = 255 * change
print(f"largest change of one pixel value: {change.abs().max():.1f} of 255; "
      f"mean change: {change.abs().mean():.2f}")

# %%
X_pre = X_tensor[idx : idx + 1]
pictures = [
    (X[idx], class_names[y[idx]]),
    (np.asarray(deprocess(X_fooling, should_rescale=False)),
     class_names[target_y]),
    (np.asarray(deprocess(X_fooling - X_pre, should_rescale=False)),
     "Difference"),
    (np.asarray(deprocess(10 * (X_fooling - X_pre), should_rescale=False)),
     "Magnified difference (10x)"),
]
plt.figure(figsize=(12, 4))
for i, (picture, title) in enumerate(pictures):
    plt.subplot(1, 4, i + 1)
    plt.imshow(picture)
    plt.title(title)
    plt.axis("off")
plt.show()

# %% [markdown]
# ## Class visualization
#
# Start from random noise and do gradient ascent on one class's score, and you get
# an image that the network finds typical of that class. Simonyan et al. (2014)
# introduced the idea; Yosinski et al. (2015) showed that regularizing the image
# makes the result far more recognisable. With $s_y(I)$ the raw score of class $y$
# and $R(I)$ a regularizer, we look for
#
# $$I^* = \arg\max_I \; s_y(I) - R(I).$$
#
# Note the sign: the regularizer is subtracted, so it is kept small. We use an
# explicit L2 penalty $R(I) = \lambda \lVert I \rVert_2^2$, and two implicit ones
# from Yosinski et al.: the image is shifted by a random jitter before each step
# (features must survive small shifts) and blurred every few steps (no pixel-level
# noise).
#
# Write `class_visualization_update_step`, one step of the ascent with the same
# fixed step length as the fooling images:
#
# $$g = \frac{\partial}{\partial I}\left(s_y(I) - \lambda \lVert I \rVert_2^2
# \right), \qquad I \leftarrow I + \eta \, \frac{g}{\lVert g \rVert_2}.$$
#
# It updates the image in place. On the linear network, $g = A_y - 2 \lambda I$;
# expect errors of 0 or around 1e-16.

# %% [solution] course_lib.net_visualization_pytorch:class_visualization_update_step

# %% [test] id=test_class_visualization_update_step points=2
torch.manual_seed(231)
img = torch.randn(1, 3, H, W, dtype=torch.float64, requires_grad=True)
start = img.detach().clone()
target, l2_reg, learning_rate = 2, 0.05, 1.5

class_visualization_update_step(img, linear, target, l2_reg, learning_rate)
g = linear[1].weight[target].view(1, 3, H, W) - 2 * l2_reg * start
expected = start + learning_rate * g / g.norm()
report("image after one step", img.detach(), expected, 1e-7)
### BEGIN HIDDEN TESTS
from course_lib.grading import network_visualization as hidden
hidden.update_step(2)
### END HIDDEN TESTS

# %% [markdown]
# `create_class_visualization` (provided) runs the whole loop: jitter, your update
# step, undo the jitter, clamp every pixel to the valid range, blur now and then,
# and keep a few snapshots. The original assignment's settings were tuned for
# 224x224 ImageNet images: a step of length 25 and jitter up to 16 pixels. By
# default the function scales both to the image's side, so on our 64x64 images a
# step moves each pixel as much as it would on a large image (length about 7) and
# the jitter is the same fraction of the picture (5 pixels). Three more settings
# are chosen for this network below:
#
# - a weaker L2 penalty, $\lambda = 10^{-4}$: this network's scores are small
#   logits with small gradients, and the original $10^{-3}$ pulls most of the
#   image back to grey before the score can grow;
# - a blur every 4 steps instead of 10, so that fine noise cannot build up;
# - 200 steps instead of 100.
#
# Expect a run to take a few seconds. The first snapshot is noise; by the last,
# the network should be nearly certain of the class, and you should see its
# colours.

# %%
CLASS_VIS_SETTINGS = dict(l2_reg=1e-4, blur_every=4, num_iterations=200,
                          show_every=50)


def show_class_visualization(name, seed=0, **settings):
    target = list(class_names.values()).index(name)
    image, snapshots = create_class_visualization(
        target, model, class_names=class_names,
        generator=torch.Generator().manual_seed(seed),
        **{**CLASS_VIS_SETTINGS, **settings},
    )
    plt.figure(figsize=(2.4 * len(snapshots), 2.8))
    for i, (title, snapshot) in enumerate(snapshots):
        plt.subplot(1, len(snapshots), i + 1)
        plt.imshow(snapshot)
        plt.title(title, fontsize=9)
        plt.axis("off")
    plt.show()
    return image


image = show_class_visualization("zebra stripes")

# %% [markdown]
# Try other classes. Every class ends with a clear lead, and its colours come
# through: red for the apple and the heart, yellow for the star and the sun, green
# for the tree, blue for the waves. Its shape comes through only roughly, as blobs
# and dots spaced like the network's coarsest features: what raises a score is a
# scatter of the parts the network detects, not one whole object. You may play
# with the settings (more iterations, another L2 penalty, another seed); this is
# not required.

# %%
for name in ["apple", "tree", "sun"]:
    show_class_visualization(name)
