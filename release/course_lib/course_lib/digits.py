"""Handwritten-looking digits in MNIST's format, and a reader for MNIST itself.

Images are 28x28 grayscale, white ink on black, with the digit's centerline scaled
into a box of about 18 pixels and its center of mass at the middle, as in MNIST.

Two sources serve the same `Digits` dataset:
- "embedded" (the default): digits drawn by code in this module and kept in the
  data cache after the first use (a few seconds to build, a fraction of one to load).
  Every digit is a pen path through the control points of one of a few templates per
  class (a "1" with or without a flag, a "4" open or closed, a "7" with or without a
  bar), bent by a smooth random displacement field, slanted, rotated and stretched,
  and inked with a stroke whose width, pressure and edge softness vary.
- a folder holding the real MNIST files in the idx format; `download_mnist` fetches
  them. The training file's first 50,000 images form the training split and the next
  5,000 the validation split, as in the original assignment.

Image i of an embedded split is drawn from its own random stream, seeded by
(split, i), so any subset can be redrawn alone and always comes out the same.
"""

import functools
import gzip
import struct
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from course_lib.cache import cached_dataset

IMAGE_SIZE = 28
NUM_CLASSES = 10
SPLIT_SIZES = {"train": 20_000, "val": 2_000}
MNIST_SPLITS = {"train": slice(0, 50_000), "val": slice(50_000, 55_000)}
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# Change the version whenever the drawing changes, so that caches are rebuilt.
_VERSION = 1
_SPLIT_SEEDS = {"train": 0, "val": 1}
_SEED = 231
_RENDER_CHUNK = 256  # images rendered at once; bounds memory to ~100 MB

