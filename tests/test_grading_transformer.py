"""The Transformer notebook's graders, run on solution cells executed as a notebook
would."""

import types

import numpy as np
import pytest
import torch

from course_lib import exercise, transformer_layers
from course_lib.classifiers import transformer
from course_lib.grading import transformer_captioning as hidden
from notebook_cells import exec_cells

# What the notebook's set-up cell imports before its exercise cells.
NOTEBOOK_IMPORTS = """
import math
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from course_lib.classifiers.transformer import CaptioningTransformer
from course_lib.exercise import exercise
from course_lib.transformer_layers import MultiHeadAttention, PositionalEncoding
"""

PE = "course_lib.transformer_layers:PositionalEncoding.__init__"
ATTENTION = "course_lib.transformer_layers:MultiHeadAttention.forward"
FORWARD = "course_lib.classifiers.transformer:CaptioningTransformer.forward"
CELLS = [ATTENTION, PE, FORWARD]

POINTS = {"pe": 2, "attention": 4, "forward": 3}


@pytest.fixture
def notebook(monkeypatch):
    """`run(edits, skip)` execs the imports and the exercise cells (with `edits`,
    {reference: (old, new)}, planted) in a fresh namespace; the library is restored
    afterwards."""
    monkeypatch.setattr(exercise, "submitted", {})
    for cls, name in [
        (transformer_layers.PositionalEncoding, "__init__"),
        (transformer_layers.MultiHeadAttention, "forward"),
        (transformer.CaptioningTransformer, "forward"),
    ]:
        monkeypatch.setattr(cls, name, vars(cls)[name])

    def run(edits=None, skip=()):
        return exec_cells(NOTEBOOK_IMPORTS, CELLS, edits, skip)

    return run


def scores():
    return {
        "pe": hidden.positional_encoding(2),
        "attention": hidden.multi_head_attention(4),
        "forward": hidden.captioning_forward(3),
    }


def lost(got):
    return {name for name, score in got.items() if score < POINTS[name]}


def test_reference_solutions_earn_every_point(notebook, capsys):
    notebook()
    assert scores() == POINTS
    assert "FAIL" not in capsys.readouterr().out


def test_unrun_cells_earn_nothing_and_say_why(notebook, capsys):
    notebook(skip=CELLS)
    assert all(score == 0 for score in scores().values())
    assert "run its cell" in capsys.readouterr().out


def test_graders_leave_torch_generator_alone(notebook):
    notebook()
    torch.manual_seed(0)
    state = torch.get_rng_state()
    scores()
    assert torch.equal(torch.get_rng_state(), state)


# The demo mistakes, and others students make.
MISSING_SCALE = (ATTENTION, "k.transpose(2, 3) / math.sqrt(d)", "k.transpose(2, 3)")
INVERTED_MASK = (ATTENTION, "attn_mask == 0", "attn_mask != 0")
NO_CAUSAL_MASK = (FORWARD, "tgt_mask=mask", "tgt_mask=None")


@pytest.mark.parametrize(
    "reference, old, new, costs",
    [
        MISSING_SCALE + ({"attention"},),
        INVERTED_MASK + ({"attention"},),
        NO_CAUSAL_MASK + ({"forward"},),
        (ATTENTION, "math.sqrt(d)", "math.sqrt(self.embed_dim)", {"attention"}),
        (ATTENTION, "self.attn_drop(F.softmax(scores, dim=-1))",
         "F.softmax(self.attn_drop(scores), dim=-1)", {"attention"}),
        (ATTENTION, "output = self.proj(y)", "output = self.attn_drop(self.proj(y))",
         {"attention"}),
        (ATTENTION, "y.transpose(1, 2).reshape(N, S, E)", "y.reshape(N, S, E)",
         {"attention"}),
        (PE, "10000.0 ** (-pair / embed_dim)", "10000.0 ** (pair / embed_dim)", {"pe"}),
        (PE, "pe[0, :, 1::2] = torch.cos(angle)", "pe[0, :, 1::2] = torch.sin(angle)",
         {"pe"}),
        (FORWARD, "torch.tril(ones)", "torch.triu(ones)", {"forward"}),
        (FORWARD, "words = self.positional_encoding(words)  # (N, T, W)\n", "",
         {"forward"}),
    ],
)  # fmt: skip
def test_a_mistake_costs_points_in_its_own_cell_only(notebook, reference, old, new, costs, capsys):
    notebook({reference: [(old, new)]})
    got = scores()
    assert lost(got) == costs, capsys.readouterr().out
    assert all(0 <= score <= POINTS[name] for name, score in got.items())


def test_the_scaling_check_names_the_missing_scale(notebook, capsys):
    notebook({ATTENTION: [MISSING_SCALE[1:]]})
    hidden.multi_head_attention(4)
    assert "not divided by sqrt(E/h)" in capsys.readouterr().out


