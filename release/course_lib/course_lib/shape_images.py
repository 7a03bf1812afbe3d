"""Drawn shapes: a small labeled image set that stands in for ImageNet offline.

Every image shows one object of a dozen classes (an apple, a star, a zebra-striped
patch, ...) drawn at a random position, size, rotation and tint over a cluttered
background: a blotchy colour field crossed by random lines, outlines and boxes, plus
pixel noise. Classes that share a colour differ in shape (apple, heart and bullseye
are red; star, smiley and moon are yellow) and classes that share a shape differ in
texture (zebra stripes, checkerboard, waves), so a network must look at the object,
and its saliency maps, fooling images and class visualizations show what it looks at.

Images are 64x64 RGB, drawn at twice that size and downsampled for smooth edges.
Image i of a split has class i % C and is drawn from its own random stream, seeded by
(split, i): any subset can be redrawn alone and always comes out the same.
"""

import functools
import math

import numpy as np
from PIL import Image, ImageDraw

from course_lib.cache import cached_dataset

CLASS_NAMES = (
    "apple",
    "star",
    "zebra stripes",
    "bullseye",
    "smiley",
    "checkerboard",
    "waves",
    "tree",
    "sun",
    "heart",
    "moon",
    "flower",
)
IMAGE_SIZE = 64
SPLIT_SIZES = {"train": 6000, "val": 1200}

# Change the version whenever the drawing changes, so that caches are rebuilt.
_VERSION = 1
_SEED = 231
_SUPERSAMPLE = 2
_CANVAS = IMAGE_SIZE * _SUPERSAMPLE  # side of the drawing canvas, pixels
_OBJECT_CANVAS = 200  # side of the canvas one object is drawn on, pixels
_NOISE_STD = 6.0  # pixel noise, in [0, 255] units

# Classes drawn upright (a tree, a face) only tilt a little; the rest turn freely.
_UPRIGHT = {"apple", "smiley", "tree", "heart"}
_MAX_TILT = 30.0  # degrees


def load_shape_images(split="train"):
    """The images and labels of one split, generated on first use and then cached.

    Inputs:
    - split: "train" (6000 images) or "val" (1200 images).

    Returns a tuple of:
    - X: uint8 array (N, 64, 64, 3), RGB images.
    - y: int64 array (N,), class indices into CLASS_NAMES; y[i] = i % C.
    """
    _check_split(split)

    def build(folder):
        X, y = generate(split)
        np.savez(folder / "images.npz", X=X, y=y)

    folder = cached_dataset(f"shape_images_v{_VERSION}_{split}", build)
    with np.load(folder / "images.npz") as data:
        return data["X"], data["y"]


def generate(split, indices=None):
    """Draw images of a split without touching the cache.

    Inputs:
    - split: "train" or "val".
    - indices: which images of the split to draw; all of them if None.

    Returns a tuple of:
    - X: uint8 array (N, 64, 64, 3).
    - y: int64 array (N,).
    """
    _check_split(split)
    if indices is None:
        indices = range(SPLIT_SIZES[split])
    C = len(CLASS_NAMES)

    X = np.empty((len(indices), IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    y = np.empty(len(indices), dtype=np.int64)
    for n, i in enumerate(indices):
        y[n] = i % C
        X[n], _ = render_image(int(y[n]), _stream(split, i))
    return X, y


def object_masks(split, indices):
    """Where the object is in images of a split: the fraction of each pixel it
    covers, redrawn from the images' own random streams.

    Inputs:
    - split: "train" or "val".
    - indices: which images of the split.

    Returns a float32 array (N, 64, 64) with values in [0, 1].
    """
    _check_split(split)
    C = len(CLASS_NAMES)
    return np.stack([render_image(int(i) % C, _stream(split, i))[1] for i in indices])


def _stream(split, i):
    """The random stream that draws image i of a split."""
    return np.random.default_rng((_SEED, sorted(SPLIT_SIZES).index(split), int(i)))


def _check_split(split):
    if split not in SPLIT_SIZES:
        raise ValueError(f"split must be one of {sorted(SPLIT_SIZES)}, got {split!r}.")


def render_image(label, rng):
    """An image of class `label` drawn with generator `rng`, and the fraction of
    each of its pixels that the object covers: uint8 (64, 64, 3) and float32
    (64, 64)."""
    canvas = _background(rng)  # RGB, (_CANVAS, _CANVAS)

    # 1. The object, scaled, tinted and turned, somewhere mostly inside the frame.
    name = CLASS_NAMES[label]
    side = int(rng.uniform(0.5, 0.85) * _CANVAS)
    obj = _object(name).resize((side, side), resample=Image.BILINEAR)
    obj = _tint(obj, rng)
    max_angle = _MAX_TILT if name in _UPRIGHT else 180.0
    obj = obj.rotate(rng.uniform(-max_angle, max_angle), resample=Image.BICUBIC)
    margin = int(0.1 * side)
    left = int(rng.integers(-margin, _CANVAS - side + margin + 1))
    top = int(rng.integers(-margin, _CANVAS - side + margin + 1))
    canvas.paste(obj, (left, top), obj)
    coverage = Image.new("L", canvas.size, 0)
    coverage.paste(obj.getchannel("A"), (left, top))

    # 2. Downsample for smooth edges, then add pixel noise.
    small = canvas.resize((IMAGE_SIZE, IMAGE_SIZE), resample=Image.BOX)
    pixels = np.asarray(small, dtype=np.float32)  # (64, 64, 3)
    pixels += rng.normal(0.0, _NOISE_STD, size=pixels.shape)
    coverage = coverage.resize((IMAGE_SIZE, IMAGE_SIZE), resample=Image.BOX)
    coverage = np.asarray(coverage, dtype=np.float32) / 255  # (64, 64)
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8), coverage


def _background(rng):
    """A blotchy colour field crossed by random lines, outlines and small boxes."""
    grid = rng.uniform(40, 220, size=(3, 3, 3)).astype(np.uint8)  # coarse colours
    canvas = Image.fromarray(grid).resize((_CANVAS, _CANVAS), resample=Image.BICUBIC)
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(4, 10))):
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        x0, y0, x1, y1 = (float(v) for v in rng.uniform(0, _CANVAS, size=4))
        kind = rng.integers(3)
        if kind == 0:
            draw.line((x0, y0, x1, y1), fill=colour, width=int(rng.integers(1, 4)))
        elif kind == 1:
            box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            draw.ellipse(box, outline=colour, width=int(rng.integers(1, 3)))
        else:
            w, h = rng.uniform(4, 16, size=2)
            draw.rectangle((x0, y0, x0 + w, y0 + h), fill=colour)
    return canvas


