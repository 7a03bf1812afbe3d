# Template of RNN_Captioning.ipynb: `course build` renders it into source/assignment3/.
# Cell kinds and options are explained in course_lib/tooling/template.py.

# %% [locked] include=setup

# %% [markdown]
# # Image captioning with a vanilla RNN
#
# A recurrent neural network reads a sequence one element at a time and carries what
# it has seen in a hidden state. In this notebook you build one from its layers,
# in NumPy, and train it to write captions for images: the image decides the first
# hidden state, and the network then predicts the caption word by word.
#
# You write each piece in the cell that holds its signature and documentation. The
# cell after it checks your code on inputs with known answers; when you submit,
# the autograder checks it again on inputs of its own.

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
from course_lib.exercise import exercise
from course_lib.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
)
from course_lib.image_utils import image_from_url
from course_lib.rnn_layers import *  # noqa: F403  the layers to use and write
from course_lib.widgets.caption_explorer import caption_explorer

plt.rcParams["figure.figsize"] = (10.0, 8.0)
plt.rcParams["image.interpolation"] = "nearest"

# %% [markdown]
# ## The captioning data
#
# The original assignment uses the 2014 release of Microsoft COCO: about 80,000
# training and 40,000 validation images with five captions each, written by people.
# The kit ships a small stand-in that works offline and in the same file formats:
# drawn scenes of simple objects, each described by five captions. Point
# `load_coco_data(base_dir=...)` (or the `COURSE_LIB_COCO_DIR` environment variable)
# at a folder with the real files and the same code reads COCO instead.
#
# **Image features.** Captioning models rarely look at raw pixels; they start from
# features of a network trained for image classification. For COCO these are the
# activations of VGG-16's fc7 layer, reduced from 4096 to 512 dimensions by principal
# component analysis (`train2014_vgg16_fc7_pca.h5`). The stand-in provides 512
# features per image in the same file.
#
# **Captions as integers.** Every word has an integer id, and a caption is a row of
# ids. The vocabulary has four special tokens: `<START>` and `<END>` frame every
# caption, `<UNK>` replaces rare words, and `<NULL>` pads short captions to a common
# length; the loss ignores `<NULL>` positions. `decode_captions` turns ids back into
# words.

# %%
data = load_coco_data(pca_features=True)

for key, value in data.items():
    if isinstance(value, np.ndarray):
        print(key, type(value).__name__, value.shape, value.dtype)
    else:
        print(key, type(value).__name__, len(value))

# %% [markdown]
# ### Look at the data
#
# Run the next cell a few times: each run draws a small minibatch and shows the
# images with one of their captions.

# %%
captions, features, urls = sample_coco_minibatch(data, batch_size=3)
for caption, url in zip(captions, urls):
    image = image_from_url(url)
    if image is None:  # an address that no longer answers
        continue
    plt.figure(figsize=(4, 4))
    plt.imshow(image)
    plt.axis("off")
    plt.title(decode_captions(caption, data["idx_to_word"]))
    plt.show()

# %% [markdown]
# ## A vanilla RNN, one step at a time
#
# At time step $t$ a vanilla RNN combines the input $x_t$ with the previous hidden
# state $h_{t-1}$:
#
# $$h_t = \tanh(x_t W_x + h_{t-1} W_h + b).$$
#
# Write `rnn_step_forward` for a minibatch: `x` is (N, D), `prev_h` is (N, H). Keep in
# the cache whatever the backward pass will need. The check below should print
# errors around 1e-8 or smaller.

# %% [solution] course_lib.rnn_layers:rnn_step_forward

# %% [test] id=test_rnn_step_forward points=2
N, D, H = 3, 10, 4
x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
b = np.linspace(-0.2, 0.4, num=H)

