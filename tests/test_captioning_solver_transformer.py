import copy
import re
import time

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_lib import coco_utils
from course_lib.captioning_solver_transformer import (
    CaptioningSolverTransformer,
    transformer_temporal_softmax_loss,
)
from course_lib.classifiers.transformer import CaptioningTransformer

# A stand-in for COCO captions: short grammatical sentences over a small vocabulary,
# padded like the original (<START>, words, <END>, <NULL> up to 17 columns).
ADJECTIVES = "red blue white black small large young old green brown wooden".split()
NOUNS = (
    "man woman dog cat train bus plate table street field kitchen horse giraffe "
    "elephant pizza bench bed boy girl group people person surfer wave skateboard "
    "kite beach water grass room building car truck sign clock bird tree"
).split()
VERBS = "sitting standing riding holding eating walking flying laying playing".split()
PREPOSITIONS = "on in with near of at next to under".split()
SPECIAL = ["<NULL>", "<START>", "<END>", "<UNK>"]
VOCABULARY = SPECIAL + sorted(
    set(ADJECTIVES + NOUNS + VERBS + PREPOSITIONS + ["a", "is", "the"])
)
WORD_TO_IDX = {w: i for i, w in enumerate(VOCABULARY)}


def caption_data(num_captions, feature_dim=512, length=17):
    """A data dict in the layout of `load_coco_data`, drawn from np.random."""

    def choose(words):
        return words[np.random.randint(len(words))]

    captions = np.zeros((num_captions, length), np.int32)
    for row in range(num_captions):
        words = ["a"] + ([choose(ADJECTIVES)] if np.random.rand() < 0.5 else [])
        words += [choose(NOUNS), "is", choose(VERBS)]
        while len(words) < 9 + np.random.randint(4):
            words += [choose(PREPOSITIONS), "the", choose(NOUNS)]
        words = ["<START>"] + words[: length - 2] + ["<END>"]
        captions[row, : len(words)] = [WORD_TO_IDX[w] for w in words]
    image_idxs = np.random.permutation(num_captions).astype(np.int32)
    features = np.random.randn(num_captions, feature_dim).astype(np.float32)
    return {
        "train_captions": captions,
        "train_image_idxs": image_idxs,
        "train_features": features,
        "train_urls": np.array([f"images/{i:06d}.png" for i in range(num_captions)]),
        "word_to_idx": WORD_TO_IDX,
        "idx_to_word": VOCABULARY,
    }


def small_model(feature_dim=6, wordvec_dim=8):
    torch.manual_seed(0)
    return CaptioningTransformer(
        WORD_TO_IDX, feature_dim, wordvec_dim, num_heads=2, num_layers=1, max_length=20
    )


# Loss


def reference_loss(x, y, mask):
    """Masked cross-entropy averaged over all N * T positions, in NumPy."""
    N, T, V = x.shape
    log_p = x - x.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_p, y[..., None], axis=-1)[..., 0]
    return -(picked * mask).sum() / (N * T)


def test_loss_matches_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 7))
    y = rng.integers(7, size=(3, 4))
    mask = rng.random((3, 4)) < 0.6
    loss = transformer_temporal_softmax_loss(
        torch.tensor(x), torch.tensor(y), torch.tensor(mask)
    )
    assert loss.shape == ()
    assert loss.item() == pytest.approx(reference_loss(x, y, mask), rel=1e-12)


def test_loss_gradient_counts_masked_positions_in_the_mean():
    torch.manual_seed(0)
    x = torch.randn(2, 5, 6, dtype=torch.float64, requires_grad=True)
    y = torch.randint(6, (2, 5))
    mask = torch.rand(2, 5) < 0.5
    transformer_temporal_softmax_loss(x, y, mask).backward()
    expected = (torch.softmax(x, -1) - F.one_hot(y, 6)) * mask[..., None] / 10
    torch.testing.assert_close(x.grad, expected.detach())


def test_loss_without_mask_is_plain_cross_entropy():
    torch.manual_seed(0)
    x, y = torch.randn(2, 5, 6), torch.randint(6, (2, 5))
    loss = transformer_temporal_softmax_loss(x, y, torch.ones(2, 5, dtype=torch.bool))
    torch.testing.assert_close(loss, F.cross_entropy(x.reshape(10, 6), y.reshape(10)))


