import json
from collections import Counter

import h5py
import numpy as np
import pytest
from PIL import Image

from course_lib import captions_synth as cs

SMALL = {"num_train": 120, "num_val": 30}


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The dataset at its real size, built once through the cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_LIB_DATA", str(tmp_path_factory.mktemp("data")))
        return cs.dataset_dir()


def read_captions(folder):
    with h5py.File(folder / "coco2014_captions.h5", "r") as f:
        return {key: f[key][()] for key in f}


def test_two_builds_write_identical_files(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        cs.build(folder, **SMALL)
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(names) == 7 + SMALL["num_train"] + SMALL["num_val"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_full_dataset_has_the_original_layout_and_sizes(full):
    arrays = read_captions(full)
    assert arrays["train_captions"].shape == (20000, 17)
    assert arrays["val_captions"].shape == (5000, 17)
    for key, value in arrays.items():
        assert value.dtype == np.int32, key
    # Every image has exactly five captions.
    assert np.all(np.bincount(arrays["train_image_idxs"]) == 5)
    assert np.all(np.bincount(arrays["val_image_idxs"]) == 5)
    for split, count in (("train", 4000), ("val", 1000)):
        with h5py.File(full / f"{split}2014_vgg16_fc7_pca.h5", "r") as f:
            assert f["features"].shape == (count, 512)
            assert f["features"].dtype == np.float32
        urls = (full / f"{split}2014_urls.txt").read_text().splitlines()
        assert len(urls) == count
        assert urls[123] == f"images/{split}/000123.png"
        assert all((full / url).is_file() for url in urls[:: count // 10])


def test_vocabulary_and_caption_structure(full):
    vocab = json.loads((full / "coco2014_vocab.json").read_text())
    idx_to_word, word_to_idx = vocab["idx_to_word"], vocab["word_to_idx"]
    assert idx_to_word[:4] == ["<NULL>", "<START>", "<END>", "<UNK>"]
    assert len(idx_to_word) >= 104  # 100 words besides the special tokens
    assert all(word_to_idx[w] == i for i, w in enumerate(idx_to_word))

    for key in ("train_captions", "val_captions"):
        captions = read_captions(full)[key]
        assert np.all(captions[:, 0] == 1)
        assert np.all((captions == 2).sum(axis=1) == 1)
        end = np.argmax(captions == 2, axis=1)
        after_end = np.arange(17) > end[:, None]
        assert np.all((captions == 0) == after_end)
        assert captions.max() < len(idx_to_word)
    # Rare synonyms show up as <UNK> in a few training captions.
    assert 0 < (read_captions(full)["train_captions"] == 3).any(axis=1).sum() < 200


def test_rare_words_are_encoded_as_unk(tmp_path):
    cs.build(tmp_path, **SMALL)
    vocab = json.loads((tmp_path / "coco2014_vocab.json").read_text())
    arrays = read_captions(tmp_path)

    # Recount the words of the training text independently.
    text = {}
    for split in ("train", "val"):
        captions = cs.generate_split(SMALL[f"num_{split}"], split=split).captions
        text[split] = [c for per_image in captions for c in per_image]
    counts = Counter(w for caption in text["train"] for w in caption.split())
    expected = {w for w, n in counts.items() if n >= cs.MIN_WORD_COUNT}
    assert set(vocab["idx_to_word"][4:]) == expected
    assert min(counts.values()) < cs.MIN_WORD_COUNT  # there are rare words

    # Each encoded caption is one of its image's captions, rare words as <UNK>.
    for split in ("train", "val"):
        for row, image in zip(
            arrays[f"{split}_captions"], arrays[f"{split}_image_idxs"]
        ):
            words = [vocab["idx_to_word"][i] for i in row[1:] if i not in (0, 2)]
            candidates = [
                [w if w in expected else "<UNK>" for w in caption.split()]
                for caption in text[split][5 * image : 5 * image + 5]
            ]
            assert words in candidates


def test_images_look_like_their_scene(full):
    image = np.asarray(Image.open(full / "images" / "train" / "000007.png"))
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 3

    # A large red circle in the centre of a plain white background.
    circle = cs.Shape("circle", "red", "large", 48.0, 48.0, 20.0, (215, 35, 35))
    scene = cs.Scene((circle,), "centre", "plain", "white", 10, 0)
    drawn = cs.render(scene).astype(int)
    assert np.abs(drawn[48, 48] - (215, 35, 35)).max() <= 1
    assert np.abs(drawn[48, 48 + 17] - (215, 35, 35)).max() <= 1
    assert np.abs(drawn[48, 48 + 23] - (246, 246, 246)).max() <= 1
    assert np.abs(drawn[2, 2] - (246, 246, 246)).max() <= 1


def test_features_carry_the_scene(full):
    """A linear probe trained on the features reads the first shape's colour."""
    colours = {}
    for split, count in (("train", 1000), ("val", 200)):
        with h5py.File(full / f"{split}2014_vgg16_fc7_pca.h5", "r") as f:
            features = f["features"][:count]
        rng = cs.split_rng(cs.SEED, split)
        scenes = [cs.sample_scene(rng) for _ in range(count)]
        colours[split] = (
            features,
            [cs.COLOURS.index(s.shapes[0].colour) for s in scenes],
        )
    X, labels = colours["train"]
    weights = np.linalg.lstsq(X, np.eye(8)[labels], rcond=None)[0]
    predicted = np.argmax(colours["val"][0] @ weights, axis=1)
    assert np.mean(predicted == colours["val"][1]) > 0.8
