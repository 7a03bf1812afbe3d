"""Tests of course_lib.captioning_solver: arguments, the training loop's bookkeeping
(iterations, printing, learning-rate decay) and the notebooks' overfit targets."""

import re

import numpy as np
import pytest

from course_lib import coco_utils
from course_lib.captioning_solver import CaptioningSolver
from course_lib.classifiers.rnn import CaptioningRNN

# A small caption grammar in the style of COCO: "<START> a small dog sitting on the
# bench next to a tree <END>". 103 words with the four special ones.
SPECIAL = ["<NULL>", "<START>", "<END>", "<UNK>"]
ARTICLES = ["a", "the", "two", "some"]
ADJECTIVES = "red blue green small large old young white black wooden tall brown"
NOUNS = (
    "man woman dog cat bus train table plate pizza kite street field boy girl horse "
    "bench bed car sign clock giraffe elephant beach water building tree room "
    "kitchen person bike"
)
VERBS = "sitting standing riding holding walking eating flying playing looking "
VERBS += "parked lying jumping"
LINKS = (
    "on in next to near with of at under by behind across is are and while it his "
    "her their top front side up down over around very many other there one three "
    "view couple group food grass snow sky road"
)


def synthetic_captions(num_captions=50, feature_dim=512, seed=0):
    """A `data` dict like coco_utils.load_coco_data(max_train=num_captions) returns:
    one random feature vector per caption and captions of 17 columns,
    <START> + 5 to 13 words + <END> + <NULL> padding."""
    rng = np.random.default_rng(seed)
    adjectives, nouns, verbs, links = (
        s.split() for s in [ADJECTIVES, NOUNS, VERBS, LINKS]
    )
    idx_to_word = SPECIAL + sorted(set(ARTICLES + adjectives + nouns + verbs + links))
    word_to_idx = {w: i for i, w in enumerate(idx_to_word)}

    captions = np.zeros((num_captions, 17), dtype=np.int32)
    for n in range(num_captions):
        words = [rng.choice(ARTICLES)]
        if rng.random() < 0.6:
            words.append(rng.choice(adjectives))
        words += [rng.choice(nouns), rng.choice(verbs), rng.choice(links)]
        words += [rng.choice(ARTICLES), rng.choice(nouns)]
        while rng.random() < 0.6 and len(words) < 13:
            words += [rng.choice(links), rng.choice(nouns)]
        words = [w if rng.random() > 0.03 else "<UNK>" for w in words]
        row = ["<START>"] + words + ["<END>"]
        captions[n, : len(row)] = [word_to_idx[w] for w in row]

    features = rng.normal(size=(num_captions, feature_dim))
    return {
        "train_captions": captions,
        "train_image_idxs": rng.permutation(num_captions).astype(np.int32),
        "train_features": features.astype(np.float32),
        "train_urls": np.array([f"images/{i:06d}.png" for i in range(num_captions)]),
        "word_to_idx": word_to_idx,
        "idx_to_word": idx_to_word,
    }


class QuadraticModel:
    """loss = 0.5 * sum ||p - 3||^2 over its two parameters, whatever the batch."""

    def __init__(self):
        self.params = {"w": np.zeros(3), "v": np.ones(2)}
        self.batch_shapes = []

    def loss(self, features, captions):
        self.batch_shapes.append((features.shape, captions.shape))
        loss = 0.5 * sum(np.sum((p - 3) ** 2) for p in self.params.values())
        return np.float64(loss), {k: p - 3 for k, p in self.params.items()}


@pytest.fixture
def stand_in_sampler(monkeypatch):
    """Replace coco_utils.sample_coco_minibatch by a local stand-in: rows drawn with
    np.random.choice, features and urls of their images."""

    def sample(data, batch_size=100, split="train"):
        rows = np.random.choice(data[f"{split}_captions"].shape[0], batch_size)
        image_idxs = data[f"{split}_image_idxs"][rows]
        return (
            data[f"{split}_captions"][rows],
            data[f"{split}_features"][image_idxs],
            data[f"{split}_urls"][image_idxs],
        )

    monkeypatch.setattr(coco_utils, "sample_coco_minibatch", sample)


def tiny_data(num_captions=10, feature_dim=3):
    return {
        "train_captions": np.zeros((num_captions, 17), dtype=np.int32),
        "train_image_idxs": np.arange(num_captions),
        "train_features": np.zeros((num_captions, feature_dim), dtype=np.float32),
        "train_urls": np.array(["u"] * num_captions),
    }


# ---------------------------------------------------------------- arguments


def test_unknown_keyword_arguments_are_named():
    with pytest.raises(ValueError, match=r"\['learning_rate'\].*optim_config"):
        CaptioningSolver(QuadraticModel(), tiny_data(), learning_rate=1e-3)


