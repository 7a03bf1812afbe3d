"""A synthetic image-captioning dataset in the file formats of the COCO captioning data.

The course's captioning notebooks were written for COCO 2014: VGG-16 fc7 features of
Flickr photographs, five crowd-sourced captions per image. This module stands in for
it offline. It draws scenes of one to three coloured shapes on a patterned
background, renders each scene to a small RGB image, describes it in five differently
phrased captions and writes everything in the layout of the original folder:

    coco2014_captions.h5         train_captions (N, 17) int32, train_image_idxs (N,)
                                 int32, val_captions, val_image_idxs
    train2014_vgg16_fc7_pca.h5   features (num_train_images, 512) float32
    val2014_vgg16_fc7_pca.h5     features (num_val_images, 512) float32
    coco2014_vocab.json          {"idx_to_word": [...], "word_to_idx": {...}}
    train2014_urls.txt           one relative path per image: images/train/000123.png
    val2014_urls.txt             images/val/000045.png
    images/train, images/val     the rendered scenes, 96x96 RGB PNG
    synthetic.json               how the folder was made (name, seed, sizes)

Only the 512-d "PCA" features exist; the 4096-d fc7 files of the original are not
generated (they would be eight times larger and teach nothing more here).

Captions are padded exactly as in the original: <START>, at most 15 words, <END>, then
<NULL> up to 17 columns. The vocabulary is built from the training captions; a word
seen fewer than `MIN_WORD_COUNT` times there (the generator uses a few rare synonyms
such as "crimson" or "lozenge" on purpose) is encoded as <UNK>, in both splits.

The features are not computed by a CNN, and a student should know it: they are a
fixed random linear projection to 512 dimensions of (a) a one-hot encoding of the
scene's attributes (layout, number of shapes, background pattern and tint, and the
shape, colour and size of each object in reading order) and (b) the mean colour of
the image in each cell of a 4x4 grid, centred on the training mean, plus Gaussian
noise of the same strength as the signal, scaled to a standard deviation of 3.
A captioning model can therefore read the scene back from them, as it reads a photo's
content from real CNN features, but much more easily: trained models write accurate
captions for validation images, which real COCO does not allow on a CPU budget.

Generation is deterministic: NumPy's `default_rng` with fixed seeds draws every
random choice, and the files are byte-identical from one run to the next on a given
installation. Across platforms the captions, vocabulary and images agree; the
features may differ in the last bits of float32 where the linear-algebra libraries
round differently.
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from PIL import Image, ImageDraw

from course_lib.cache import cached_dataset

NAME = "coco_synth_v1"
SEED = 2014
NUM_TRAIN_IMAGES = 4000
NUM_VAL_IMAGES = 1000
CAPTIONS_PER_IMAGE = 5
IMAGE_SIZE = 96
FEATURE_DIM = 512
MAX_WORDS = 15  # <START> + 15 words + <END> = the original's 17 columns
MIN_WORD_COUNT = 5
# Spread and noise of the features (see `features`). The noise, as strong as the
# signal but spread over all 512 dimensions while the signal spans 127, makes every
# image distinct, as photographs are: with these values a CaptioningRNN overfits 50
# captions to the notebook's target (loss < 0.1) and still generalizes.
FEATURE_STD = 3.0
FEATURE_NOISE = 1.0
SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>", "<UNK>")

# Rare synonyms are drawn with this weight, against weights near 1 for the usual
# words, so that each is seen only a handful of times in the training captions.
RARE = 0.0004

# ---------------------------------------------------------------------------------
# What a scene is made of, and the words for each part: (phrase, weight) pairs.

SHAPE_WORDS = {
    "circle": (("circle", 0.75), ("disc", 0.25), ("orb", RARE)),
    "square": (("square", 0.8), ("box", 0.2), ("block", RARE)),
    "triangle": (("triangle", 1.0), ("wedge", RARE)),
    "star": (("star", 1.0), ("pentagram", RARE)),
    "heart": (("heart", 1.0), ("valentine", RARE)),
    "diamond": (("diamond", 0.8), ("rhombus", 0.2), ("lozenge", RARE)),
    "cross": (("cross", 0.7), ("plus sign", 0.3)),
    "ring": (("ring", 0.7), ("donut", 0.3), ("hoop", RARE)),
    "moon": (("crescent", 0.5), ("moon", 0.3), ("crescent moon", 0.2)),
}
COLOUR_WORDS = {
    "red": (("red", 1.0), ("crimson", RARE), ("scarlet", RARE)),
    "green": (("green", 1.0), ("emerald", RARE)),
    "blue": (("blue", 1.0), ("azure", RARE)),
    "yellow": (("yellow", 1.0), ("golden", RARE)),
    "orange": (("orange", 1.0), ("amber", RARE)),
    "purple": (("purple", 0.75), ("violet", 0.25), ("lilac", RARE)),
    "pink": (("pink", 1.0), ("magenta", RARE)),
    "black": (("black", 1.0), ("ebony", RARE)),
}
COLOUR_RGB = {
    "red": (215, 35, 35),
    "green": (40, 160, 60),
    "blue": (35, 75, 215),
    "yellow": (240, 205, 25),
    "orange": (245, 130, 25),
    "purple": (125, 45, 165),
    "pink": (240, 115, 185),
    "black": (25, 25, 25),
}
SIZE_WORDS = {
    "small": (("small", 0.6), ("little", 0.25), ("tiny", 0.15), ("miniature", RARE)),
    "large": (("large", 0.5), ("big", 0.4), ("huge", 0.1), ("giant", RARE)),
}
PATTERN_WORDS = {
    "plain": (("plain", 0.7), ("blank", 0.3)),
    "striped": (("striped", 0.7), ("stripy", 0.3)),
    "dotted": (("dotted", 0.5), ("spotted", 0.3), ("polka dot", 0.2)),
    "checkered": (("checkered", 0.7), ("checked", 0.3), ("chequered", RARE)),
    "gradient": (("gradient", 0.6), ("shaded", 0.4)),
}
TINT_WORDS = {
    "white": (("white", 1.0),),
    "grey": (("grey", 1.0), ("gray", RARE)),
    "beige": (("beige", 1.0),),
    "mint": (("mint", 1.0),),
}
TINT_RGB = {
    "white": (246, 246, 246),
    "grey": (196, 196, 196),
    "beige": (232, 216, 182),
    "mint": (196, 234, 208),
}
POSITION_WORDS = {
    "left": (("on the left", 0.5), ("on the left side", 0.3), ("to the left", 0.2)),
    "right": (("on the right", 0.5), ("on the right side", 0.3), ("to the right", 0.2)),
    "top": (("at the top", 0.5), ("near the top", 0.3), ("in the upper part", 0.2)),
    "bottom": (
        ("at the bottom", 0.5),
        ("near the bottom", 0.3),
        ("in the lower part", 0.2),
    ),
    "centre": (("in the centre", 0.5), ("in the middle", 0.5), ("in the center", RARE)),
}
BACKGROUND_WORDS = (("background", 0.85), ("backdrop", 0.15), ("canvas", RARE))
THINGS_WORDS = (("shapes", 0.6), ("objects", 0.25), ("figures", 0.15))
VIEW_WORDS = (
    ("a picture", 0.3),
    ("an image", 0.3),
    ("a drawing", 0.2),
    ("a photo", 0.2),
)

SHAPES = tuple(SHAPE_WORDS)
COLOURS = tuple(COLOUR_WORDS)
SIZES = ("small", "large", "medium")  # medium: the three-shape scenes
PATTERNS = tuple(PATTERN_WORDS)
TINTS = tuple(TINT_WORDS)
LAYOUTS = ("left", "right", "top", "bottom", "centre", "row", "column")

# ---------------------------------------------------------------------------------
# Caption templates. Objects A, B, C are in reading order: left to right in a row,
# top to bottom in a column. {pos} is the position of a single object, {bg} the
# background with its article, {things} a plural noun, {cA} a bare colour word and
# {N} the noun phrase of a single object without its article.

SINGLE_TEMPLATES = (
    "{A} {pos}",
    "{A} {pos} of {bg}",
    "there is {A} {pos}",
    "{view} of {A} on {bg}",
    "{bg} with {A} {pos}",
    "{A} on {bg}",
    "{A} placed {pos}",
    "{view} showing {A} {pos}",
    "a single {N} on {bg}",
    "only one {N} {pos}",
)
PAIR_TEMPLATES = {
    "row": (
        "{A} to the left of {B}",
        "{B} to the right of {A}",
        "{A} next to {B}",
        "{A} beside {B}",
        "{A} and {B} side by side",
        "{A} on the left and {B} on the right",
        "{A} and {B} on {bg}",
        "two {things} {A} and {B}",
        "a pair of {things} {A} and {B}",
    ),
    "column": (
        "{A} above {B}",
        "{B} below {A}",
        "{B} under {A}",
        "{A} on top of {B}",
        "{A} at the top and {B} at the bottom",
        "{A} and {B} one above the other",
        "{A} and {B} on {bg}",
        "{A} sits above {B}",
        "two {things} {A} and {B}",
    ),
}
TRIPLE_TEMPLATES = {
    "row": (
        "{A} {B} and {C} in a row",
        "{A} {B} and {C} from left to right",
        "{cA} {cB} and {cC} {things} in a row",
        "three {things} in a row on {bg}",
        "a row of three {things}",
        "{A} {B} and {C} side by side",
        "{A} next to {B} next to {C}",
        "three {things} arranged horizontally",
    ),
    "column": (
        "{A} above {B} above {C}",
        "{A} {B} and {C} from top to bottom",
        "{cA} {cB} and {cC} {things} in a column",
        "three {things} in a column on {bg}",
        "a column of three {things}",
        "{A} {B} and {C} in a stack",
        "{C} below {B} below {A}",
        "three {things} stacked vertically",
    ),
}


@dataclass(frozen=True)
class Shape:
    """One object of a scene: what it is and where, in pixels of the image."""

    kind: str
    colour: str
    size: str
    x: float
    y: float
    radius: float
    rgb: tuple


@dataclass(frozen=True)
class Scene:
    """A background and one to three shapes, the shapes in reading order."""

    shapes: tuple
    layout: str
    pattern: str
    tint: str
    pattern_period: int
    pattern_angle: int


@dataclass
class Split:
    """One split in memory: scenes, rendered images and the captions' text.

    - scenes: list of `Scene`, one per image.
    - images: (num_images, IMAGE_SIZE, IMAGE_SIZE, 3) uint8.
    - captions: list of lists of CAPTIONS_PER_IMAGE strings, one list per image.
    """

    scenes: list
    images: np.ndarray
    captions: list


def pick(rng, choices):
    """Draw one phrase from `(phrase, weight)` pairs, with probability by weight."""
    u = rng.random() * sum(weight for _, weight in choices)
    for phrase, weight in choices:
        u -= weight
        if u < 0:
            return phrase
    return choices[-1][0]


# ---------------------------------------------------------------------------------
# Scenes

# Centre of a lone object, in pixels, for each place a caption can name.
_SINGLE_PLACES = {
    "left": (26, 48),
    "right": (70, 48),
    "top": (48, 26),
    "bottom": (48, 70),
    "centre": (48, 48),
}
# Largest random offset of an object (along, across) the line of its layout.
_JITTER = {1: (4, 8), 2: (3, 10), 3: (3, 12)}


def sample_scene(rng):
    """Draw a random `Scene`: 40% one shape, 40% two, 20% three."""
    count = int(rng.choice([1, 2, 3], p=[0.4, 0.4, 0.2]))
    tint = TINTS[rng.integers(len(TINTS))]
    pattern = PATTERNS[rng.integers(len(PATTERNS))]
    period = int(rng.integers(8, 17))
    angle = int(rng.integers(4))

    # One object at one of five places, or two or three in a row or column.
    if count == 1:
        layout = LAYOUTS[rng.integers(5)]
        places = [_SINGLE_PLACES[layout]]
    else:
        layout = ("row", "column")[rng.integers(2)]
        along = (25, 71) if count == 2 else (16, 48, 80)
        places = [(a, 48) if layout == "row" else (48, a) for a in along]

    # Distinct (kind, colour) pairs so that "a red star and a red star" never occurs.
    shapes = []
    used = set()
    for cx, cy in places:
        kind, colour = (
            SHAPES[rng.integers(len(SHAPES))],
            COLOURS[rng.integers(len(COLOURS))],
        )
        while (kind, colour) in used:
            kind, colour = (
                SHAPES[rng.integers(len(SHAPES))],
                COLOURS[rng.integers(len(COLOURS))],
            )
        used.add((kind, colour))
        size, radius = _sample_size(rng, count)
        dx, dy = rng.uniform(-1, 1, size=2) * _JITTER[count]
        if layout in ("top", "bottom", "column"):
            dx, dy = dy, dx
        rgb = np.clip(np.array(COLOUR_RGB[colour]) + rng.integers(-12, 13, 3), 0, 255)
        shapes.append(Shape(kind, colour, size, cx + dx, cy + dy, radius, tuple(rgb)))
    return Scene(tuple(shapes), layout, pattern, tint, period, angle)


def _sample_size(rng, count):
    """Size word and radius in pixels; three-shape scenes use one medium size."""
    if count == 3:
        return "medium", rng.uniform(10, 12)
    size = ("small", "large")[rng.integers(2)]
    if count == 1:
        return size, rng.uniform(8, 11) if size == "small" else rng.uniform(17, 21)
    return size, rng.uniform(8, 10) if size == "small" else rng.uniform(15, 18)


# ---------------------------------------------------------------------------------
# Rendering

_SUPERSAMPLE = 2  # shapes are drawn at twice the size and averaged down: soft edges


def _unit_polygon(kind):
    """Vertices of a shape of radius 1 centred at 0, image axes (y points down)."""
    if kind == "square":
        return [(-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8)]
    if kind == "diamond":
        return [(0, -1), (0.72, 0), (0, 1), (-0.72, 0)]
    if kind == "triangle":
        angles = np.deg2rad([-90, 30, 150])
        return list(zip(np.cos(angles), np.sin(angles) + 0.15))
    if kind == "star":
        angles = np.deg2rad(-90 + 36 * np.arange(10))
        radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        return list(zip(radii * np.cos(angles), radii * np.sin(angles) + 0.08))
    if kind == "cross":
        a, b = 0.3, 0.9
        return [
            (-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a),
            (a, b), (-a, b), (-a, a), (-b, a), (-b, -a), (-a, -a),
        ]  # fmt: skip
    if kind == "heart":
        # The classic parametric heart, x = 16 sin^3 t, y = 13 cos t - 5 cos 2t - ...
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        y = y - (y.max() + y.min()) / 2
        scale = max(np.abs(x).max(), np.abs(y).max())
        return list(zip(x / scale, y / scale))
    raise ValueError(f"no polygon for shape {kind!r}")


_POLYGONS = {
    kind: np.array(_unit_polygon(kind))
    for kind in ("square", "diamond", "triangle", "star", "cross", "heart")
}


def shape_mask(shape):
    """Coverage of `shape` in [0, 1] over the pixels of its bounding box.

    Returns (mask, top, left): mask is (h, w) float32 and covers the image rows
    top:top + h and columns left:left + w, clipped to the image.
    """
    top = max(int(shape.y - shape.radius) - 1, 0)
    left = max(int(shape.x - shape.radius) - 1, 0)
    bottom = min(int(shape.y + shape.radius) + 2, IMAGE_SIZE)
    right = min(int(shape.x + shape.radius) + 2, IMAGE_SIZE)

    # Draw at _SUPERSAMPLE times the resolution, in the box's own coordinates.
    s = _SUPERSAMPLE
    canvas = Image.new("L", ((right - left) * s, (bottom - top) * s), 0)
    draw = ImageDraw.Draw(canvas)
    cx, cy, r = (shape.x - left) * s, (shape.y - top) * s, shape.radius * s
    if shape.kind == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    elif shape.kind == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=int(0.4 * r))
    elif shape.kind == "moon":
        # A disc with an offset disc cut out of it.
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        ox, oy, orr = cx + 0.45 * r, cy - 0.25 * r, 0.85 * r
        draw.ellipse((ox - orr, oy - orr, ox + orr, oy + orr), fill=0)
    else:
        points = _POLYGONS[shape.kind] * r + (cx, cy)
        draw.polygon([tuple(p) for p in points], fill=255)
    mask = np.asarray(canvas.reduce(s), dtype=np.float32) / 255
    return mask, top, left


@functools.lru_cache(maxsize=None)
def pattern_weight(pattern, period, angle):
    """Where the background takes its dark tone: (IMAGE_SIZE, IMAGE_SIZE) in [0, 1].

    angle 0..3 picks the direction across which stripes and gradients vary: x, y, or
    one of the two diagonals. The result is shared; do not write into it.
    """
    yy, xx = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float32)
    u = (xx, yy, (xx + yy) / np.sqrt(2), (xx - yy) / np.sqrt(2))[angle]
    if pattern == "plain":
        weight = np.zeros_like(xx)
    elif pattern == "striped":
        weight = (u // (period / 2)) % 2
    elif pattern == "checkered":
        weight = (xx // period + yy // period) % 2
    elif pattern == "dotted":
        dy, dx = (yy % period) - period / 2, (xx % period) - period / 2
        weight = (dx**2 + dy**2 <= (period / 5) ** 2).astype(np.float32)
    elif pattern == "gradient":
        weight = (u - u.min()) / (u.max() - u.min())
    else:
        raise ValueError(f"unknown background pattern {pattern!r}; known: {PATTERNS}")
    return weight.astype(np.float32)


def render(scene):
    """The scene as an image: (IMAGE_SIZE, IMAGE_SIZE, 3) uint8 RGB."""
    light = np.array(TINT_RGB[scene.tint], dtype=np.float32)
    weight = pattern_weight(scene.pattern, scene.pattern_period, scene.pattern_angle)
    image = light + weight[..., None] * (0.78 * light - light)  # (S, S, 3)

    # Paint each shape over what is below it, blending at its soft edge.
    for shape in scene.shapes:
        mask, top, left = shape_mask(shape)
        mask = mask[..., None]  # (h, w, 1)
        box = image[top : top + mask.shape[0], left : left + mask.shape[1]]
        box += mask * (np.array(shape.rgb, dtype=np.float32) - box)
    return np.round(image).astype(np.uint8)


# ---------------------------------------------------------------------------------
# Captions


def describe(scene, rng, count=CAPTIONS_PER_IMAGE):
    """`count` captions of the scene, each from a different template, as strings."""
    n = len(scene.shapes)
    if n == 1:
        templates = SINGLE_TEMPLATES
    elif n == 2:
        templates = PAIR_TEMPLATES[scene.layout]
    else:
        templates = TRIPLE_TEMPLATES[scene.layout]
    chosen = rng.choice(len(templates), size=count, replace=False)
    return [_fill(templates[i], scene, rng) for i in chosen]


def _fill(template, scene, rng, attempts=8):
    """Fill a template with random phrasings, keeping to MAX_WORDS words.

    Sizes and tints are optional details. When random phrasings come out too long,
    the last attempt leaves them out and uses the first synonym of every word, which
    keeps every template within MAX_WORDS.
    """
    for attempt in range(attempts):
        concise = attempt == attempts - 1
        fields = _fields(scene, rng, concise)
        words = template.format(**fields).split()
        if len(words) <= MAX_WORDS:
            break
    # "a" before a vowel becomes "an": "an orange star".
    for i in range(len(words) - 1):
        if words[i] == "a" and words[i + 1][0] in "aeiou":
            words[i] = "an"
    return " ".join(words)


def _fields(scene, rng, concise):
    """Phrases for every placeholder of the templates."""

    def say(choices):
        return choices[0][0] if concise else pick(rng, choices)

    def noun_phrase(shape):
        words = ["a"]
        if shape.size != "medium" and not concise and rng.random() < 0.5:
            words.append(say(SIZE_WORDS[shape.size]))
        words += [say(COLOUR_WORDS[shape.colour]), say(SHAPE_WORDS[shape.kind])]
        return " ".join(words)

    background = [say(PATTERN_WORDS[scene.pattern]), say(BACKGROUND_WORDS)]
    if not concise and rng.random() < 0.3:
        background.insert(0, say(TINT_WORDS[scene.tint]))
    fields = {
        "bg": "a " + " ".join(background),
        "things": say(THINGS_WORDS),
        "view": say(VIEW_WORDS),
    }
    if scene.layout in POSITION_WORDS:
        fields["pos"] = say(POSITION_WORDS[scene.layout])
    for letter, shape in zip("ABC", scene.shapes):
        fields[letter] = noun_phrase(shape)
        fields["c" + letter] = say(COLOUR_WORDS[shape.colour])
    fields["N"] = fields["A"].split(" ", 1)[1]
    return fields


# ---------------------------------------------------------------------------------
# Features


def attribute_code(scene):
    """One-hot encoding of everything a caption can say: (79,) float32."""
    parts = [
        _one_hot(LAYOUTS.index(scene.layout), len(LAYOUTS)),
        _one_hot(len(scene.shapes) - 1, 3),
        _one_hot(PATTERNS.index(scene.pattern), len(PATTERNS)),
        _one_hot(TINTS.index(scene.tint), len(TINTS)),
    ]
    for slot in range(3):
        if slot < len(scene.shapes):
            shape = scene.shapes[slot]
            parts += [
                _one_hot(SHAPES.index(shape.kind), len(SHAPES)),
                _one_hot(COLOURS.index(shape.colour), len(COLOURS)),
                _one_hot(SIZES.index(shape.size), len(SIZES)),
            ]
        else:
            parts.append(np.zeros(len(SHAPES) + len(COLOURS) + len(SIZES)))
    return np.concatenate(parts).astype(np.float32)


def _one_hot(index, length):
    code = np.zeros(length)
    code[index] = 1.0
    return code


def grid_colours(images, cells=4):
    """Mean colour of each cell of a cells x cells grid, scaled to [-1, 1].

    images: (N, S, S, 3) uint8 with S divisible by `cells`. Returns (N, cells**2 * 3).
    """
    N, S = images.shape[:2]
    step = S // cells
    # Exact integer sums, first over the rows of a cell, then over its columns.
    rows = images.reshape(N, cells, step, S * 3).sum(axis=2, dtype=np.int64)
    sums = rows.reshape(N, cells, cells, step, 3).sum(axis=3)  # (N, cells, cells, 3)
    return (sums.reshape(N, -1) / (step * step * 127.5) - 1).astype(np.float32)


def feature_inputs(split):
    """What a split's features are made from: (N, 127) float64.

    Per image, the attribute code (79) followed by the grid colours (48).
    """
    codes = np.stack([attribute_code(scene) for scene in split.scenes])  # (N, 79)
    return np.concatenate([codes, grid_colours(split.images)], axis=1)  # (N, 127)


def features(inputs, reference, seed=SEED, stream=0):
    """Stand-ins for fc7-PCA features: (N, FEATURE_DIM) float32.

    inputs: (N, K) rows of `feature_inputs`; reference: (M, K), the training split's,
    which fixes the centre and the scale so that both splits share them.

    1. Centre the inputs on the reference mean (PCA features are centred too).
    2. Project them with a fixed Gaussian (K, FEATURE_DIM) matrix.
    3. Add Gaussian noise, FEATURE_NOISE times the reference signal's spread, drawn
       from the random stream number `stream`.
    4. Scale so that the reference features have standard deviation FEATURE_STD.
    """
    centre = reference.mean(axis=0)
    K = inputs.shape[1]
    projection = np.random.default_rng([seed, 1]).standard_normal((K, FEATURE_DIM))
    signal = (inputs - centre) @ projection  # (N, FEATURE_DIM)
    spread = ((reference - centre) @ projection).std()
    noise = np.random.default_rng([seed, 2, stream]).standard_normal(signal.shape)
    noisy = signal + FEATURE_NOISE * spread * noise
    total = spread * np.sqrt(1 + FEATURE_NOISE**2)
    return (noisy * (FEATURE_STD / total)).astype(np.float32)


# ---------------------------------------------------------------------------------
# Vocabulary and encoding


def build_vocabulary(captions, min_count=MIN_WORD_COUNT):
    """idx_to_word list and word_to_idx dict of the special tokens and common words.

    captions: iterable of caption strings. Words seen at least `min_count` times are
    kept, most frequent first (ties alphabetically), after the four special tokens.
    """
    counts = {}
    for caption in captions:
        for word in caption.split():
            counts[word] = counts.get(word, 0) + 1
    common = [word for word, n in counts.items() if n >= min_count]
    common.sort(key=lambda word: (-counts[word], word))
    idx_to_word = list(SPECIAL_TOKENS) + common
    return idx_to_word, {word: i for i, word in enumerate(idx_to_word)}


def encode_captions(captions, word_to_idx):
    """Captions as (len(captions), MAX_WORDS + 2) int32: <START> words <END> <NULL>."""
    null, start, end, unk = (word_to_idx[token] for token in SPECIAL_TOKENS)
    encoded = np.full((len(captions), MAX_WORDS + 2), null, dtype=np.int32)
    for row, caption in enumerate(captions):
        ids = [word_to_idx.get(word, unk) for word in caption.split()]
        if len(ids) > MAX_WORDS:
            raise ValueError(
                f"caption of {len(ids)} words, more than the {MAX_WORDS} that fit in "
                f"{MAX_WORDS + 2} columns: {caption!r}"
            )
        encoded[row, : len(ids) + 2] = [start, *ids, end]
    return encoded


# ---------------------------------------------------------------------------------
# The dataset


def split_rng(seed, split):
    """The random stream of a split: its scenes are drawn first, then its captions."""
    return np.random.default_rng([seed, ("train", "val").index(split) + 10])


def generate_split(num_images, seed=SEED, split="train"):
    """Scenes, images and caption text of one split, drawn from its own stream."""
    rng = split_rng(seed, split)
    scenes = [sample_scene(rng) for _ in range(num_images)]
    images = np.stack([render(scene) for scene in scenes])
    captions = [describe(scene, rng) for scene in scenes]
    return Split(scenes, images, captions)


def build(folder, num_train=NUM_TRAIN_IMAGES, num_val=NUM_VAL_IMAGES, seed=SEED):
    """Write the whole dataset into `folder` in the COCO captioning layout."""
    folder = Path(folder)
    splits = {
        "train": generate_split(num_train, seed, "train"),
        "val": generate_split(num_val, seed, "val"),
    }
    all_train = [c for captions in splits["train"].captions for c in captions]
    idx_to_word, word_to_idx = build_vocabulary(all_train)

    # Captions in a fixed shuffled order, as in the original, with their image index.
    arrays = {}
    for name, split in splits.items():
        text = [c for captions in split.captions for c in captions]
        image_idxs = np.repeat(np.arange(len(split.scenes)), CAPTIONS_PER_IMAGE)
        order = np.random.default_rng([seed, 3, len(text)]).permutation(len(text))
        arrays[f"{name}_captions"] = encode_captions(
            [text[i] for i in order], word_to_idx
        )
        arrays[f"{name}_image_idxs"] = image_idxs[order].astype(np.int32)
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value)

    # Features, images and the list of image paths of each split.
    inputs = {name: feature_inputs(split) for name, split in splits.items()}
    for stream, (name, split) in enumerate(splits.items()):
        values = features(inputs[name], inputs["train"], seed, stream)
        with h5py.File(folder / f"{name}2014_vgg16_fc7_pca.h5", "w") as f:
            f.create_dataset("features", data=values)
        image_dir = folder / "images" / name
        image_dir.mkdir(parents=True)
        paths = [f"images/{name}/{i:06d}.png" for i in range(len(split.scenes))]
        for path, image in zip(paths, split.images):
            Image.fromarray(image).save(folder / path, compress_level=1)
        (folder / f"{name}2014_urls.txt").write_text("\n".join(paths) + "\n")

    vocabulary = {"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}
    (folder / "coco2014_vocab.json").write_text(json.dumps(vocabulary))
    about = {"name": NAME, "seed": seed, "num_train": num_train, "num_val": num_val}
    (folder / "synthetic.json").write_text(json.dumps(about, indent=1) + "\n")


def dataset_dir():
    """Folder of the embedded synthetic dataset, generated on first use (seconds)."""
    return cached_dataset(NAME, build)
