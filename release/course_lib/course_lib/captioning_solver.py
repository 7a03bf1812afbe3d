"""Minibatch training of a captioning model with an update rule from `optim`.

A solver owns the training loop; the model owns the loss. Example:

    solver = CaptioningSolver(
        model, data,
        update_rule="adam",
        optim_config={"learning_rate": 5e-3},
        lr_decay=0.95,
        batch_size=25,
        num_epochs=50,
    )
    solver.train()
    solver.loss_history  # one float per iteration

The model needs `params`, a dict name -> array, and `loss(features, captions)`
returning `(loss, grads)` with grads keyed like params. `data` is a dict as
`coco_utils.load_coco_data` returns it; training uses its "train_*" entries.
"""

import inspect

from course_lib import coco_utils, optim
from course_lib.progress import Progress

DEFAULTS = {
    "update_rule": "sgd",
    "optim_config": {},
    "lr_decay": 1.0,
    "batch_size": 100,
    "num_epochs": 10,
    "print_every": 10,
    "verbose": True,
}


def update_rules():
    """Names of the update rules in `optim`, the accepted values of update_rule."""
    return sorted(
        name
        for name, value in vars(optim).items()
        if inspect.isfunction(value)
        and value.__module__ == optim.__name__
        and not name.startswith("_")
    )


class CaptioningSolver:
    """Trains a captioning model by minibatch gradient descent.

    Keyword arguments (all optional):
    - update_rule: name of an update rule in `optim`: "sgd", "sgd_momentum",
      "rmsprop" or "adam" (default "sgd").
    - optim_config: hyper-parameters of the update rule, such as learning_rate;
      every parameter array gets its own copy (default {}).
    - lr_decay: factor applied to every learning rate at the end of each epoch
      (default 1.0, no decay).
    - batch_size: captions per minibatch (default 100).
    - num_epochs: passes over the training captions (default 10).
    - print_every: report the loss every this many iterations (default 10).
    - verbose: if False, show nothing (default True).

    Training shows a progress bar with the latest loss where a person watches (a
    live notebook, a terminal), and prints one line per print_every iterations
    elsewhere (under the autograder, in logs); see `course_lib.progress`.

    After `train()`, `loss_history` holds the loss of every iteration.
    """

    def __init__(self, model, data, **kwargs):
        """Set up a solver; raises ValueError for unknown keyword arguments.

        Inputs:
        - model: the captioning model to train, changed in place.
        - data: dict with at least "train_captions" (N, T + 1) int,
          "train_image_idxs" (N,), "train_features" (M, D) and "train_urls" (M,).
        - kwargs: the keyword arguments listed in the class docstring.
        """
        unknown = sorted(set(kwargs) - set(DEFAULTS))
        if unknown:
            raise ValueError(
                f"CaptioningSolver got unknown keyword arguments {unknown}; "
                f"the accepted ones are {sorted(DEFAULTS)}."
            )
        settings = {**DEFAULTS, **kwargs}
        if settings["update_rule"] not in update_rules():
            raise ValueError(
                f"update_rule {settings['update_rule']!r} is not an update rule "
                f"in course_lib.optim; choose one of {update_rules()}."
            )

        self.model = model
        self.data = data
        self.update_rule = getattr(optim, settings["update_rule"])
        self.optim_config = settings["optim_config"]
        self.lr_decay = settings["lr_decay"]
        self.batch_size = settings["batch_size"]
        self.num_epochs = settings["num_epochs"]
        self.print_every = settings["print_every"]
        self.verbose = settings["verbose"]
        self._reset()

    def _reset(self):
        """Forget any training: epoch 0, empty history, fresh optimizer state."""
        self.epoch = 0
        self.loss_history = []
        self.optim_configs = {
            name: dict(self.optim_config) for name in self.model.params
        }

    def _step(self):
        """One gradient update on a random minibatch of training captions."""
        captions, features, _ = coco_utils.sample_coco_minibatch(
            self.data, batch_size=self.batch_size, split="train"
        )

        loss, grads = self.model.loss(features, captions)
        self.loss_history.append(float(loss))

        for name, w in self.model.params.items():
            config = self.optim_configs[name]
            next_w, self.optim_configs[name] = self.update_rule(w, grads[name], config)
            self.model.params[name] = next_w

    def train(self):
        """Run num_epochs epochs of max(num_train // batch_size, 1) iterations."""
        num_train = self.data["train_captions"].shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        with Progress(num_iterations, "Training", self.verbose, unit="it") as bar:
            for t in range(num_iterations):
                self._step()
                bar.step()

                if t % self.print_every == 0:
                    loss = self.loss_history[-1]
                    line = f"(Iteration {t + 1} / {num_iterations}) loss: {loss:f}"
                    bar.note(line, loss=loss)

                if (t + 1) % iterations_per_epoch == 0:
                    self.epoch += 1
                    for config in self.optim_configs.values():
                        config["learning_rate"] *= self.lr_decay