next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
expected_next_h = np.asarray([
    [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
    [0.66854692, 0.79562378, 0.87755553, 0.92795967],
    [0.97934501, 0.99144213, 0.99646691, 0.99854353],
])
report("next_h", next_h, expected_next_h, 1e-7)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.rnn_step_forward(2)
### END HIDDEN TESTS

# %% [markdown]
# ## The step backward
#
# Given the upstream gradient `dnext_h` of the loss with respect to $h_t$, compute the
# gradients with respect to the step's inputs and parameters. Two facts do most of
# the work: $\frac{d}{da}\tanh(a) = 1 - \tanh^2(a)$, and $\tanh(a)$ is the `next_h`
# you cached. The check compares your gradients with central differences
# (`eval_numerical_gradient_array`); expect errors around 1e-8 or smaller.

# %% [solution] course_lib.rnn_layers:rnn_step_backward

# %% [test] id=test_rnn_step_backward points=3
np.random.seed(231)
N, D, H = 4, 5, 6
x = np.random.randn(N, D)
h = np.random.randn(N, H)
Wx = np.random.randn(D, H)
Wh = np.random.randn(H, H)
b = np.random.randn(H)

out, cache = rnn_step_forward(x, h, Wx, Wh, b)
dnext_h = np.random.randn(*out.shape)

fx = lambda x: rnn_step_forward(x, h, Wx, Wh, b)[0]
fh = lambda h: rnn_step_forward(x, h, Wx, Wh, b)[0]
fWx = lambda Wx: rnn_step_forward(x, h, Wx, Wh, b)[0]
fWh = lambda Wh: rnn_step_forward(x, h, Wx, Wh, b)[0]
fb = lambda b: rnn_step_forward(x, h, Wx, Wh, b)[0]
dx_num = eval_numerical_gradient_array(fx, x, dnext_h)
dh_num = eval_numerical_gradient_array(fh, h, dnext_h)
dWx_num = eval_numerical_gradient_array(fWx, Wx, dnext_h)
dWh_num = eval_numerical_gradient_array(fWh, Wh, dnext_h)
db_num = eval_numerical_gradient_array(fb, b, dnext_h)

dx, dprev_h, dWx, dWh, db = rnn_step_backward(dnext_h, cache)
report("dx", dx, dx_num, 1e-6)
report("dprev_h", dprev_h, dh_num, 1e-6)
report("dWx", dWx, dWx_num, 1e-6)
report("dWh", dWh, dWh_num, 1e-6)
report("db", db, db_num, 1e-6)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.rnn_step_backward(3)
### END HIDDEN TESTS

# %% [markdown]
# ## The whole sequence
#
# `rnn_forward` runs the step over all T time steps of a minibatch of sequences,
# starting from the hidden state `h0`, and returns every hidden state: (N, T, H).
# Build it from `rnn_step_forward`. Expect an error around 1e-7 or smaller.

# %% [solution] course_lib.rnn_layers:rnn_forward

# %% [test] id=test_rnn_forward points=2
N, T, D, H = 2, 3, 4, 5
x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)
Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)
b = np.linspace(-0.7, 0.1, num=H)

