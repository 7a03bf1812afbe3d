# Template of Transformer_Captioning.ipynb: `course build` renders it into
# source/assignment3/. Cell kinds and options are explained in
# course_lib/tooling/template.py.

# %% [locked] include=setup

# %% [markdown]
# # Image captioning with a Transformer
#
# The RNN of the previous notebook reads a caption one word after the other, and
# everything it knows about the early words has to survive in one hidden state,
# step after step. A Transformer (Vaswani et al., "Attention Is All You Need", 2017)
# drops the recurrence: at every position it looks back at all the words directly
# and decides, with learned weights, how much each of them matters. All positions
# of a training caption are then computed at once, in parallel, and a word far back
# is one step away rather than many.
#
# Here you write the pieces of a Transformer decoder that make this work, attention
# and positional encoding, and the captioning model's forward pass, and train it on
# the same captions as the RNN. Unlike the RNN notebook this one uses PyTorch:
# autograd computes the gradients.
#
# As before, you write each piece in the cell that holds its signature and
# documentation, and the cell after it checks your code on inputs with known
# answers; the autograder checks it again on inputs of its own.

# %% [locked]
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_lib.captioning_solver_transformer import (
    CaptioningSolverTransformer,
)
from course_lib.checks import report_below, report_close
from course_lib.classifiers.transformer import CaptioningTransformer
from course_lib.coco_utils import (
    decode_captions,
    load_coco_data,
    sample_coco_minibatch,
)
from course_lib.exercise import exercise
from course_lib.image_utils import image_from_url
from course_lib.transformer_layers import (
    MultiHeadAttention,
    PositionalEncoding,
    TransformerDecoder,
    TransformerDecoderLayer,
)
from course_lib.widgets.attention_explorer import attention_explorer

plt.rcParams["figure.figsize"] = (10.0, 8.0)
plt.rcParams["image.interpolation"] = "nearest"

# %% [markdown]
# ## The data
#
# The same captioning data as in the RNN notebook: image features, captions as
# rows of word ids framed by `<START>` and `<END>` and padded with `<NULL>`.

# %%
data = load_coco_data(pca_features=True)
for key, value in data.items():
    if isinstance(value, np.ndarray):
        print(key, type(value).__name__, value.shape, value.dtype)
    else:
        print(key, type(value).__name__, len(value))

# %% [markdown]
# ## Attention
#
# **Dot-product attention.** Take one query vector $q \in \mathbb{R}^d$ and $n$
# pairs of keys $k_i \in \mathbb{R}^d$ and values $v_i \in \mathbb{R}^d$. The
# query is compared with every key, the comparisons become weights that are
# positive and sum to one, and the answer is the weighted average of the values:
#
# $$\alpha_i = \frac{\exp(q^\top k_i)}{\sum_{j=1}^{n} \exp(q^\top k_j)},
# \qquad c = \sum_{i=1}^{n} \alpha_i v_i .$$
#
# The $\alpha_i$ are the *attention weights*: the query "looks at" the values
# whose keys resemble it.
#
# **Queries, keys and values from the data.** In a Transformer all three are
# learned linear maps of the input vectors. For a sequence
# $X \in \mathbb{R}^{\ell \times d}$ (one row per word) and learned matrices
# $W_Q, W_K, W_V \in \mathbb{R}^{d \times d}$, the rows of $XW_Q$, $XW_K$ and
# $XW_V$ are the queries, keys and values. When all three come from the same
# sequence this is *self-attention*; in *cross-attention* the queries come from one
# sequence and the keys and values from another (here: the words attend to the
# image).
#
# **Scaled, with several heads.** With $h$ heads, the $d$ dimensions are cut into
# $h$ groups of $d/h$, and each head $i$ attends on its own, with its own slices
# $W_Q^{(i)}, W_K^{(i)}, W_V^{(i)} \in \mathbb{R}^{d \times d/h}$:
#
# $$Y_i = \operatorname{softmax}\!\left(
# \frac{(XW_Q^{(i)})(XW_K^{(i)})^\top}{\sqrt{d/h}}\right) (XW_V^{(i)})
# \in \mathbb{R}^{\ell \times d/h},$$
#
# the softmax taken along each row, over the keys. The heads are put side by side
# and mixed by one more learned matrix $A \in \mathbb{R}^{d \times d}$:
# $Y = [Y_1; \dots; Y_h]\, A$. Dropout, in this implementation, acts on the
# attention weights, right after the softmax.
#
# **Masks.** A mask $M \in \{0, 1\}^{S \times T}$ forbids pairs: where
# $M_{st} = 0$, query $s$ may not look at key $t$. Setting those scores to
# $-\infty$ before the softmax gives them a weight of exactly zero.
#
# Write `MultiHeadAttention.forward` (the layer is in
# `course_lib/transformer_layers.py`; its documentation lists the steps). The
# check runs the layer in evaluation mode, where dropout does nothing, with seeded
# weights, and compares with values rounded to four decimals: expect differences
# around 1e-5, and anything below 1e-3 passes.