# Pen strokes of every digit, in a unit box: x to the right, y downwards. A digit
# has one or more variants, each (how often it is drawn, its strokes). A stroke is
# a smooth curve through its control points; "closed" strokes return to the start.
# Strokes that meet share a control point, and the random displacement that bends
# a digit is a smooth field over the plane, so joints stay joined.
_OPEN, _CLOSED = False, True
_TEMPLATES = {
    0: [
        (0.6, [(_CLOSED, [(0.5 + 0.3 * np.sin(t), 0.5 - 0.46 * np.cos(t))
                          for t in np.linspace(0, 2 * np.pi, 12, endpoint=False)])]),
        (0.4, [(_OPEN, [(0.6, 0.06), (0.35, 0.1), (0.2, 0.45), (0.28, 0.85),
                        (0.5, 0.96), (0.74, 0.84), (0.8, 0.45), (0.7, 0.12),
                        (0.5, 0.03)])]),
    ],
    1: [
        (0.6, [(_OPEN, [(0.52, 0.03), (0.5, 0.97)])]),
        (0.3, [(_OPEN, [(0.32, 0.22), (0.52, 0.03)]),
               (_OPEN, [(0.52, 0.03), (0.5, 0.97)])]),
        (0.1, [(_OPEN, [(0.32, 0.22), (0.52, 0.03)]),
               (_OPEN, [(0.52, 0.03), (0.5, 0.96)]),
               (_OPEN, [(0.3, 0.96), (0.72, 0.96)])]),
    ],
    2: [
        (0.7, [(_OPEN, [(0.18, 0.26), (0.36, 0.06), (0.62, 0.04), (0.8, 0.2),
                        (0.74, 0.45), (0.45, 0.72), (0.15, 0.95)]),
               (_OPEN, [(0.15, 0.95), (0.5, 0.92), (0.88, 0.95)])]),
        (0.3, [(_OPEN, [(0.2, 0.22), (0.42, 0.04), (0.7, 0.08), (0.76, 0.32),
                        (0.5, 0.64), (0.18, 0.94), (0.34, 0.86), (0.6, 0.92),
                        (0.88, 0.88)])]),
    ],
    3: [
        (1.0, [(_OPEN, [(0.18, 0.14), (0.45, 0.03), (0.74, 0.1), (0.76, 0.3),
                        (0.46, 0.47)]),
               (_OPEN, [(0.46, 0.47), (0.8, 0.6), (0.8, 0.83), (0.55, 0.97),
                        (0.16, 0.87)])]),
    ],
    4: [
        (0.5, [(_OPEN, [(0.62, 0.03), (0.12, 0.66)]),
               (_OPEN, [(0.12, 0.66), (0.9, 0.66)]),
               (_OPEN, [(0.62, 0.03), (0.64, 0.97)])]),
        (0.5, [(_OPEN, [(0.22, 0.03), (0.16, 0.58)]),
               (_OPEN, [(0.16, 0.58), (0.88, 0.56)]),
               (_OPEN, [(0.7, 0.08), (0.68, 0.97)])]),
    ],
    5: [
        (1.0, [(_OPEN, [(0.8, 0.05), (0.28, 0.06)]),
               (_OPEN, [(0.28, 0.06), (0.24, 0.45)]),
               (_OPEN, [(0.24, 0.45), (0.5, 0.37), (0.77, 0.5), (0.8, 0.77),
                        (0.55, 0.95), (0.18, 0.88)])]),
    ],
    6: [
        (1.0, [(_OPEN, [(0.7, 0.03), (0.42, 0.22), (0.24, 0.52), (0.24, 0.8),
                        (0.45, 0.96), (0.72, 0.88), (0.76, 0.66), (0.52, 0.52),
                        (0.27, 0.64)])]),
    ],
    7: [
        (0.8, [(_OPEN, [(0.14, 0.07), (0.86, 0.06)]),
               (_OPEN, [(0.86, 0.06), (0.62, 0.45), (0.45, 0.96)])]),
        (0.2, [(_OPEN, [(0.14, 0.07), (0.86, 0.06)]),
               (_OPEN, [(0.86, 0.06), (0.62, 0.45), (0.45, 0.96)]),
               (_OPEN, [(0.38, 0.5), (0.8, 0.47)])]),
    ],
    8: [
        (1.0, [(_CLOSED, [(0.5, 0.04), (0.24, 0.2), (0.5, 0.48), (0.78, 0.74),
                          (0.5, 0.96), (0.22, 0.74), (0.5, 0.48), (0.76, 0.2)])]),
    ],
    9: [
        (0.6, [(_OPEN, [(0.78, 0.22), (0.55, 0.04), (0.25, 0.14), (0.25, 0.38),
                        (0.5, 0.48), (0.78, 0.3), (0.76, 0.6), (0.72, 0.97)])]),
        (0.4, [(_OPEN, [(0.78, 0.22), (0.55, 0.04), (0.25, 0.14), (0.25, 0.38),
                        (0.5, 0.48), (0.78, 0.3), (0.74, 0.66), (0.58, 0.92),
                        (0.38, 0.96)])]),
    ],
}
_PATH_SPACING = 0.02  # distance between consecutive path points, unit-box lengths
_VARIANT_WEIGHTS = {
    label: np.array([w for w, _ in variants]) / sum(w for w, _ in variants)
    for label, variants in _TEMPLATES.items()
}
# The bending field: plane waves as (amplitude, frequency), in unit-box lengths and
# cycles per unit; two broad ones change the proportions, two finer ones the curves.
_WAVES = ((0.05, 0.7), (0.05, 0.7), (0.012, 1.5), (0.012, 1.5))


class Digits(Dataset):
    """One split of a digit dataset, as (image, label) pairs for a DataLoader.

    Inputs:
    - split: "train" or "val".
    - source: "embedded" for the digits drawn by this module (20,000 training and
      2,000 validation images), or the path of a folder that holds the MNIST idx
      files (50,000 and 5,000 images, taken from MNIST's training file).

    Attributes:
    - images: (N, 1, 28, 28) float32 tensor in [0, 1], white ink on black.
    - labels: (N,) int64 tensor of digits 0-9.

    Item i is (images[i], labels[i]); use it with a DataLoader, e.g.
    `DataLoader(Digits("train"), batch_size=128, shuffle=True)`.
    """

    def __init__(self, split="train", source="embedded"):
        if split not in SPLIT_SIZES:
            raise ValueError(
                f"split must be one of {sorted(SPLIT_SIZES)}, got {split!r}."
            )
        if source == "embedded":
            images, labels = load_embedded(split)
        else:
            images, labels = load_mnist(source, kind="train")
            rows = MNIST_SPLITS[split]
            images, labels = images[rows], labels[rows]
        self.images = torch.from_numpy(images).unsqueeze(1).float() / 255  # (N,1,28,28)
        self.labels = torch.from_numpy(labels.astype(np.int64))  # (N,)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], self.labels[index]


