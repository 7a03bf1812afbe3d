"""Image gradients of a pretrained classifier: saliency maps, fooling
images and class visualizations.

The classifier is a SqueezeNet 1.1 with frozen parameters (see
`course_lib.squeezenet.load_pretrained`); images are normalized tensors
(N, 3, H, W) as `preprocess` makes them. Class scores are the raw,
unnormalized outputs of the network, s_y(I) for class y and image I.

Functions are written to 79 columns: they are shown in notebook cells.

References:
- Simonyan, Vedaldi and Zisserman, "Deep Inside Convolutional Networks:
  Visualising Image Classification Models and Saliency Maps", ICLR
  Workshop 2014.
- Szegedy et al., "Intriguing properties of neural networks", ICLR 2014.
- Yosinski et al., "Understanding Neural Networks Through Deep
  Visualization", ICML Deep Learning Workshop 2015.
"""

import torch

from course_lib.image_preprocessing import (
    SQUEEZENET_MEAN,
    SQUEEZENET_STD,
    blur_image,
    deprocess,
    jitter,
    preprocess,
    rescale,
)
from course_lib.progress import Progress
from course_lib.shape_images import IMAGE_SIZE

__all__ = [
    "SQUEEZENET_MEAN",
    "SQUEEZENET_STD",
    "blur_image",
    "class_visualization_update_step",
    "compute_saliency_maps",
    "create_class_visualization",
    "deprocess",
    "jitter",
    "make_fooling_image",
    "preprocess",
    "rescale",
]


def compute_saliency_maps(X, y, model):
    """Saliency maps of images for their correct classes.

    The saliency of a pixel is how strongly the correct class score reacts
    to it: the absolute value of the gradient of s_y(X) with respect to the
    pixel, maximal over the three colour channels.

    Inputs:
    - X: (N, 3, H, W) input images; not modified.
    - y: (N,) int64 labels of X, 0 <= y[i] < C.
    - model: a pretrained CNN mapping (N, 3, H, W) images to (N, C) class
      scores.

    Returns:
    - saliency: (N, H, W) tensor of non-negative saliencies.

    Hints: put the model in evaluation mode (dropout off). Differentiate a
    copy of X that requires gradient; the sum of the N correct scores has
    exactly the N gradients you need, one per image (`scores.gather` picks
    the correct scores). `torch.autograd.grad(output, inputs)` returns the
    gradient without storing any in the model's parameters.
    """
    raise NotImplementedError(
        'compute_saliency_maps is an exercise: write it in its cell in Network_Visualization.ipynb and run that cell.'
    )
    return saliency


def make_fooling_image(X, target_y, model):
    """Perturb an image until the model classifies it as `target_y`.

    Gradient ascent on the target score s_t(X'), with steps of fixed length:
        g = d s_t(X') / d X';   X' <- X' + learning_rate * g / ||g||_2,
    learning_rate 1, ||g||_2 the L2 norm of the whole gradient. Before each
    step, stop if the model's top class is already target_y; take at most
    100 steps.

    Inputs:
    - X: (1, 3, H, W) input image; not modified.
    - target_y: int in [0, C), the class to fool the model into.
    - model: a pretrained CNN mapping images to (1, C) class scores.

    Returns:
    - X_fooling: (1, 3, H, W) tensor, close to X, that the model (almost
      always) classifies as target_y; it does not require gradient.
    """
    learning_rate = 1
    max_iterations = 100
    raise NotImplementedError(
        'make_fooling_image is an exercise: write it in its cell in Network_Visualization.ipynb and run that cell.'
    )
    return X_fooling


def class_visualization_update_step(
    img, model, target_y, l2_reg, learning_rate
):
    """One gradient-ascent step towards an image typical of a class.

    The objective is the target score minus an L2 penalty,
        J(I) = s_y(I) - l2_reg * ||I||_2^2,
    and the step has a fixed length, as for fooling images:
        g = dJ/dI;   I <- I + learning_rate * g / ||g||_2.

    Inputs:
    - img: (1, 3, H, W) image tensor that requires gradient; updated in
      place.
    - model: a pretrained CNN in evaluation mode, mapping images to (1, C)
      scores.
    - target_y: int in [0, C), the class to visualize.
    - l2_reg: strength of the L2 penalty.
    - learning_rate: length of the step, in the L2 norm of the whole image.

    Returns nothing. Leave img.grad as you found it (use
    torch.autograd.grad, or zero the gradient after a backward pass), and
    update img under torch.no_grad().
    """
    raise NotImplementedError(
        'class_visualization_update_step is an exercise: write it in its cell in Network_Visualization.ipynb and run that cell.'
    )