h, _ = rnn_forward(x, h0, Wx, Wh, b)
expected_h = np.asarray([
    [
        [-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
        [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
        [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525],
    ],
    [
        [-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
        [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
        [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043],
    ],
])
report("h", h, expected_h, 1e-6)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.rnn_forward(2)
### END HIDDEN TESTS

# %% [markdown]
# ## Backpropagation through time
#
# `rnn_backward` receives the upstream gradient of every hidden state, `dh` of shape
# (N, T, H): each $h_t$ feeds the loss directly and also the next step. Walk the
# steps backwards, add the gradient flowing back from step $t+1$ to the one from the
# loss at step $t$, and accumulate the parameter gradients over time. Use
# `rnn_step_backward`. Expect errors around 1e-6 or smaller.

# %% [solution] course_lib.rnn_layers:rnn_backward

# %% [test] id=test_rnn_backward points=3
np.random.seed(231)
N, D, T, H = 2, 3, 10, 5
x = np.random.randn(N, T, D)
h0 = np.random.randn(N, H)
Wx = np.random.randn(D, H)
Wh = np.random.randn(H, H)
b = np.random.randn(H)

out, cache = rnn_forward(x, h0, Wx, Wh, b)
dout = np.random.randn(*out.shape)
dx, dh0, dWx, dWh, db = rnn_backward(dout, cache)

fx = lambda x: rnn_forward(x, h0, Wx, Wh, b)[0]
fh0 = lambda h0: rnn_forward(x, h0, Wx, Wh, b)[0]
fWx = lambda Wx: rnn_forward(x, h0, Wx, Wh, b)[0]
fWh = lambda Wh: rnn_forward(x, h0, Wx, Wh, b)[0]
fb = lambda b: rnn_forward(x, h0, Wx, Wh, b)[0]
dx_num = eval_numerical_gradient_array(fx, x, dout)
dh0_num = eval_numerical_gradient_array(fh0, h0, dout)
dWx_num = eval_numerical_gradient_array(fWx, Wx, dout)
dWh_num = eval_numerical_gradient_array(fWh, Wh, dout)
db_num = eval_numerical_gradient_array(fb, b, dout)

report("dx", dx, dx_num, 1e-5)
report("dh0", dh0, dh0_num, 1e-5)
report("dWx", dWx, dWx_num, 1e-5)
report("dWh", dWh, dWh_num, 1e-5)
report("db", db, db_num, 1e-5)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.rnn_backward(3)
### END HIDDEN TESTS

# %% [markdown]
# ## Word embeddings
#
# A network cannot read word ids directly; it looks each one up in a table of learned
# vectors. `W` holds one row of D numbers per word of the vocabulary, and
# `word_embedding_forward` replaces every id in the (N, T) array `x` by its row.
# Expect an error around 1e-8 or smaller.

# %% [solution] course_lib.rnn_layers:word_embedding_forward

# %% [test] id=test_word_embedding_forward points=1
N, T, V, D = 2, 4, 5, 3
x = np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]])
W = np.linspace(0, 1, num=V * D).reshape(V, D)

out, _ = word_embedding_forward(x, W)
# Row i of W is [3i, 3i + 1, 3i + 2] / 14.
expected_out = (3 * x[:, :, None] + np.arange(3)) / 14
report("out", out, expected_out, 1e-7)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.word_embedding_forward(1)
### END HIDDEN TESTS

# %% [markdown]
# The backward pass returns only `dW`: the ids are not something to differentiate.
# A word that appears several times in the minibatch collects the gradient of every
# appearance; `np.add.at` adds into repeated indices correctly where `dW[x] += ...`
# would keep only one of them. Expect an error around 1e-11 or smaller.

# %% [solution] course_lib.rnn_layers:word_embedding_backward

# %% [test] id=test_word_embedding_backward points=2
np.random.seed(231)
N, T, V, D = 50, 3, 5, 6
x = np.random.randint(V, size=(N, T))
W = np.random.randn(V, D)

out, cache = word_embedding_forward(x, W)
dout = np.random.randn(*out.shape)
dW = word_embedding_backward(dout, cache)

f = lambda W: word_embedding_forward(x, W)[0]
dW_num = eval_numerical_gradient_array(f, W, dout)
report("dW", dW, dW_num, 1e-9)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.word_embedding_backward(2)
### END HIDDEN TESTS

# %% [markdown]
# ## Two layers we give you
#
# **Temporal affine.** At each time step an affine layer turns the hidden state into
# a score for every word of the vocabulary. `temporal_affine_forward` and
# `temporal_affine_backward` apply it to all steps at once; read them in
# `course_lib/rnn_layers.py`. Their gradient check should print errors around 1e-9.

# %%
np.random.seed(231)
N, T, D, M = 2, 3, 4, 5
x = np.random.randn(N, T, D)
w = np.random.randn(D, M)
b = np.random.randn(M)

out, cache = temporal_affine_forward(x, w, b)
dout = np.random.randn(*out.shape)
dx, dw, db = temporal_affine_backward(dout, cache)

fx = lambda x: temporal_affine_forward(x, w, b)[0]
fw = lambda w: temporal_affine_forward(x, w, b)[0]
fb = lambda b: temporal_affine_forward(x, w, b)[0]
report("dx", dx, eval_numerical_gradient_array(fx, x, dout), 1e-8)
report("dw", dw, eval_numerical_gradient_array(fw, w, dout), 1e-8)
report("db", db, eval_numerical_gradient_array(fb, b, dout), 1e-8)

# %% [markdown]
# **Temporal softmax loss.** The scores at every step go through a softmax, and the
# loss is the negative log-probability of the true next word, summed over time and
# averaged over the minibatch. The mask leaves out `<NULL>` positions, so padding
# adds neither loss nor gradient.
#
# A sanity check: with near-zero scores over V = 10 words, each step costs about
# $\ln 10 \approx 2.3$. One step gives about 2.3, ten steps about 23, and ten steps
# of which only a tenth count give about 2.3 again. The gradient check should print
# an error around 1e-7.

# %%
def check_loss(N, T, V, p):
    x = 0.001 * np.random.randn(N, T, V)
    y = np.random.randint(V, size=(N, T))
    mask = np.random.rand(N, T) <= p
    loss, _ = temporal_softmax_loss(x, y, mask)
    print(f"N={N}, T={T}, V={V}, {p:.0%} of steps counted: loss {loss:.4f}")


np.random.seed(231)
check_loss(100, 1, 10, 1.0)  # about 2.3
check_loss(100, 10, 10, 1.0)  # about 23
check_loss(5000, 10, 10, 0.1)  # between 2.2 and 2.4

N, T, V = 7, 8, 9
x = np.random.randn(N, T, V)
y = np.random.randint(V, size=(N, T))
mask = np.random.rand(N, T) > 0.5
loss, dx = temporal_softmax_loss(x, y, mask)
f = lambda x: temporal_softmax_loss(x, y, mask)[0]
dx_num = eval_numerical_gradient(f, x, verbose=False)
report("dx", dx, dx_num, 1e-6)

# %% [markdown]
# ## The captioning model
#
# `CaptioningRNN` puts the layers together. Its `loss` takes image features and
# ground-truth captions and returns the loss and the gradient of every parameter:
#
# 1. project the image features to the initial hidden state (affine layer);
# 2. embed the caption words;
# 3. run the RNN over the embedded words;
# 4. score the vocabulary at every step (temporal affine);
# 5. compare with the next word (temporal softmax loss, `<NULL>` masked out);
#
# and then the same stages backwards. The model reads `captions[:, :-1]` and learns
# to predict `captions[:, 1:]`: the word at step t is the target of step t - 1.
#
# Write `loss` for `cell_type == "rnn"`. If you take on the extra-credit LSTM
# notebook, come back and add the `"lstm"` branch: the same stages, with
# `lstm_forward` and `lstm_backward` in place of the RNN's.
# The fixed-weight check should give a difference around 1e-10 or smaller.

# %% [solution] course_lib.classifiers.rnn:CaptioningRNN.loss

# %% [test] id=test_captioning_loss points=4
N, D, W, H = 10, 20, 30, 40
word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3}
V = len(word_to_idx)
T = 13