def load_embedded(split="train"):
    """The images and labels of one embedded split, drawn on first use, then cached.

    Returns a tuple of:
    - images: (N, 28, 28) uint8 array, 0 for background, 255 for full ink.
    - labels: (N,) uint8 array of digits, every class N / 10 times, shuffled.
    """
    if split not in SPLIT_SIZES:
        raise ValueError(f"split must be one of {sorted(SPLIT_SIZES)}, got {split!r}.")

    def build(folder):
        labels = split_labels(split)
        write_idx(folder / "images-idx3-ubyte", generate(split, labels))
        write_idx(folder / "labels-idx1-ubyte", labels)

    folder = cached_dataset(f"digits_v{_VERSION}_{split}", build)
    images = read_idx(folder / "images-idx3-ubyte")
    labels = read_idx(folder / "labels-idx1-ubyte")
    return images, labels


def split_labels(split):
    """(N,) uint8 labels of an embedded split: each digit equally often, shuffled."""
    size = SPLIT_SIZES[split]
    rng = np.random.default_rng([_SEED, _SPLIT_SEEDS[split]])
    return rng.permutation(np.arange(size) % NUM_CLASSES).astype(np.uint8)


def generate(split, labels, indices=None):
    """Draw images of an embedded split.

    Inputs:
    - split: "train" or "val"; with the index it seeds each image's random stream.
    - labels: (N,) digits to draw.
    - indices: (N,) positions of the images in the split; by default 0 .. N-1.

    Returns (N, 28, 28) uint8 images.
    """
    labels = np.asarray(labels)
    if indices is None:
        indices = np.arange(len(labels))
    rngs = [np.random.default_rng([_SEED, _SPLIT_SEEDS[split], i]) for i in indices]
    images = np.zeros((len(labels), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for start in range(0, len(labels), _RENDER_CHUNK):
        rows = slice(start, start + _RENDER_CHUNK)
        images[rows] = _ink(*_sample_pens(labels[rows], rngs[rows]))
    return images


def _sample_pens(labels, rngs):
    """Sample the pen paths of B digits, in pixel coordinates.

    Each digit's random numbers come from its own generator in `rngs`, drawn in the
    same order whatever the other digits are; the geometry is then computed for all
    B at once.

    Returns a tuple of:
    - points: (B, K, 2) float32 (x, y) positions along the paths, padded at the end
      with points far outside the image.
    - radii: (B, K) float32 half widths of the strokes at those points, pixels.
    - softness: (B,) float32 widths of the strokes' edge ramps from ink to
      background, pixels.
    """
    B, W = len(labels), len(_WAVES)
    amplitude, frequency = np.array(_WAVES).T  # (W,), (W,)

    # 1. Draw every digit's random numbers.
    paths = []
    wave_direction = np.empty((B, W, 2))
    wave_shift = np.empty((B, W, 2))
    wave_phase = np.empty((B, W))
    slant, width, angle, box, radius, wobble, wobble_phase, softness = np.empty((8, B))
    for b, (label, rng) in enumerate(zip(labels, rngs)):
        weights = _VARIANT_WEIGHTS[label]
        paths.append(_template_path(label, rng.choice(len(weights), p=weights)))
        wave_direction[b] = rng.normal(size=(W, 2)) * (2 * np.pi * frequency[:, None])
        wave_shift[b] = rng.normal(size=(W, 2)) * amplitude[:, None]
        wave_phase[b] = rng.uniform(0, 2 * np.pi, size=W)
        slant[b] = rng.normal(0.12, 0.18)  # shear, x shift per unit of height
        angle[b] = rng.normal(0.0, 0.12)  # rotation, radians
        width[b] = rng.uniform(0.7, 1.15)  # horizontal stretch
        box[b] = rng.uniform(16.5, 19.5)  # longest side of the path, pixels
        radius[b] = rng.uniform(0.9, 1.8)  # half the stroke width, pixels
        wobble[b] = rng.uniform(3, 9)  # pressure change, radians per unit of path
        wobble_phase[b] = rng.uniform(0, 2 * np.pi)
        softness[b] = rng.uniform(0.8, 1.6)  # ink-to-background ramp, pixels

    # 2. Gather the template paths into one padded array.
    K = max(len(points) for points, _ in paths)
    points = np.zeros((B, K, 2))
    arc = np.zeros((B, K))
    valid = np.zeros((B, K), dtype=bool)
    for b, (p, a) in enumerate(paths):
        points[b, : len(p)], arc[b, : len(a)], valid[b, : len(p)] = p, a, True

    # 3. Bend: a smooth displacement field, a few plane waves of random direction.
    phase = points @ wave_direction.transpose(0, 2, 1)  # (B, K, W)
    phase = phase + wave_phase[:, None]
    points = points + np.sin(phase) @ wave_shift  # (B, K, 2)

    # 4. Slant (shear), stretch the width and rotate, about the box center.
    cos, sin = np.cos(angle), np.sin(angle)
    rotate = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    zero, one = np.zeros(B), np.ones(B)
    shear = np.stack([np.stack([width, -slant], -1), np.stack([zero, one], -1)], -2)
    points = (points - 0.5) @ (rotate @ shear).transpose(0, 2, 1)  # (B, K, 2)

    # 5. Fit the longest side into the box and put the center of ink at the middle.
    high = np.where(valid[..., None], points, -np.inf).max(axis=1)  # (B, 2)
    low = np.where(valid[..., None], points, np.inf).min(axis=1)  # (B, 2)
    points = points * (box / (high - low).max(axis=1))[:, None, None]
    center = (points * valid[..., None]).sum(axis=1) / valid.sum(axis=1)[:, None]
    points = points - center[:, None] + (IMAGE_SIZE - 1) / 2
    points[~valid] = -1e3

    # 6. Ink: a stroke width, and a pressure that swells and thins along the path.
    pressure = 1 + 0.2 * np.sin(arc * wobble[:, None] + wobble_phase[:, None])
    radii = (radius[:, None] * pressure).astype(np.float32)  # (B, K)
    return points.astype(np.float32), radii, softness.astype(np.float32)


@functools.cache
def _template_path(label, variant):
    """Points at even spacing along the strokes of a template, in the unit box.

    Returns a tuple of (K, 2) points and (K,) arc length from the path's start.
    """
    paths = []
    for closed, controls in _TEMPLATES[label][variant][1]:
        curve = _catmull_rom(np.array(controls), closed)  # (M, 2)
        paths.append(_resample(curve, _PATH_SPACING))
    points = np.concatenate(paths)  # (K, 2)
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])  # (K,)
    return points, arc


