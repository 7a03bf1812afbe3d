# Template of LSTM_Captioning.ipynb (extra credit): `course build` renders it into
# source/assignment3_extra/. Cell kinds are explained in course_lib/tooling/template.py.

# %% [locked] include=setup

# %% [markdown]
# # Image captioning with an LSTM (extra credit)
#
# A vanilla RNN multiplies its hidden state by the same matrix $W_h$ at every step.
# Backpropagating through T steps multiplies the gradient by $W_h^\top$ (and by
# tanh's derivatives, all at most 1) T times over: it shrinks towards zero when the
# largest singular value of $W_h$ is below one and explodes when it is above. Either
# way the model struggles to learn how early words shape late ones.
#
# The long short-term memory (LSTM) cell of Hochreiter and Schmidhuber (1997) adds
# a second state, the *cell*, that is changed only by elementwise gates and
# additions. Its gradient can flow back through many steps without passing through
# a matrix product, which makes long-range dependencies much easier to learn.
#
# This notebook builds on your RNN notebook: the cell after the imports runs your
# exercise cells of `../assignment3/RNN_Captioning.ipynb` (word embedding, the
# captioning model's `loss` and `sample`), so keep the two assignment folders side
# by side, as they were released.

# %% [locked]
import numpy as np
import matplotlib.pyplot as plt

from course_lib import rnn_layers
from course_lib.captioning_solver import CaptioningSolver
from course_lib.checks import rel_error, report, report_below
from course_lib.classifiers.rnn import CaptioningRNN
from course_lib.coco_utils import (
    decode_captions,
    load_coco_data,
    sample_coco_minibatch,
)
from course_lib.exercise import carry_over, exercise
from course_lib.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
)
from course_lib.image_utils import image_from_url
from course_lib.rnn_layers import *  # noqa: F403  the layers to use and write
from course_lib.widgets.caption_explorer import caption_explorer

plt.rcParams["figure.figsize"] = (10.0, 8.0)
plt.rcParams["image.interpolation"] = "nearest"

# %% [locked]
# Your code from the RNN notebook: word embedding, CaptioningRNN.loss, .sample.
ran = carry_over("../assignment3/RNN_Captioning.ipynb", globals())
print("ran your cells:", ", ".join(ran))

# %% [markdown]
# ## The data
#
# The same captioning data as in the RNN notebook.

# %%
data = load_coco_data(pca_features=True)
for key, value in data.items():
    if isinstance(value, np.ndarray):
        print(key, type(value).__name__, value.shape, value.dtype)
    else:
        print(key, type(value).__name__, len(value))

# %% [markdown]
# ## The LSTM step
#
# At each step the LSTM receives the input $x_t \in \mathbb{R}^D$, the previous
# hidden state $h_{t-1} \in \mathbb{R}^H$ and the previous cell state
# $c_{t-1} \in \mathbb{R}^H$. One affine map computes four blocks of H activations
# at once, $a = x_t W_x + h_{t-1} W_h + b \in \mathbb{R}^{4H}$, with
# $W_x \in \mathbb{R}^{D \times 4H}$ and $W_h \in \mathbb{R}^{H \times 4H}$. In this
# order, the blocks give
#
# - the input gate $i = \sigma(a_{[0:H]})$: how much of the new content to write;
# - the forget gate $f = \sigma(a_{[H:2H]})$: how much of the old cell to keep;
# - the output gate $o = \sigma(a_{[2H:3H]})$: how much of the cell to show;
# - the new content $g = \tanh(a_{[3H:4H]})$.
#
# The states are then
#
# $$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t),$$
#
# where $\odot$ is the elementwise product and $\sigma$ the logistic sigmoid
# (`sigmoid` in `course_lib/rnn_layers.py` computes it without overflow).
#
# Write `lstm_step_forward`. The check should print errors around 1e-8 or smaller.

# %% [solution] course_lib.rnn_layers:lstm_step_forward

# %% [test] id=test_lstm_step_forward points=2
N, D, H = 3, 4, 5
x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
b = np.linspace(0.3, 0.7, num=4 * H)