# Solver


def test_solver_defaults_and_unknown_option():
    model = small_model()
    solver = CaptioningSolverTransformer(model, caption_data(4), VOCABULARY)
    assert (solver.learning_rate, solver.batch_size, solver.num_epochs) == (
        0.001, 100, 10,
    )  # fmt: skip
    assert (solver.print_every, solver.verbose) == (10, True)
    assert isinstance(solver.optim, torch.optim.Adam)
    assert solver.optim.param_groups[0]["lr"] == 0.001
    with pytest.raises(TypeError, match="lr_decay"):
        CaptioningSolverTransformer(model, caption_data(4), VOCABULARY, lr_decay=0.9)


def test_train_runs_epochs_and_prints_on_the_interval(monkeypatch, capsys):
    np.random.seed(0)
    data = caption_data(10, feature_dim=6)
    calls = []

    def recording_minibatch(data, batch_size=100, split="train"):
        calls.append((batch_size, split))
        rows = np.arange(batch_size) % data["train_captions"].shape[0]
        idxs = data["train_image_idxs"][rows]
        return data["train_captions"][rows], data["train_features"][idxs], None

    monkeypatch.setattr(coco_utils, "sample_coco_minibatch", recording_minibatch)
    solver = CaptioningSolverTransformer(
        small_model(), data, VOCABULARY, batch_size=4, num_epochs=3, print_every=2
    )
    solver.model.eval()
    solver.train()

    # 10 // 4 = 2 iterations per epoch, 3 epochs; lines at iterations 1, 3, 5.
    assert calls == [(4, "train")] * 6
    assert len(solver.loss_history) == 6
    assert solver.model.training
    lines = capsys.readouterr().out.splitlines()
    assert [re.fullmatch(r"\(Iteration (\d+) / 6\) loss: \d+\.\d+", line)[1]
            for line in lines] == ["1", "3", "5"]  # fmt: skip

    quiet = CaptioningSolverTransformer(
        small_model(), data, VOCABULARY, batch_size=20, num_epochs=2, verbose=False
    )
    quiet.train()
    assert capsys.readouterr().out == ""
    assert len(quiet.loss_history) == 2  # at least one iteration per epoch


def test_step_loss_predicts_each_next_word(monkeypatch):
    np.random.seed(0)
    data = caption_data(5, feature_dim=6)
    model = small_model()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    before = copy.deepcopy(model)

    def whole_split(data, batch_size=100, split="train"):
        idxs = data["train_image_idxs"]
        return data["train_captions"], data["train_features"][idxs], None

    monkeypatch.setattr(coco_utils, "sample_coco_minibatch", whole_split)
    solver = CaptioningSolverTransformer(
        model, data, VOCABULARY, batch_size=5, num_epochs=1, verbose=False
    )
    solver.train()

    captions = data["train_captions"]
    features = torch.from_numpy(data["train_features"][data["train_image_idxs"]])
    with torch.no_grad():
        scores = before(features, torch.from_numpy(captions[:, :-1]).long())
    expected = reference_loss(
        scores.double().numpy(), captions[:, 1:], captions[:, 1:] != 0
    )
    assert solver.loss_history[0] == pytest.approx(expected, rel=1e-5)
    changed = [
        not torch.equal(p, q) for p, q in zip(model.parameters(), before.parameters())
    ]
    assert any(changed)


@pytest.mark.slow
def test_overfits_fifty_captions():
    """The notebook's target: 200 iterations on 50 captions end below 0.03."""
    np.random.seed(231)
    data = caption_data(50)
    torch.manual_seed(231)
    model = CaptioningTransformer(
        data["word_to_idx"], input_dim=512, wordvec_dim=256, num_heads=2,
        num_layers=2, max_length=30,
    )  # fmt: skip
    solver = CaptioningSolverTransformer(
        model, data, data["idx_to_word"], num_epochs=100, batch_size=25,
        learning_rate=0.001, verbose=False,
    )  # fmt: skip

    start = time.perf_counter()
    solver.train()
    seconds = time.perf_counter() - start

    assert len(solver.loss_history) == 200
    assert solver.loss_history[-1] < 0.03, (
        f"final loss {solver.loss_history[-1]:.4f} after {seconds:.0f} s"
    )