model = CaptioningRNN(
    word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H,
    cell_type="rnn", dtype=np.float64,
)
for name, value in model.params.items():  # fixed weights: a known loss
    fixed = np.linspace(-1.4, 1.3, num=value.size)
    model.params[name] = fixed.reshape(*value.shape)

features = np.linspace(-1.5, 0.3, num=N * D).reshape(N, D)
captions = (np.arange(N * T) % V).reshape(N, T)

loss, grads = model.loss(features, captions)
expected_loss = 9.83235591003
print(f"loss: {loss:.11f}   expected: {expected_loss}")
report("loss", loss, expected_loss, 1e-9)

np.random.seed(231)
batch_size, timesteps, input_dim, wordvec_dim, hidden_dim = 2, 3, 4, 5, 6
word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3}
vocab_size = len(word_to_idx)
captions = np.random.randint(vocab_size, size=(batch_size, timesteps))
features = np.random.randn(batch_size, input_dim)
model = CaptioningRNN(
    word_to_idx, input_dim=input_dim, wordvec_dim=wordvec_dim,
    hidden_dim=hidden_dim, cell_type="rnn", dtype=np.float64,
)
loss, grads = model.loss(features, captions)
f = lambda _: model.loss(features, captions)[0]
for name in sorted(grads):
    numeric = eval_numerical_gradient(
        f, model.params[name], verbose=False, h=1e-6
    )
    report(f"grads[{name!r}]", grads[name], numeric, 1e-5)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.captioning_loss(4)