def create_class_visualization(
    target_y,
    model,
    dtype=torch.float32,
    class_names=None,
    *,
    l2_reg=1e-3,
    learning_rate=None,
    num_iterations=100,
    blur_every=10,
    max_jitter=None,
    show_every=25,
    blur_sigma=0.5,
    image_size=IMAGE_SIZE,
    generator=None,
):
    """Synthesize an image that maximizes the score of class `target_y`.

    Starting from random noise, repeat `num_iterations` times: shift the
    image by a random jitter, take one `class_visualization_update_step`,
    shift it back, clamp each channel to the range that normalized pixels in
    [0, 1] cover, and every `blur_every` iterations blur it a little (sigma
    `blur_sigma`). Jitter and blur are implicit regularizers (Yosinski et al.
    2015): they favour images whose features survive small shifts and lack
    pixel-level noise.

    Inputs:
    - target_y: int, the class to visualize.
    - model: a pretrained CNN; it is put in evaluation mode and cast to
      `dtype`.
    - dtype: torch dtype of the computation.
    - class_names: optional mapping class index -> name, for snapshot
      titles.
    - l2_reg, learning_rate: passed to `class_visualization_update_step`.
      The step is measured in the L2 norm of the whole image, so the same
      value moves each pixel further on a smaller image; None (the default)
      takes 25 for 224x224 images, scaled by image_size / 224 (about 7 for
      64x64), which keeps the size of a step per pixel.
    - num_iterations: number of update steps.
    - blur_every: blur the image every this many iterations.
    - max_jitter: largest jitter, in pixels, along each axis; None (the
      default) takes 16 for 224x224 images, scaled by image_size / 224 (5
      for 64x64), so that it is the same fraction of the image.
    - show_every: keep a snapshot every this many iterations (and of the
      first and the last iteration).
    - blur_sigma: standard deviation of the blur, in pixels.
    - image_size: side of the square image; 64 for the shipped network
      trained on drawn shapes, 224 for the ImageNet network.
    - generator: optional torch.Generator for the initial noise and the
      jitter, to make a run reproducible.

    A progress bar shows where a person watches (see `course_lib.progress`).

    Returns a tuple of:
    - image: the final image, a PIL image rescaled to the full [0, 255]
      range.
    - snapshots: list of (title, PIL image) pairs, e.g.
      ("star\\nIteration 25 / 100", image), to display together in one
      figure rather than one plot per iteration.
    """
    # 1. The original defaults are for 224x224 images; scale them to this one.
    if learning_rate is None:
        learning_rate = 25 * image_size / 224
    if max_jitter is None:
        max_jitter = round(16 * image_size / 224)

    model.eval()
    model.to(dtype)
    if class_names is not None:
        name = class_names[target_y]
    else:
        name = f"class {target_y}"

    # Normalized pixels in [0, 1] lie between these bounds, per channel.
    mean = SQUEEZENET_MEAN.to(dtype).view(1, 3, 1, 1)
    std = SQUEEZENET_STD.to(dtype).view(1, 3, 1, 1)
    low, high = -mean / std, (1 - mean) / std  # (1, 3, 1, 1) each

    shape = (1, 3, image_size, image_size)
    img = torch.randn(shape, generator=generator, dtype=dtype)
    img.requires_grad_(True)
    snapshots = []
    bar = Progress(num_iterations, f"Visualizing {name}", unit="step")
    for t in range(num_iterations):
        bar.step()
        # 2. Step on a randomly shifted copy of the image, then shift it back.
        shift = torch.randint(0, max_jitter + 1, (2,), generator=generator)
        ox, oy = shift.tolist()
        with torch.no_grad():
            img.copy_(jitter(img, ox, oy))
        class_visualization_update_step(
            img, model, target_y, l2_reg, learning_rate
        )
        with torch.no_grad():
            img.copy_(jitter(img, -ox, -oy))

            # 3. Regularize: clamp to valid pixels, blur now and then.
            img.copy_(torch.maximum(torch.minimum(img, high), low))
            if t % blur_every == 0:
                blur_image(img, sigma=blur_sigma)

        # 4. Keep a snapshot for display.
        if t == 0 or (t + 1) % show_every == 0 or t == num_iterations - 1:
            title = f"{name}\nIteration {t + 1} / {num_iterations}"
            snapshots.append((title, deprocess(img)))

    bar.close()
    return deprocess(img), snapshots
