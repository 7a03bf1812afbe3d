"""Example images for the network-visualization notebook.

By default the examples are 25 validation images of the drawn shapes
(`course_lib.shape_images`), which need no download and match the shipped SqueezeNet.
Given the original `imagenet_val_25.npz`, the same loader returns ImageNet images for
torchvision's ImageNet SqueezeNet instead.
"""

import os

import numpy as np

from course_lib import shape_images

NUM_EXAMPLES = 25


def load_imagenet_val(num=None, path=None):
    """Load example validation images, with their labels and class names.

    Inputs:
    - num: how many images to return (the first `num`); all 25 if None.
    - path: path of `imagenet_val_25.npz`. If None, the environment variable
      COURSE_LIB_IMAGENET_VAL names it; if that is unset too, the images are the
      first 25 validation images of the drawn shapes.

    The .npz file holds X, uint8 (25, 224, 224, 3); y, int64 (25,); and label_map, a
    0-d object array wrapping a dict {class index: class name}. Object arrays are
    pickled, so the file is read with np.load(allow_pickle=True): open only a file
    you trust.

    Returns a tuple of:
    - X: uint8 array (num, H, W, 3); H = W = 224 for ImageNet, 64 for the shapes.
    - y: int64 array (num,).
    - class_names: dict {class index: class name}, covering all classes.
    """
    if path is None:
        path = os.environ.get("COURSE_LIB_IMAGENET_VAL")

    if path is None:
        X, y = shape_images.load_shape_images("val")
        X, y = X[:NUM_EXAMPLES], y[:NUM_EXAMPLES]
        class_names = dict(enumerate(shape_images.CLASS_NAMES))
    else:
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"No ImageNet sample file at {path!r}. Pass the path of "
                "imagenet_val_25.npz, or unset COURSE_LIB_IMAGENET_VAL to use the "
                "drawn shapes that ship with the library."
            )
        with np.load(path, allow_pickle=True) as f:
            X, y = f["X"], f["y"].astype(np.int64)
            class_names = f["label_map"].item()

    if num is not None:
        if not 0 < num <= len(X):
            raise ValueError(
                f"num must be between 1 and {len(X)} (the number of images), got "
                f"{num}."
            )
        X, y = X[:num], y[:num]
    return X, y, class_names