# %% [solution] course_lib.transformer_layers:MultiHeadAttention.forward

# %% [test] id=test_multi_head_attention points=4
torch.manual_seed(231)
# N=1, S=T=3, E=8 and 2 heads of 4: distinct sizes make mistakes easier to see.
attn = MultiHeadAttention(8, num_heads=2).eval()
data_in = torch.randn(1, 3, 8)
mask = torch.randn(3, 3) < 0.5
other = torch.randn(1, 3, 8)
with torch.no_grad():
    self_out = attn(query=data_in, key=data_in, value=data_in)
    masked_out = attn(data_in, data_in, data_in, attn_mask=mask)
    cross_out = attn(query=data_in, key=other, value=other)

expected_self = np.asarray([[
    [-0.1030, 0.2090, 0.7481, -0.4116, -0.2772, 0.2357, -0.2740, -0.2798],
    [-0.1794, 0.1637, 0.6930, -0.3435, -0.2300, 0.2457, -0.2504, -0.2323],
    [-0.1861, 0.1567, 0.6677, -0.3078, -0.2731, 0.2302, -0.2714, -0.2082],
]])
expected_masked = np.asarray([[
    [-0.1209, 0.1806, 0.8056, -0.4654, -0.2262, 0.2552, -0.2544, -0.2812],
    [-0.2374, 0.1183, 0.7423, -0.3777, -0.1460, 0.2716, -0.2213, -0.2077],
    [-0.0851, 0.2423, 0.7941, -0.3778, -0.4924, 0.1512, -0.4241, -0.1740],
]])
expected_cross = np.asarray([[
    [-0.1965, 0.0702, 0.5227, -0.1388, -0.3530, 0.2163, -0.2643, -0.1902],
    [-0.3592, -0.0899, 0.5836, 0.0029, -0.3643, 0.2667, -0.1973, -0.1698],
    [-0.3795, 0.0433, 0.5634, -0.0749, -0.4379, 0.2714, -0.2207, -0.1980],
]])
report_close("self-attention", self_out, expected_self, 1e-3)
report_close("masked self-attention", masked_out, expected_masked, 1e-3)
report_close("cross-attention", cross_out, expected_cross, 1e-3)
### BEGIN HIDDEN TESTS
from course_lib.grading import transformer_captioning as hidden
hidden.multi_head_attention(4)
### END HIDDEN TESTS

# %% [markdown]
# ## Positional encoding
#
# Attention treats its keys as a set: shuffle the words of a sentence and every
# word receives the same weighted average as before, just in another row. Word
# order matters for language, so before the first layer each word vector gets a
# signature of its position added to it. The original paper uses a fixed table
# $P \in \mathbb{R}^{\ell \times d}$ of sines and cosines, position $i$ in row
# $i$:
#
# $$P_{ij} = \begin{cases}
# \sin\!\left(i \cdot 10000^{-j/d}\right) & j \text{ even},\\
# \cos\!\left(i \cdot 10000^{-(j-1)/d}\right) & j \text{ odd}.
# \end{cases}$$
#
# Each pair of columns $(2k, 2k+1)$ turns at its own frequency, from one turn
# every $2\pi$ positions in the first pair to very slow ones in the last: nearby
# positions get similar rows, distant ones different rows, and the table needs no
# training. The network reads $X + P$ instead of $X$.
#
# Write `PositionalEncoding.__init__`, which builds the table (the provided
# `forward` adds its first rows and applies dropout). Expect differences around
# 1e-5 in the check below.

# %% [solution] course_lib.transformer_layers:PositionalEncoding.__init__

# %% [test] id=test_positional_encoding points=2
torch.manual_seed(231)
x = torch.randn(1, 2, 6)
encoder = PositionalEncoding(6).eval()
expected_encoded = np.asarray([[
    [-1.1106, 1.0014, 1.5280, -0.0778, -0.6964, 1.1455],
    [0.8125, -0.4303, 0.4981, 0.7320, 1.1380, 1.5331],
]])
report_close("encoded", encoder(x), expected_encoded, 1e-3)
### BEGIN HIDDEN TESTS
from course_lib.grading import transformer_captioning as hidden
hidden.positional_encoding(2)
### END HIDDEN TESTS