def _catmull_rom(controls, closed, samples=32):
    """A smooth curve through (C, 2) control points: (M, 2) points along it."""
    if closed:
        padded = np.concatenate([controls[-1:], controls, controls[:2]])
    else:
        head = 2 * controls[0] - controls[1]
        tail = 2 * controls[-1] - controls[-2]
        padded = np.concatenate([[head], controls, [tail]])  # (C + 2, 2)
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]  # (samples, 1)
    pieces = []
    for p0, p1, p2, p3 in zip(padded, padded[1:], padded[2:], padded[3:]):
        # Uniform Catmull-Rom: the cubic from p1 to p2 with tangents (p2 - p0) / 2
        # and (p3 - p1) / 2.
        pieces.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    end = controls[:1] if closed else controls[-1:]
    return np.concatenate(pieces + [end])


def _resample(curve, spacing):
    """Points at equal arc-length spacing along a (M, 2) polyline."""
    steps = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])  # (M,)
    targets = np.linspace(0, arc[-1], max(int(arc[-1] / spacing), 1) + 1)
    return np.stack(
        [np.interp(targets, arc, curve[:, 0]), np.interp(targets, arc, curve[:, 1])],
        axis=1,
    )


def _ink(points, radii, softness):
    """Render B pen paths into (B, 28, 28) uint8 images.

    Inputs are those `_sample_pens` returns. A pixel's ink is how far its center lies
    inside the nearest stroke disc, (radius - distance) / softness + 1/2, clipped to
    [0, 1]. Radii and softness keep that ramp within 3 pixels of a path point, so
    each point only inks the 8x8 pixels around it.
    """
    B, K, _ = points.shape
    offsets = np.arange(-3, 5, dtype=np.float32)  # (8,)

    # Pixel coordinates of each point's window and their distances to the point.
    corner = np.floor(points)  # (B, K, 2)
    cols = corner[..., 0, None] + offsets  # (B, K, 8)
    rows = corner[..., 1, None] + offsets  # (B, K, 8)
    dx2 = (cols - points[..., 0, None]) ** 2  # (B, K, 8)
    dy2 = (rows - points[..., 1, None]) ** 2  # (B, K, 8)
    distance = np.sqrt(dy2[..., :, None] + dx2[..., None, :])  # (B, K, 8, 8)
    depth = (radii[..., None, None] - distance) / softness[:, None, None, None]

    # Keep each pixel's deepest value; pixels outside the image go to a spare slot.
    inside_cols = (cols >= 0) & (cols < IMAGE_SIZE)  # (B, K, 8)
    inside_rows = (rows >= 0) & (rows < IMAGE_SIZE)  # (B, K, 8)
    pixel = rows[..., :, None] * IMAGE_SIZE + cols[..., None, :]  # (B, K, 8, 8)
    inside = inside_rows[..., :, None] & inside_cols[..., None, :]  # (B, K, 8, 8)
    slots = IMAGE_SIZE * IMAGE_SIZE + 1  # the pixels and one spare
    index = np.where(inside, pixel, slots - 1).astype(np.int64)
    index += np.arange(B)[:, None, None, None] * slots
    canvas = np.full(B * slots, -np.inf, dtype=np.float32)
    np.maximum.at(canvas, index.ravel(), depth.ravel())

    ink = np.clip(canvas.reshape(B, slots)[:, :-1] + 0.5, 0, 1)  # (B, 784)
    return np.round(ink * 255).astype(np.uint8).reshape(B, IMAGE_SIZE, IMAGE_SIZE)


