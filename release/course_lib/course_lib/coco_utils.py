"""Load the captioning data: the embedded synthetic set or the original COCO files.

Both live in a folder of the same layout (see `course_lib.captions_synth`). Which
folder is read is decided in this order: the `base_dir` argument, the environment
variable `COURSE_LIB_COCO_DIR`, the embedded synthetic dataset (generated on first
use). `coco_dir()` tells which one that is; the loader itself prints nothing.
"""

import json
import os
from pathlib import Path
from urllib.parse import urlparse

import h5py
import numpy as np

from course_lib import captions_synth

ENV_VAR = "COURSE_LIB_COCO_DIR"
CAPTIONS_FILE = "coco2014_captions.h5"
VOCAB_FILE = "coco2014_vocab.json"


def coco_dir(base_dir=None):
    """The folder `load_coco_data(base_dir)` reads, as a Path."""
    if base_dir is not None:
        return Path(base_dir).expanduser()
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return captions_synth.dataset_dir()


def load_coco_data(base_dir=None, max_train=None, pca_features=True):
    """Captions, image features, vocabulary and image URLs, in one dict.

    Inputs:
    - base_dir: folder in the COCO captioning layout; see `coco_dir` for the default.
    - max_train: if given, keep this many training captions drawn at random with
      replacement (np.random.randint, so np.random.seed makes it repeatable).
    - pca_features: read the 512-d PCA features (True) or the 4096-d fc7 ones.

    Returns a dict with, in this order:
    - train_captions (N, 17) int32, train_image_idxs (N,) int32: caption i belongs
      to image train_image_idxs[i]; val_captions and val_image_idxs likewise.
    - train_features, val_features: (num_images, D) float32.
    - idx_to_word: list of V words; word_to_idx: dict word -> index.
    - train_urls, val_urls: (num_images,) str arrays. Entries of the folder's URL
      lists that are relative paths become absolute file:// URLs.
    """
    folder = coco_dir(base_dir)
    suffix = "_pca" if pca_features else ""
    data = {}

    with h5py.File(_existing(folder, CAPTIONS_FILE), "r") as f:
        for key in (
            "train_captions",
            "train_image_idxs",
            "val_captions",
            "val_image_idxs",
        ):
            data[key] = np.asarray(f[key])
    for split in ("train", "val"):
        path = _existing(folder, f"{split}2014_vgg16_fc7{suffix}.h5")
        with h5py.File(path, "r") as f:
            data[f"{split}_features"] = np.asarray(f["features"])

    vocabulary = json.loads(_existing(folder, VOCAB_FILE).read_text())
    data["idx_to_word"] = vocabulary["idx_to_word"]
    data["word_to_idx"] = vocabulary["word_to_idx"]
    for split in ("train", "val"):
        lines = _existing(folder, f"{split}2014_urls.txt").read_text().splitlines()
        data[f"{split}_urls"] = np.array(
            [_as_url(line.strip(), folder) for line in lines]
        )

    if max_train is not None:
        num_train = data["train_captions"].shape[0]
        keep = np.random.randint(num_train, size=max_train)
        data["train_captions"] = data["train_captions"][keep]
        data["train_image_idxs"] = data["train_image_idxs"][keep]
    return data


def _existing(folder, name):
    """`folder / name`, or a FileNotFoundError that says how to get it."""
    path = folder / name
    if path.is_file():
        return path
    if (folder / "synthetic.json").is_file() and "_fc7." in name:
        advice = (
            "The embedded synthetic dataset has only the 512-d PCA features: call "
            "load_coco_data(pca_features=True), or download the original COCO "
            "files with course_lib.download.download_coco()."
        )
    elif os.environ.get(ENV_VAR) and folder == Path(os.environ[ENV_VAR]).expanduser():
        advice = (
            f"The folder comes from the environment variable {ENV_VAR}. Download the "
            f"COCO files into it with course_lib.download.download_coco(), or unset "
            f"{ENV_VAR} to use the embedded synthetic dataset."
        )
    else:
        advice = (
            "Download the COCO captioning files into it with "
            "course_lib.download.download_coco(), or call load_coco_data() without "
            "base_dir to use the embedded synthetic dataset."
        )
    raise FileNotFoundError(
        f"{name} is missing from the COCO folder {folder}. {advice}"
    )


def _as_url(entry, folder):
    """A URL as written, or a relative path resolved against `folder` as file://."""
    if urlparse(entry).scheme:
        return entry
    return (folder / entry).resolve().as_uri()


def sample_coco_minibatch(data, batch_size=100, split="train"):
    """A random minibatch of captions with their images' features and URLs.

    Draws `batch_size` caption indices with np.random.choice (with replacement).
    Returns (captions (batch_size, 17) int32, features (batch_size, D) float32,
    urls (batch_size,) str).
    """
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    num_captions = data[f"{split}_captions"].shape[0]
    mask = np.random.choice(num_captions, batch_size)
    captions = data[f"{split}_captions"][mask]
    image_idxs = data[f"{split}_image_idxs"][mask]
    return (
        captions,
        data[f"{split}_features"][image_idxs],
        data[f"{split}_urls"][image_idxs],
    )


def decode_captions(captions, idx_to_word):
    """Word indices back to text.

    captions: (T,) or (N, T) integer array. <NULL> tokens are dropped and a caption
    ends after its <END> token. Returns a str for a 1-D input, a list of N str for 2-D.
    """
    captions = np.asarray(captions)
    if captions.ndim not in (1, 2):
        raise ValueError(
            f"captions must be 1-D (T,) or 2-D (N, T), got shape {captions.shape}"
        )
    rows = captions[None] if captions.ndim == 1 else captions
    decoded = []
    for row in rows:
        words = []
        for index in row:
            word = idx_to_word[int(index)]
            if word != "<NULL>":
                words.append(word)
            if word == "<END>":
                break
        decoded.append(" ".join(words))
    return decoded[0] if captions.ndim == 1 else decoded