next_h, next_c, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
expected_next_h = np.asarray([
    [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
    [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
    [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299],
])
expected_next_c = np.asarray([
    [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
    [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
    [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676],
])
report("next_h", next_h, expected_next_h, 1e-7)
report("next_c", next_c, expected_next_c, 1e-7)
### BEGIN HIDDEN TESTS
from course_lib.grading import lstm_captioning as hidden
hidden.lstm_step_forward(2)
### END HIDDEN TESTS

# %% [markdown]
# ## The step backward
#
# Both outputs of a step reach the loss: `next_h` directly and through later steps,
# `next_c` through later steps only. So the backward pass receives two upstream
# gradients, `dnext_h` and `dnext_c`. Start from the cell: it collects
# `dnext_c` plus what flows back through $h_t = o \odot \tanh(c_t)$. Then go
# through the gates (remember $\sigma' = \sigma(1 - \sigma)$ and
# $\tanh' = 1 - \tanh^2$) back to the stacked activation $a$, and from there to
# the inputs and weights as in the RNN step. Expect errors around 1e-7 or smaller.

# %% [solution] course_lib.rnn_layers:lstm_step_backward

# %% [test] id=test_lstm_step_backward points=3
np.random.seed(231)
N, D, H = 4, 5, 6
x = np.random.randn(N, D)
prev_h = np.random.randn(N, H)
prev_c = np.random.randn(N, H)
Wx = np.random.randn(D, 4 * H)
Wh = np.random.randn(H, 4 * H)
b = np.random.randn(4 * H)

next_h, next_c, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
dnext_h = np.random.randn(*next_h.shape)
dnext_c = np.random.randn(*next_c.shape)
grads = lstm_step_backward(dnext_h, dnext_c, cache)

# Numeric gradient of sum(next_h * dnext_h + next_c * dnext_c) for each input.
inputs = dict(x=x, prev_h=prev_h, prev_c=prev_c, Wx=Wx, Wh=Wh, b=b)
for (name, value), grad in zip(inputs.items(), grads):
    def step(v, name=name):
        return lstm_step_forward(**{**inputs, name: v})
    numeric = eval_numerical_gradient_array(
        lambda v: step(v)[0], value, dnext_h
    ) + eval_numerical_gradient_array(lambda v: step(v)[1], value, dnext_c)
    report(f"d{name}", grad, numeric, 1e-6)
### BEGIN HIDDEN TESTS
from course_lib.grading import lstm_captioning as hidden
hidden.lstm_step_backward(3)
### END HIDDEN TESTS

# %% [markdown]
# ## The whole sequence
#
# `lstm_forward` runs the step over all T time steps. The initial hidden state `h0`
# comes in as an argument; the initial cell state is zero and is not returned.
# Only the hidden states are: (N, T, H). Expect an error around 1e-7 or smaller.

# %% [solution] course_lib.rnn_layers:lstm_forward

# %% [test] id=test_lstm_forward points=2
N, D, H, T = 2, 5, 4, 3
x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
b = np.linspace(0.2, 0.7, num=4 * H)

h, cache = lstm_forward(x, h0, Wx, Wh, b)
expected_h = np.asarray([
    [
        [0.01764008, 0.01823233, 0.01882671, 0.0194232],
        [0.11287491, 0.12146228, 0.13018446, 0.13902939],
        [0.31358768, 0.33338627, 0.35304453, 0.37250975],
    ],
    [
        [0.45767879, 0.4761092, 0.4936887, 0.51041945],
        [0.6704845, 0.69350089, 0.71486014, 0.7346449],
        [0.81733511, 0.83677871, 0.85403753, 0.86935314],
    ],
])
report("h", h, expected_h, 1e-7)
### BEGIN HIDDEN TESTS
from course_lib.grading import lstm_captioning as hidden
hidden.lstm_forward(2)
### END HIDDEN TESTS

# %% [markdown]
# ## Backpropagation through time
#
# `lstm_backward` walks the steps backwards, as `rnn_backward` does, carrying two
# gradients from step to step: the hidden state's and the cell's. The cell's
# gradient into the last step is zero (the loss never sees the cell directly).
# Expect errors around 1e-6 or smaller.

# %% [solution] course_lib.rnn_layers:lstm_backward

# %% [test] id=test_lstm_backward points=3
np.random.seed(231)
N, D, T, H = 2, 3, 10, 6
x = np.random.randn(N, T, D)
h0 = np.random.randn(N, H)
Wx = np.random.randn(D, 4 * H)
Wh = np.random.randn(H, 4 * H)
b = np.random.randn(4 * H)

out, cache = lstm_forward(x, h0, Wx, Wh, b)
dout = np.random.randn(*out.shape)
grads = lstm_backward(dout, cache)

inputs = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}
for (name, value), grad in zip(inputs.items(), grads):
    def run(v, name=name):
        return lstm_forward(**{**inputs, name: v})[0]
    numeric = eval_numerical_gradient_array(run, value, dout)
    report(f"d{name}", grad, numeric, 1e-5)
### BEGIN HIDDEN TESTS
from course_lib.grading import lstm_captioning as hidden
hidden.lstm_backward(3)
### END HIDDEN TESTS

# %% [markdown]
# ## The captioning model with an LSTM
#
# In the RNN notebook you wrote `CaptioningRNN.loss` and `.sample` with a branch
# for `cell_type == "lstm"`. With your LSTM layers in place it runs now. If you
# left that branch out, add it there (in `RNN_Captioning.ipynb`), and run the
# carry-over cell above again. The fixed-weight check should give a difference
# around 1e-10 or smaller.

# %% [test] id=test_captioning_lstm points=3
N, D, W, H = 10, 20, 30, 40
word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3}
V = len(word_to_idx)
T = 13

model = CaptioningRNN(
    word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H,
    cell_type="lstm", dtype=np.float64,
)
for name, value in model.params.items():  # fixed weights: a known loss
    fixed = np.linspace(-1.4, 1.3, num=value.size)
    model.params[name] = fixed.reshape(*value.shape)

features = np.linspace(-0.5, 1.7, num=N * D).reshape(N, D)
captions = (np.arange(N * T) % V).reshape(N, T)

loss, grads = model.loss(features, captions)
expected_loss = 9.82445935443
print(f"loss: {loss:.11f}   expected: {expected_loss}")
report("loss", loss, expected_loss, 1e-9)
### BEGIN HIDDEN TESTS
from course_lib.grading import lstm_captioning as hidden
hidden.captioning_lstm(3)
### END HIDDEN TESTS

# %% [markdown]
# ## Overfit a small dataset
#
# The same 50 captions as in the RNN notebook, with an LSTM. The final loss should
# fall below 0.5.

# %% [locked]
np.random.seed(231)
small_data = load_coco_data(max_train=50)

small_lstm_model = CaptioningRNN(
    cell_type="lstm",
    word_to_idx=data["word_to_idx"],
    input_dim=data["train_features"].shape[1],
    hidden_dim=512,
    wordvec_dim=256,
    dtype=np.float32,
)
small_lstm_solver = CaptioningSolver(
    small_lstm_model,
    small_data,
    update_rule="adam",
    num_epochs=50,
    batch_size=25,
    optim_config={"learning_rate": 5e-3},
    lr_decay=0.995,
    verbose=True,
    print_every=10,
)
small_lstm_solver.train()

plt.figure(figsize=(6, 4))
plt.plot(small_lstm_solver.loss_history)
plt.xlabel("Iteration")
plt.ylabel("Loss")
plt.title("Training loss")
plt.show()

# %% [test] id=test_lstm_overfit points=2
report_below("final loss", small_lstm_solver.loss_history[-1], 0.5)
### BEGIN HIDDEN TESTS
from course_lib.grading import lstm_captioning as hidden
hidden.overfit(2, threshold=0.5)
### END HIDDEN TESTS

# %% [markdown]
# ## Captions from the LSTM
#
# As with the RNN, the samples on training images should be close to their
# captions, and those on validation images should make little sense after 50
# captions of training.

# %%
for split in ["train", "val"]:
    gt_captions, features, urls = sample_coco_minibatch(
        small_data, split=split, batch_size=2
    )
    gt_captions = decode_captions(gt_captions, data["idx_to_word"])
    sample_captions = small_lstm_model.sample(features)
    sample_captions = decode_captions(sample_captions, data["idx_to_word"])
    shown = zip(gt_captions, sample_captions, urls)
    for gt_caption, sample_caption, url in shown:
        image = image_from_url(url)
        if image is None:
            continue
        plt.figure(figsize=(4, 4))
        plt.imshow(image)
        plt.title(f"{split}\n{sample_caption}\nGT: {gt_caption}")
        plt.axis("off")
        plt.show()

# %% [markdown]
# ### Explore
#
# Pick an image with the slider and compare the caption your `sample` writes
# with the ones people wrote. The menu switches between training images, which
# the model has memorised, and validation images, which it never saw. Where
# widgets cannot show (in the autograder's copy, for one), a figure of a few
# training images with their captions appears instead.

# %%
caption_explorer(small_lstm_model, small_data, split="train")