### END HIDDEN TESTS

# %% [markdown]
# ## Overfit a small dataset
#
# `CaptioningSolver` (in `course_lib/captioning_solver.py`) trains a captioning model
# the way the solver of the previous assignment trained classifiers: minibatches,
# an update rule from `course_lib/optim.py`, learning-rate decay after each epoch.
#
# A model that can learn at all can memorise 50 captions. The next cell trains on
# just those; the loss should fall below 0.1. If it does not, look again at the
# model's loss and gradients.

# %% [locked]
np.random.seed(231)
small_data = load_coco_data(max_train=50)

small_rnn_model = CaptioningRNN(
    cell_type="rnn",
    word_to_idx=data["word_to_idx"],
    input_dim=data["train_features"].shape[1],
    hidden_dim=512,
    wordvec_dim=256,
)
small_rnn_solver = CaptioningSolver(
    small_rnn_model,
    small_data,
    update_rule="adam",
    num_epochs=50,
    batch_size=25,
    optim_config={"learning_rate": 5e-3},
    lr_decay=0.95,
    verbose=True,
    print_every=10,
)
small_rnn_solver.train()

plt.figure(figsize=(6, 4))
plt.plot(small_rnn_solver.loss_history)
plt.xlabel("Iteration")
plt.ylabel("Loss")
plt.title("Training loss")
plt.show()

# %% [test] id=test_overfit points=2
report_below("final loss", small_rnn_solver.loss_history[-1], 0.1)
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.overfit(2, small_rnn_solver, threshold=0.1)
### END HIDDEN TESTS

# %% [markdown]
# ## Writing captions
#
# Training feeds the true previous word at every step. A caption for a new image has
# no true words: the model starts from `<START>`, picks the most likely word, feeds
# it back as the next input, and goes on until it has written `max_length` words.
# Write `sample` for the RNN, greedily (always the highest score); the LSTM
# branch (extra credit) keeps a cell state as well, starting from zeros.
#
# On training images the overfit model should repeat its captions almost word for
# word; on validation images, after 50 captions of training, expect little sense.

# %% [solution] course_lib.classifiers.rnn:CaptioningRNN.sample

# %% [test] id=test_captioning_sample points=3
for split in ["train", "val"]:
    gt_captions, features, urls = sample_coco_minibatch(
        small_data, split=split, batch_size=2
    )
    gt_captions = decode_captions(gt_captions, data["idx_to_word"])
    sample_captions = small_rnn_model.sample(features)
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
### BEGIN HIDDEN TESTS
from course_lib.grading import rnn_captioning as hidden
hidden.captioning_sample(3)
### END HIDDEN TESTS

# %% [markdown]
# ### Explore
#
# Pick an image with the slider and compare the caption your `sample` writes
# with the ones people wrote. The menu switches between training images, which
# the model has memorised, and validation images, which it never saw. Where
# widgets cannot show (in the autograder's copy, for one), a figure of a few
# training images with their captions appears instead.

# %%
caption_explorer(small_rnn_model, small_data, split="train")

# %% [markdown]
# ## Inline question 1
#
# This model predicts a *word* at each step. A model could instead work with
# *characters*: receive the previous character and predict the next one, spaces and
# punctuation included, until it writes the end token.
#
# Give one advantage and one disadvantage of a character-level captioning model
# compared with the word-level one. (Think about the vocabulary, the number of
# parameters in the embedding and output layers, and the length of the sequences.)

# %% [answer] id=inline_question_1 points=2
# **Advantage.** The vocabulary shrinks to a few dozen symbols, so the embedding and
# output layers are tiny, and no word is ever unknown: rare words, names and
# misspellings can all be read and written, with no `<UNK>`.
#
# **Disadvantage.** Sequences get several times longer, so training and sampling
# take more steps, and the network must carry information across many more steps
# (harder to learn, vanishing gradients); it also spends capacity learning to spell.
