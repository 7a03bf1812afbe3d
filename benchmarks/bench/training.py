"""Iterations per second of the captioning solvers at the notebooks' settings.

The notebooks overfit 50 captions with batches of 25: the RNN and the LSTM with
CaptioningSolver (Adam, learning rate 5e-3, W = 256, H = 512, float32), the
Transformer with CaptioningSolverTransformer (Adam, 1e-3, W = 256, 2 heads, 2
layers). References, measured alike: for the NumPy models, the same model in
PyTorch (nn.Embedding, nn.RNN or nn.LSTM, nn.Linear, Adam, float32); for the
Transformer, the same model with each MultiHeadAttention's projections put around
F.scaled_dot_product_attention. Times are CPU seconds of this one-thread process.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_lib import coco_utils
from course_lib.captioning_solver import CaptioningSolver
from course_lib.captioning_solver_transformer import CaptioningSolverTransformer
from course_lib.classifiers.rnn import CaptioningRNN
from course_lib.classifiers.transformer import CaptioningTransformer
from course_lib.transformer_layers import MultiHeadAttention

from .layers import ScaledDotProductAttention
from .report import Line
from .timing import cpu_clock, median_pair

SECTION = "Captioning training (iterations per second, batch 25)"
WORDVEC, HIDDEN, BATCH, NUM_TRAIN = 256, 512, 25, 50
MAX_RATIO_TO_TORCH = 1.5


def measure(context):
    np.random.seed(231)
    data = coco_utils.load_coco_data(max_train=NUM_TRAIN)
    epochs = 2 if context.quick else 10  # an epoch is NUM_TRAIN // BATCH iterations
    lines = []
    for cell in ("rnn", "lstm"):
        ours = seconds_per_iteration(numpy_solver(cell, data, epochs))
        theirs = seconds_per_iteration(TorchCaptioningSolver(cell, data, epochs))
        lines.append(
            Line(
                SECTION,
                f"CaptioningSolver, {cell.upper()}",
                ours,
                theirs,
                f"the same model in PyTorch, nn.{cell.upper()}",
                MAX_RATIO_TO_TORCH,
                f"<= {MAX_RATIO_TO_TORCH}x PyTorch",
                unit="it/s",
                note=WHY_SLOWER,
            )
        )
        lines += breakdown_lines(cell, data, context.repeats)
    ours = seconds_per_iteration(transformer_solver(data, epochs, fused=False))
    theirs = seconds_per_iteration(transformer_solver(data, epochs, fused=True))
    lines.append(
        Line(
            SECTION,
            "CaptioningSolverTransformer",
            ours,
            theirs,
            "with F.scaled_dot_product_attention",
            MAX_RATIO_TO_TORCH,
            f"<= {MAX_RATIO_TO_TORCH}x PyTorch",
            unit="it/s",
        )
    )
    return lines


WHY_SLOWER = (
    "PyTorch's recurrent layer computes the input projection x Wx for all T steps "
    "in one product before its loop and the weight gradients in one product over "
    "all N*T rows after it (in float32 on this processor through oneDNN's fused "
    "kernel). The NumPy reference does both step by step, as the exercise's step "
    "functions teach, and at N = 25 each small product reads all of Wx and Wh "
    "again. At float64, without the fused kernel, the NumPy layers are as fast as "
    "PyTorch's (see the layers above). The lines below split an iteration into "
    "loss-and-gradients and the Adam update, whose NumPy version builds new arrays "
    "where PyTorch's updates in place."
)


def breakdown_lines(cell, data, repeats):
    """One iteration split in two: loss and gradients, then the Adam update."""
    numpy_model = numpy_solver(cell, data, 1)
    torch_model = TorchCaptioningSolver(cell, data, 1)
    captions, features, _ = coco_utils.sample_coco_minibatch(data, batch_size=BATCH)
    captions_t = torch.as_tensor(captions, dtype=torch.long)
    features_t = torch.as_tensor(features, dtype=torch.float32)
    _, grads = numpy_model.model.loss(features, captions)

    def numpy_loss():
        numpy_model.model.loss(features, captions)

    def torch_loss():
        torch_model.optim.zero_grad()
        torch_model.model.loss(features_t, captions_t).backward()

    def numpy_update():
        for name, w in numpy_model.model.params.items():
            config = numpy_model.optim_configs[name]
            numpy_model.update_rule(w, grads[name], config)

    reference = f"the same in PyTorch, nn.{cell.upper()}"
    loss = median_pair(numpy_loss, torch_loss, repeats)
    torch_loss()  # gradients for the update to use
    update = median_pair(numpy_update, torch_model.optim.step, repeats)
    name = f"CaptioningSolver, {cell.upper()}"
    return [
        Line(SECTION, f"{name}: loss and gradients", *loss, reference, unit="ms"),
        Line(SECTION, f"{name}: Adam update", *update, reference, unit="ms"),
    ]


def seconds_per_iteration(solver):
    """CPU seconds of one training iteration: a warm-up epoch, then `train()`."""
    epochs = solver.num_epochs
    solver.num_epochs = 1
    solver.train()
    solver.num_epochs = epochs
    started = cpu_clock()
    solver.train()
    iterations = epochs * max(NUM_TRAIN // BATCH, 1)
    return (cpu_clock() - started) / iterations


def numpy_solver(cell, data, epochs):
    np.random.seed(231)
    model = CaptioningRNN(
        cell_type=cell,
        word_to_idx=data["word_to_idx"],
        input_dim=data["train_features"].shape[1],
        hidden_dim=HIDDEN,
        wordvec_dim=WORDVEC,
        dtype=np.float32,
    )
    return CaptioningSolver(
        model,
        data,
        update_rule="adam",
        optim_config={"learning_rate": 5e-3},
        num_epochs=epochs,
        batch_size=BATCH,
        verbose=False,
    )


def transformer_solver(data, epochs, fused):
    torch.manual_seed(231)
    model = CaptioningTransformer(
        word_to_idx=data["word_to_idx"],
        input_dim=data["train_features"].shape[1],
        wordvec_dim=WORDVEC,
        num_heads=2,
        num_layers=2,
        max_length=30,
    )
    if fused:
        for layer in model.transformer.layers:
            for name, child in list(layer.named_children()):
                if isinstance(child, MultiHeadAttention):
                    setattr(layer, name, ScaledDotProductAttention(child))
    return CaptioningSolverTransformer(
        model,
        data,
        idx_to_word=data["idx_to_word"],
        num_epochs=epochs,
        batch_size=BATCH,
        learning_rate=0.001,
        verbose=False,
    )


class TorchCaptioner(nn.Module):
    """CaptioningRNN's model written with PyTorch's layers (N batch, T steps)."""

    def __init__(self, cell, word_to_idx, input_dim):
        super().__init__()
        self.null = word_to_idx["<NULL>"]
        vocab = len(word_to_idx)
        self.projection = nn.Linear(input_dim, HIDDEN)
        self.embedding = nn.Embedding(vocab, WORDVEC)
        self.recurrent = (nn.RNN if cell == "rnn" else nn.LSTM)(
            WORDVEC, HIDDEN, batch_first=True
        )
        self.scores = nn.Linear(HIDDEN, vocab)

    def loss(self, features, captions):
        """Summed masked cross-entropy over time, averaged over N, as the NumPy one."""
        captions_in, captions_out = captions[:, :-1], captions[:, 1:]  # (N, T)
        h0 = self.projection(features)[None]  # (1, N, H)
        state = h0 if isinstance(self.recurrent, nn.RNN) else (h0, torch.zeros_like(h0))
        h, _ = self.recurrent(self.embedding(captions_in), state)  # (N, T, H)
        scores = self.scores(h)  # (N, T, V)
        losses = F.cross_entropy(
            scores.flatten(0, 1), captions_out.flatten(), reduction="none"
        )
        mask = (captions_out != self.null).flatten()
        return (losses * mask).sum() / len(captions)


class TorchCaptioningSolver:
    """The training loop of CaptioningSolver, for `TorchCaptioner`."""

    def __init__(self, cell, data, epochs):
        torch.manual_seed(231)
        self.data = data
        self.num_epochs = epochs
        self.model = TorchCaptioner(
            cell, data["word_to_idx"], data["train_features"].shape[1]
        )
        self.optim = torch.optim.Adam(self.model.parameters(), lr=5e-3)

    def train(self):
        iterations = self.num_epochs * max(NUM_TRAIN // BATCH, 1)
        for _ in range(iterations):
            captions, features, _ = coco_utils.sample_coco_minibatch(
                self.data, batch_size=BATCH, split="train"
            )
            loss = self.model.loss(
                torch.as_tensor(features, dtype=torch.float32),
                torch.as_tensor(captions, dtype=torch.long),
            )
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()