# The idx format (used by MNIST): two zero bytes, a type code, the number of
# dimensions, one big-endian uint32 per dimension, then the values, row-major.
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """Read an idx file (or its .gz) into a NumPy array of the shape it declares."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(
            f"{path} is not an idx file: it starts with bytes {data[:4].hex(' ')}, "
            f"where an idx file starts with 00 00, a type code (08 for unsigned "
            f"bytes) and the number of dimensions (03 for images, 01 for labels). "
            f"A failed download can leave an error page in its place: delete the "
            f"file and download it again."
        )
    dtype, ndim = _IDX_TYPES[data[2]], data[3]
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    expected = 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{path} declares shape {shape}, which needs {expected} bytes, but holds "
            f"{len(data)}: the file is truncated or damaged. Download it again."
        )
    values = np.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim)
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write an array of one of the idx value types to an idx file."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in _IDX_TYPES.items()}
    if array.dtype not in codes:
        raise ValueError(
            f"The idx format stores uint8, int8, int16, int32, float32 or float64, "
            f"got an array of {array.dtype}. Convert it with .astype() first."
        )
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    big_endian = array.astype(array.dtype.newbyteorder(">"))
    Path(path).write_bytes(header + dims + big_endian.tobytes())


def load_mnist(folder, kind="train"):
    """Read MNIST's images and labels from a folder of idx files.

    Inputs:
    - folder: holds `{kind}-images-idx3-ubyte` and `{kind}-labels-idx1-ubyte`, each
      possibly gzipped (with a .gz suffix), as `download_mnist` leaves them.
    - kind: "train" (60,000 images) or "t10k" (10,000 test images).

    Returns a tuple of (N, 28, 28) uint8 images and (N,) uint8 labels.
    """
    if kind not in MNIST_FILES:
        raise ValueError(f"kind must be one of {sorted(MNIST_FILES)}, got {kind!r}.")
    images, labels = (read_idx(_find(Path(folder), name)) for name in MNIST_FILES[kind])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"Expected (N, 28, 28) images and (N,) labels in {folder}, got images "
            f"of shape {images.shape} and labels of shape {labels.shape}."
        )
    return images, labels


def _find(folder, name):
    """The path of `name` or `name.gz` in `folder`."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"Neither {name} nor {name}.gz is in {folder}. Fetch the MNIST files with "
        f"course_lib.digits.download_mnist({str(folder)!r}), or use the embedded "
        f'digits with source="embedded".'
    )


def download_mnist(dest, mirror=MNIST_MIRROR):
    """Download the four gzipped MNIST idx files into the folder `dest`.

    Inputs:
    - dest: folder to download into; created if missing. Files already there
      complete are kept, interrupted downloads resume.
    - mirror: base URL that serves the files under their usual names.

    Returns the folder, ready for `Digits(split, source=dest)`.
    """
    from course_lib.download import fetch  # only this function uses the network

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for kind, names in MNIST_FILES.items():
        for name in names:
            fetch(f"{mirror.rstrip('/')}/{name}.gz", dest / f"{name}.gz")
        load_mnist(dest, kind)  # fails loudly on a damaged file
    return dest