# %% [markdown]
# The table for 100 positions and 64 dimensions: each column is a wave, faster on
# the left, and each row (position) a different pattern of the waves.

# %%
table = PositionalEncoding(64, max_len=100).pe[0]
plt.figure(figsize=(8, 4))
plt.imshow(table.T, cmap="RdBu", aspect="auto")
plt.xlabel("position i")
plt.ylabel("dimension j")
plt.colorbar()
plt.title("Positional encoding P[i, j]")
plt.show()

# %% [markdown]
# ## Inline question 1
#
# Scaled dot-product attention, as written above, rests on several design
# choices. For each, say what would go wrong without it and how the choice avoids
# that (one or two sentences each):
#
# 1. using several attention heads rather than one;
# 2. dividing the scores by $\sqrt{d/h}$ before the softmax ($d$ the feature
#    dimension, $h$ the number of heads);
# 3. applying a linear map to the output of the attention. What would happen if
#    attention operations were stacked directly, one on the output of the other?

# %% [answer] id=inline_question_transformer points=3
# **1. Several heads.** One head produces one set of weights per query, a single
# average: it can focus on one relation at a time (say, the previous word) and
# blurs several together when it tries to capture more. With $h$ heads each query
# makes $h$ independent averages in smaller subspaces, so one head can follow
# grammar while another follows the object being described, at the same cost.
#
# **2. The scale $\sqrt{d/h}$.** A dot product of two vectors of $d/h$ independent
# entries of unit variance has variance $d/h$, so unscaled scores grow with the
# head size. Large scores push the softmax into saturation, nearly one-hot, where
# its gradient almost vanishes and learning stalls; dividing by the standard
# deviation $\sqrt{d/h}$ keeps the scores of order one whatever the size.
#
# **3. The output map.** The attention output is only a convex combination of the
# value vectors, with no way to mix the heads' results or to change the features
# themselves. Stacked directly, layer after layer would only keep re-averaging
# (value maps aside, nearly linear in the values), and the averaging tends to
# smooth all positions towards the same vector; the learned matrix $A$ (and the
# feed-forward block after it) combines the heads and adds a learned
# transformation, so that a deeper stack computes new features.

# %% [markdown]
# ## The captioning Transformer
#
# `CaptioningTransformer` (in `course_lib/classifiers/transformer.py`) is a
# decoder in the style of the paper, built from the layers in
# `course_lib/transformer_layers.py`, which are given except for the two you
# wrote. Each decoder layer has three blocks, each followed by a residual
# connection and layer normalization:
#
# 1. masked self-attention over the caption's words;
# 2. cross-attention from the words to the image, which the model sees as a
#    single memory vector, the projection of its features;
# 3. a feed-forward network applied to each position.
#
# **The causal mask.** In training the model reads `captions[:, :-1]` and must
# predict `captions[:, 1:]`: the word at position $t + 1$ from the words up to
# $t$. All positions are computed at once, so the self-attention must be kept
# from peeking: position $t$ may attend to positions $0, \dots, t$ only. The mask
# is lower-triangular,
#
# $$M_{st} = \begin{cases} 1 & t \le s,\\ 0 & t > s. \end{cases}$$
#
# Write `CaptioningTransformer.forward`. The first check compares the scores of a
# small seeded model with known values (differences around 1e-5 expected); the
# second changes the last word of a caption and looks at what moves: only the
# scores of the last position may.

# %% [solution] course_lib.classifiers.transformer:CaptioningTransformer.forward

# %% [test] id=test_captioning_forward points=3
torch.manual_seed(231)
words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "on", "mat"]
word_to_idx = {word: i for i, word in enumerate(words)}
model = CaptioningTransformer(
    word_to_idx, input_dim=10, wordvec_dim=8, num_heads=2, num_layers=2,
    max_length=10,
).eval()
features = torch.randn(2, 10)
captions = torch.tensor([[1, 4, 5, 6], [1, 6, 7, 2]])
with torch.no_grad():
    scores = model(features, captions)