def _tint(obj, rng):
    """Scale each colour channel of an RGBA object by a factor in [0.85, 1.15]."""
    factors = rng.uniform(0.85, 1.15, size=3)
    levels = np.arange(256)
    table = np.minimum(np.rint(factors[:, None] * levels), 255)  # (3, 256)
    return obj.point(table.astype(int).ravel().tolist() + levels.tolist())


@functools.cache
def _object(name):
    """The untinted RGBA drawing of class `name`, drawn once per process."""
    return _DRAWERS[name]()


# The drawers: each returns an RGBA image (_OBJECT_CANVAS square) of one object,
# centred, within a circle of radius 0.95 (in units of half the canvas) so that no
# rotation cuts it. `_xy` maps unit coordinates (y pointing down) to pixels.


def _xy(x, y):
    half = _OBJECT_CANVAS / 2
    return (half + x * half, half + y * half)


def _box(x0, y0, x1, y1):
    return (*_xy(x0, y0), *_xy(x1, y1))


def _new():
    image = Image.new("RGBA", (_OBJECT_CANVAS, _OBJECT_CANVAS), (0, 0, 0, 0))
    return image, ImageDraw.Draw(image)


def _ellipse_points(cx, cy, rx, ry, angle=0.0, n=48):
    """Points of an ellipse centred at (cx, cy), turned by `angle` radians."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = math.cos(angle), math.sin(angle)
    return [_xy(cx + c * a - s * b, cy + s * a + c * b) for a, b in zip(x, y)]


def _masked(texture, mask_shape):
    """Give an RGB texture the alpha of a shape drawn by `mask_shape(draw)`."""
    mask = Image.new("L", texture.size, 0)
    mask_shape(ImageDraw.Draw(mask))
    texture = texture.convert("RGBA")
    texture.putalpha(mask)
    return texture


def _apple():
    image, draw = _new()
    draw.ellipse(_box(-0.8, -0.55, 0.8, 0.85), fill=(200, 20, 25, 255))
    draw.rectangle(_box(-0.05, -0.85, 0.07, -0.45), fill=(100, 60, 20, 255))
    draw.polygon(_ellipse_points(0.3, -0.68, 0.25, 0.1, angle=-0.5), fill=(40, 160, 40, 255))
    return image


def _star():
    image, draw = _new()
    points = []
    for k in range(10):
        r = 0.92 if k % 2 == 0 else 0.38
        a = -math.pi / 2 + k * math.pi / 5
        points.append(_xy(r * math.cos(a), r * math.sin(a)))
    draw.polygon(points, fill=(250, 210, 20, 255))
    return image


def _zebra_stripes():
    texture = Image.new("RGB", (_OBJECT_CANVAS, _OBJECT_CANVAS), (245, 245, 240))
    draw = ImageDraw.Draw(texture)
    ys = np.linspace(-1, 1, 25)
    for k in range(-6, 6):
        x0 = k * 0.3
        left = [_xy(x0 + 0.08 * math.sin(4 * y), y) for y in ys]
        right = [_xy(x0 + 0.14 + 0.08 * math.sin(4 * y), y) for y in ys[::-1]]
        draw.polygon(left + right, fill=(15, 15, 15))
    return _masked(texture, lambda d: d.ellipse(_box(-0.9, -0.65, 0.9, 0.65), fill=255))


def _bullseye():
    image, draw = _new()
    for k, r in enumerate((0.9, 0.72, 0.54, 0.36, 0.18)):
        colour = (220, 20, 30, 255) if k % 2 == 0 else (250, 250, 250, 255)
        draw.ellipse(_box(-r, -r, r, r), fill=colour)
    return image


def _smiley():
    image, draw = _new()
    draw.ellipse(_box(-0.85, -0.85, 0.85, 0.85), fill=(250, 215, 30, 255))
    for cx in (-0.3, 0.3):
        draw.ellipse(_box(cx - 0.1, -0.42, cx + 0.1, -0.14), fill=(20, 20, 20, 255))
    mouth = _box(-0.5, -0.3, 0.5, 0.55)
    draw.arc(mouth, start=20, end=160, fill=(20, 20, 20), width=12)
    return image


def _checkerboard():
    cells = 5
    texture = Image.new("RGB", (_OBJECT_CANVAS, _OBJECT_CANVAS), (240, 240, 240))
    draw = ImageDraw.Draw(texture)
    step = 1.3 / cells
    for i in range(cells):
        for j in range(cells):
            if (i + j) % 2 == 0:
                x0, y0 = -0.65 + j * step, -0.65 + i * step
                draw.rectangle(_box(x0, y0, x0 + step, y0 + step), fill=(15, 15, 15))
    return _masked(
        texture, lambda d: d.rectangle(_box(-0.65, -0.65, 0.65, 0.65), fill=255)
    )


def _waves():
    texture = Image.new("RGB", (_OBJECT_CANVAS, _OBJECT_CANVAS), (150, 200, 245))
    draw = ImageDraw.Draw(texture)
    xs = np.linspace(-1, 1, 60)
    for y0 in np.arange(-0.8, 0.81, 0.27):
        line = [_xy(x, y0 + 0.08 * math.sin(7 * x)) for x in xs]
        draw.line(line, fill=(10, 50, 170), width=9)
    return _masked(texture, lambda d: d.ellipse(_box(-0.9, -0.75, 0.9, 0.75), fill=255))


def _tree():
    image, draw = _new()
    draw.rectangle(_box(-0.12, 0.45, 0.12, 0.9), fill=(110, 65, 25, 255))
    tiers = ((-0.9, -0.1, 0.45), (-0.55, 0.25, 0.6), (-0.2, 0.55, 0.75))
    for top, bottom, half in tiers:
        triangle = [_xy(0, top), _xy(half, bottom), _xy(-half, bottom)]
        draw.polygon(triangle, fill=(25, 130, 40, 255))
    return image


def _sun():
    image, draw = _new()
    orange = (250, 140, 10, 255)
    for k in range(12):
        a = k * math.pi / 6
        tip = _xy(0.92 * math.cos(a), 0.92 * math.sin(a))
        side1 = _xy(0.5 * math.cos(a - 0.18), 0.5 * math.sin(a - 0.18))
        side2 = _xy(0.5 * math.cos(a + 0.18), 0.5 * math.sin(a + 0.18))
        draw.polygon([tip, side1, side2], fill=orange)
    draw.ellipse(_box(-0.52, -0.52, 0.52, 0.52), fill=orange)
    return image


def _heart():
    image, draw = _new()
    t = np.linspace(0, 2 * np.pi, 80, endpoint=False)
    # The classic heart curve, scaled into the unit circle.
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    draw.polygon([_xy(a / 18, b / 18 + 0.1) for a, b in zip(x, y)], fill=(230, 40, 90, 255))
    return image


def _moon():
    image, draw = _new()
    draw.ellipse(_box(-0.85, -0.85, 0.85, 0.85), fill=(245, 235, 150, 255))
    draw.ellipse(_box(-0.45, -0.95, 1.05, 0.6), fill=(0, 0, 0, 0))
    return image


def _flower():
    image, draw = _new()
    for k in range(6):
        a = k * math.pi / 3
        petal = _ellipse_points(0.5 * math.cos(a), 0.5 * math.sin(a), 0.42, 0.2, a)
        draw.polygon(petal, fill=(200, 80, 200, 255))
    draw.ellipse(_box(-0.25, -0.25, 0.25, 0.25), fill=(250, 200, 20, 255))
    return image


_DRAWERS = {
    "apple": _apple,
    "star": _star,
    "zebra stripes": _zebra_stripes,
    "bullseye": _bullseye,
    "smiley": _smiley,
    "checkerboard": _checkerboard,
    "waves": _waves,
    "tree": _tree,
    "sun": _sun,
    "heart": _heart,
    "moon": _moon,
    "flower": _flower,
}