@pytest.mark.parametrize("rule", ["adamw", "np", "_private", "inspect"])
def test_update_rule_must_name_a_rule_of_optim(rule):
    with pytest.raises(ValueError, match=r"choose one of \['adam', 'rmsprop', 'sgd'"):
        CaptioningSolver(QuadraticModel(), tiny_data(), update_rule=rule)


def test_defaults():
    solver = CaptioningSolver(QuadraticModel(), tiny_data())
    assert solver.update_rule.__name__ == "sgd"
    assert (solver.lr_decay, solver.batch_size, solver.num_epochs) == (1.0, 100, 10)
    assert (solver.print_every, solver.verbose) == (10, True)
    assert solver.loss_history == [] and solver.epoch == 0


# ---------------------------------------------------------------- training loop


@pytest.mark.usefixtures("stand_in_sampler")
def test_train_runs_epochs_of_num_train_over_batch_size_iterations(capsys):
    model = QuadraticModel()
    solver = CaptioningSolver(
        model, tiny_data(10), batch_size=4, num_epochs=3, verbose=False
    )
    solver.train()

    assert len(solver.loss_history) == 3 * (10 // 4)
    assert all(type(loss) is float for loss in solver.loss_history)
    assert model.batch_shapes == [((4, 3), (4, 17))] * 6
    assert solver.epoch == 3
    assert capsys.readouterr().out == ""


@pytest.mark.usefixtures("stand_in_sampler")
def test_an_epoch_has_at_least_one_iteration():
    solver = CaptioningSolver(
        QuadraticModel(), tiny_data(10), batch_size=25, num_epochs=2, verbose=False
    )
    solver.train()
    assert len(solver.loss_history) == 2


@pytest.mark.usefixtures("stand_in_sampler")
def test_prints_one_line_every_print_every_iterations(capsys):
    solver = CaptioningSolver(
        QuadraticModel(), tiny_data(12), batch_size=2, num_epochs=1, print_every=2
    )
    solver.train()

    lines = capsys.readouterr().out.splitlines()
    line_format = re.compile(r"\(Iteration (\d+) / 6\) loss: \d+\.\d{6}")
    assert [line_format.fullmatch(line)[1] for line in lines] == ["1", "3", "5"]
    assert lines[0] == f"(Iteration 1 / 6) loss: {solver.loss_history[0]:f}"


@pytest.mark.usefixtures("stand_in_sampler")
def test_sgd_steps_and_learning_rate_decays_at_each_epoch_end():
    """One iteration per epoch: w_k = 3 - 3 * prod_j (1 - lr * 0.5**j)."""
    model = QuadraticModel()
    optim_config = {"learning_rate": 0.1}
    solver = CaptioningSolver(
        model,
        tiny_data(4),
        update_rule="sgd",
        optim_config=optim_config,
        lr_decay=0.5,
        batch_size=4,
        num_epochs=3,
        verbose=False,
    )
    solver.train()

    expected_w = 3 - 3 * np.prod([1 - 0.1 * 0.5**j for j in range(3)])
    np.testing.assert_allclose(model.params["w"], expected_w, rtol=1e-12)
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(0.1 * 0.5**3)
    assert optim_config == {"learning_rate": 0.1}  # the caller's dict is untouched


@pytest.mark.usefixtures("stand_in_sampler")
def test_every_parameter_has_its_own_optimizer_state():
    model = QuadraticModel()
    solver = CaptioningSolver(
        model, tiny_data(4), update_rule="adam", batch_size=4, num_epochs=2
    )
    solver.train()
    w_config, v_config = solver.optim_configs["w"], solver.optim_configs["v"]
    assert w_config is not v_config
    assert w_config["m"].shape == (3,) and v_config["m"].shape == (2,)
    assert w_config["t"] == v_config["t"] == 2


# ---------------------------------------------------------------- overfit targets


def overfit(cell_type, lr_decay):
    """The notebooks' overfit run: 50 captions, H 512, W 256, Adam 5e-3, batch 25,
    50 epochs (100 iterations), NumPy seed 231. Returns the trained solver."""
    data = synthetic_captions()
    np.random.seed(231)
    model = CaptioningRNN(
        data["word_to_idx"],
        input_dim=data["train_features"].shape[1],
        wordvec_dim=256,
        hidden_dim=512,
        cell_type=cell_type,
    )
    solver = CaptioningSolver(
        model,
        data,
        update_rule="adam",
        optim_config={"learning_rate": 5e-3},
        lr_decay=lr_decay,
        batch_size=25,
        num_epochs=50,
        verbose=False,
    )
    solver.train()
    return solver


def test_rnn_overfits_fifty_captions():
    solver = overfit("rnn", lr_decay=0.95)
    assert len(solver.loss_history) == 100
    assert solver.loss_history[-1] < 0.1


@pytest.mark.slow
def test_lstm_overfits_fifty_captions():
    solver = overfit("lstm", lr_decay=0.995)
    assert len(solver.loss_history) == 100
    assert solver.loss_history[-1] < 0.5