expected_scores = np.asarray([
    [
        [-1.0571, 0.0932, 0.8048, -0.2672, -1.0965, -0.0557, -0.1434, -0.7542],
        [-1.1197, 0.4458, 1.0023, -0.6491, -0.4331, 0.0385, -0.0001, -0.3510],
        [-0.5709, 0.2696, 0.4080, -0.3630, -0.1325, -0.1085, 0.2294, 0.0304],
        [-0.2508, -0.1688, -0.1978, 0.0344, -0.4616, -0.3070, 0.4366, 0.0250],
    ],
    [
        [-1.0571, 0.0935, 0.8051, -0.2673, -1.0964, -0.0555, -0.1439, -0.7543],
        [-1.0708, 0.4947, 0.9422, -0.6587, -0.4245, 0.0154, -0.0466, -0.3181],
        [-0.5851, 0.2940, 0.4008, -0.3922, -0.1200, -0.1085, 0.2549, 0.0516],
        [-0.2385, -0.1897, -0.1952, 0.0585, -0.4689, -0.3083, 0.4310, 0.0146],
    ],
])
report_close("scores", scores, expected_scores, 1e-3)

changed = captions.clone()
changed[:, -1] = word_to_idx["cat"]
with torch.no_grad():
    changed_scores = model(features, changed)
report_close(
    "scores before the changed word", changed_scores[:, :-1],
    scores[:, :-1], 1e-6,
)
### BEGIN HIDDEN TESTS
from course_lib.grading import transformer_captioning as hidden
hidden.captioning_forward(3)
### END HIDDEN TESTS

# %% [markdown]
# ## Overfit a small dataset
#
# `CaptioningSolverTransformer` (in `course_lib/captioning_solver_transformer.py`)
# trains the model with Adam on minibatches of captions; PyTorch computes every
# gradient. As with the RNN, a model that learns at all can memorise 50 captions:
# the next cell trains on those alone, 200 iterations, and the final loss should
# be below 0.03. It takes about a minute on a laptop's CPU. If the loss stalls
# high, look at your attention first; if it turns into `nan`, at your mask.

# %% [locked]
torch.manual_seed(231)
np.random.seed(231)
small_data = load_coco_data(max_train=50)

transformer = CaptioningTransformer(
    word_to_idx=small_data["word_to_idx"],
    input_dim=small_data["train_features"].shape[1],
    wordvec_dim=256,
    num_heads=2,
    num_layers=2,
    max_length=30,
)
transformer_solver = CaptioningSolverTransformer(
    transformer,
    small_data,
    idx_to_word=small_data["idx_to_word"],
    num_epochs=100,
    batch_size=25,
    learning_rate=0.001,
    verbose=True,
    print_every=20,
)
transformer_solver.train()

plt.figure(figsize=(6, 4))
plt.plot(transformer_solver.loss_history)
plt.xlabel("Iteration")
plt.ylabel("Loss")
plt.yscale("log")
plt.title("Training loss")
plt.show()

# %% [test] id=test_transformer_overfit points=2
report_below("final loss", transformer_solver.loss_history[-1], 0.03)
### BEGIN HIDDEN TESTS
from course_lib.grading import transformer_captioning as hidden
hidden.overfit(2, transformer_solver, threshold=0.03, iterations=200)
### END HIDDEN TESTS

# %% [markdown]
# ## Writing captions
#
# `CaptioningTransformer.sample` is given: it starts from `<START>` and, word
# after word, runs the model on everything written so far and appends the word
# with the highest score. On training images the overfit model should repeat its
# captions; on validation images, after 50 captions of training, expect about as
# little sense as from the RNN.

# %%
for split in ["train", "val"]:
    gt_captions, features, urls = sample_coco_minibatch(
        small_data, split=split, batch_size=2
    )
    gt_captions = decode_captions(gt_captions, data["idx_to_word"])
    sample_captions = transformer.sample(features, max_length=30)
    sample_captions = decode_captions(sample_captions, data["idx_to_word"])
    shown = zip(gt_captions, sample_captions, urls)
    for gt_caption, sample_caption, url in shown:
        image = image_from_url(url)
        if image is None:  # an address that no longer answers
            continue
        plt.figure(figsize=(4, 4))
        plt.imshow(image)
        plt.title(f"{split}\n{sample_caption}\nGT: {gt_caption}")
        plt.axis("off")
        plt.show()

# %% [markdown]
# ## Where do the words look?
#
# The explorer below takes a validation image, lets the trained model write its
# caption, and shows the self-attention weights with which each word was read:
# row $t$ is the word at position $t$ (the one predicting the next word), the
# columns are the words it may look at, and each row sums to one. Move the
# sliders to change the image, the layer and the head. The upper triangle is
# always empty: that is your causal mask at work. (The cross-attention is not
# shown: with one memory vector per image, its only weight is 1.)
#
# Where widgets cannot run (a notebook executed as a script, or by the
# autograder), the explorer draws every layer and head for one image instead.

# %%
attention_explorer(transformer, small_data, split="val")
