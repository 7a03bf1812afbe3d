"""Training loop of the Transformer captioning model.

Shapes: N batch, T caption length (without the first word), V vocabulary size.
"""

import torch
from torch.nn import functional as F

from course_lib import coco_utils
from course_lib.progress import Progress


def transformer_temporal_softmax_loss(x, y, mask):
    """Masked cross-entropy of next-word scores, averaged over every position.

    Inputs:
    - x: (N, T, V) float tensor of scores.
    - y: (N, T) long tensor of the correct words, in [0, V).
    - mask: (N, T) bool tensor; False where y is padding and must not count.

    Returns:
    - loss: scalar tensor, sum over positions of cross-entropy times mask,
      divided by N * T (the masked positions count in the denominator).
    """
    N, T, V = x.shape
    losses = F.cross_entropy(x.reshape(N * T, V), y.reshape(N * T), reduction="none")
    return (losses * mask.reshape(N * T)).mean()


class CaptioningSolverTransformer:
    """Trains a `CaptioningTransformer` with Adam on minibatches of training captions.

    `data` is a dictionary in the format of `coco_utils.load_coco_data`; a minibatch
    comes from `coco_utils.sample_coco_minibatch(data, batch_size, split="train")`,
    which draws rows with NumPy's global generator (seed it for repeatable runs).

    Usage:
        solver = CaptioningSolverTransformer(model, data, idx_to_word,
                                             num_epochs=100, batch_size=25)
        solver.train()
        solver.loss_history  # one loss per iteration
    """

    def __init__(
        self,
        model,
        data,
        idx_to_word,
        *,
        learning_rate=0.001,
        batch_size=100,
        num_epochs=10,
        print_every=10,
        verbose=True,
    ):
        """Inputs:
        - model: a `CaptioningTransformer`.
        - data: dictionary with at least "train_captions" (int array, N x (T + 1))
          and what `sample_coco_minibatch` reads.
        - idx_to_word: dict index -> word, kept as `self.idx_to_word` for
          decoding the model's samples.
        - learning_rate: step size of Adam (constant, no decay).
        - batch_size: captions per iteration.
        - num_epochs: passes over the training captions; an epoch is
          max(num_train // batch_size, 1) iterations.
        - print_every: iterations between two reported losses.
        - verbose: report the loss every print_every iterations: beside a
          progress bar where a person watches, as a printed line elsewhere
          (see `course_lib.progress`).
        """
        self.model = model
        self.data = data
        self.idx_to_word = idx_to_word
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.print_every = print_every
        self.verbose = verbose

        self.optim = torch.optim.Adam(self.model.parameters(), learning_rate)
        self.loss_history = []

    def _step(self):
        """One gradient step on a random minibatch; appends its loss."""
        captions, features, _ = coco_utils.sample_coco_minibatch(
            self.data, batch_size=self.batch_size, split="train"
        )
        captions = torch.as_tensor(captions, dtype=torch.long)  # (N, T + 1)
        features = torch.as_tensor(features, dtype=torch.float32)  # (N, D)

        # The model reads each word and predicts the one after it.
        captions_in = captions[:, :-1]  # (N, T)
        captions_out = captions[:, 1:]  # (N, T)
        mask = captions_out != self.model._null  # (N, T)

        scores = self.model(features, captions_in)  # (N, T, V)
        loss = transformer_temporal_softmax_loss(scores, captions_out, mask)

        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        self.loss_history.append(loss.item())

    def train(self):
        """Run num_epochs epochs of optimization, the model in training mode."""
        num_train = self.data["train_captions"].shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        self.model.train()
        with Progress(num_iterations, "Training", self.verbose, unit="it") as bar:
            for t in range(num_iterations):
                self._step()
                bar.step()
                if t % self.print_every == 0:
                    loss = self.loss_history[-1]
                    line = f"(Iteration {t + 1} / {num_iterations}) loss: {loss:f}"
                    bar.note(line, loss=loss)