def test_a_wrong_scale_keeps_the_credit_of_the_other_checks(notebook):
    """sqrt(E) equals sqrt(E/h) with one head, so only some outputs fail; masking
    and dropout keep theirs."""
    notebook({ATTENTION: [("math.sqrt(d)", "math.sqrt(self.embed_dim)")]})
    assert 0 < hidden.multi_head_attention(4) < 4


def test_a_float_mask_in_the_model_and_minus_a_billion_are_also_correct(notebook):
    notebook({
        FORWARD: [("torch.tril(ones)", "torch.tril(torch.ones(T, T))")],
        ATTENTION: [('float("-inf")', "-1e9")],
    })  # fmt: skip
    assert scores() == POINTS


LOOP_ATTENTION = '''
@exercise(MultiHeadAttention)
def forward(self, query, key, value, attn_mask=None):
    N, S, E = query.shape
    heads = []
    for i in range(self.num_heads):
        cols = slice(i * self.head_dim, (i + 1) * self.head_dim)
        q = self.query(query)[:, :, cols]
        k = self.key(key)[:, :, cols]
        v = self.value(value)[:, :, cols]
        scores = torch.bmm(q, k.transpose(1, 2)) / self.head_dim ** 0.5
        if attn_mask is not None:
            scores = torch.where(attn_mask.bool(), scores, -torch.inf)
        weights = self.attn_drop(torch.softmax(scores, dim=2))
        heads.append(torch.bmm(weights, v))
    return self.proj(torch.cat(heads, dim=2))
'''

LOOP_ENCODING = '''
@exercise(PositionalEncoding)
def __init__(self, embed_dim, dropout=0.1, max_len=5000):
    super(PositionalEncoding, self).__init__()
    self.dropout = nn.Dropout(p=dropout)
    pe = torch.zeros(1, max_len, embed_dim)
    i = torch.arange(max_len).unsqueeze(1)  # float32 angles, as many students write
    for j in range(0, embed_dim, 2):
        pe[0, :, j] = torch.sin(i[:, 0] * 10000 ** (-j / embed_dim))
        pe[0, :, j + 1] = torch.cos(i[:, 0] * 10000 ** (-j / embed_dim))
    self.register_buffer("pe", pe)
'''


def test_correct_alternatives_written_differently_earn_full_marks(notebook):
    namespace = notebook()
    exec(LOOP_ATTENTION, namespace)
    exec(LOOP_ENCODING, namespace)
    assert scores() == POINTS


def test_feedback_names_the_failure_without_reference_values(notebook, capsys):
    notebook({ATTENTION: [MISSING_SCALE[1:]], PE: [("torch.cos(angle)", "torch.cos(angle) + 1e-3")]})
    scores()
    out = capsys.readouterr().out
    assert "FAIL" in out and "max difference" in out and "relative error" in out
    assert "[" not in out and "tensor" not in out  # no arrays printed


def test_inputs_differ_between_students(monkeypatch):
    monkeypatch.setenv("COURSE_STUDENT_ID", "ada")
    a = hidden.rng("x").standard_normal(3)
    monkeypatch.setenv("COURSE_STUDENT_ID", "grace")
    b = hidden.rng("x").standard_normal(3)
    assert not np.allclose(a, b)


def test_independent_attention_agrees_with_the_library():
    torch.manual_seed(0)
    module = transformer_layers.MultiHeadAttention(6, 3).double().eval()
    q, k = torch.randn(2, 4, 6, dtype=torch.float64), torch.randn(2, 5, 6, dtype=torch.float64)
    mask = torch.rand(4, 5) < 0.6
    mask[:, 0] = True
    want, _ = hidden.independent_attention(module, q.numpy(), k.numpy(), k.numpy(), mask.numpy())
    with torch.no_grad():
        got = module(q, k, k, attn_mask=mask).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def solver(history):
    return types.SimpleNamespace(loss_history=history)


@pytest.mark.parametrize(
    "history, score",
    [
        ([3.0] * 199 + [0.02], 2),
        ([3.0] * 199 + [0.05], 0),
        ([3.0] * 199 + [float("nan")], 0),
        ([0.01] * 50, 0),  # stopped early
        ([], 0),
    ],
)
def test_overfit_reads_the_final_loss_of_a_complete_run(history, score, capsys):
    assert hidden.overfit(2, solver(history)) == score
    out = capsys.readouterr().out
    assert ("FAIL" in out) == (score == 0)


@pytest.mark.parametrize("student", [f"student{i:02d}" for i in range(40)])
def test_reference_earns_every_point_for_every_student(notebook, monkeypatch, student):
    """Each student's inputs differ; correct code must pass on all of them."""
    monkeypatch.setenv("COURSE_STUDENT_ID", student)
    notebook()
    assert scores() == POINTS
