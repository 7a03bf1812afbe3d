"""Building blocks of a Transformer decoder, in PyTorch.

Shapes: N batch, S query length, T key length, E embedding dimension, h heads of
E/h dimensions each. The layers follow "Attention Is All You Need" (Vaswani et al.,
2017) with post-norm residual blocks.

Exercises: `PositionalEncoding.__init__` (the table of encodings) and
`MultiHeadAttention.forward`. The decoder layer and the decoder are provided; they
call the attention layer as a module, so a student's `forward` is the one they run.
"""

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F


class PositionalEncoding(nn.Module):
    """Adds a fixed sinusoidal encoding of each position to a sequence of vectors."""

    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        """Build the table of encodings for positions 0 .. max_len - 1.

        Inputs:
        - embed_dim: E, the size of the vectors to encode; must be even.
        - dropout: probability of dropping an element of the sum in `forward`.
        - max_len: the longest sequence this layer will see.

        The table is a tensor `pe` of shape (1, max_len, E), float32, with
            pe[0, i, j] = sin(i * 10000^(-j / E))        for even j,
            pe[0, i, j] = cos(i * 10000^(-(j - 1) / E))  for odd j,
        so that columns 2k and 2k + 1 share one frequency. Hint: build a column
        of positions and a row of frequencies and let broadcasting form the
        (max_len, E/2) grid of angles; compute them in float64, as float32
        angles put errors of a few 1e-4 into positions in the thousands.
        """
        # Two-argument super(): this method also runs when a notebook cell
        # defines it outside the class body.
        super(PositionalEncoding, self).__init__()
        if embed_dim % 2 != 0:
            raise ValueError(
                f"PositionalEncoding needs an even embed_dim (sine and cosine "
                f"come in pairs), got {embed_dim}. Use an even embedding size."
            )
        self.dropout = nn.Dropout(p=dropout)

        raise NotImplementedError(
            'PositionalEncoding.__init__ is an exercise: write it in its cell in Transformer_Captioning.ipynb and run that cell.'
        )
        self.register_buffer("pe", pe)

    def forward(self, x):
        """Add the encodings of positions 0 .. S - 1, then apply dropout.

        Inputs:
        - x: (N, S, E) sequence of vectors.

        Returns:
        - (N, S, E) the encoded sequence.
        """
        S = x.shape[1]
        max_len = self.pe.shape[1]
        if S > max_len:
            raise ValueError(
                f"PositionalEncoding was built for sequences of at most {max_len} "
                f"positions, got {S}. Build it with a larger max_len."
            )
        return self.dropout(x + self.pe[:, :S])  # (N, S, E)


class MultiHeadAttention(nn.Module):
    """Multi-headed scaled dot-product attention.

    Four E x E linear maps: `query`, `key` and `value` project the inputs, `proj`
    mixes the concatenated heads. `attn_drop` is dropout on the attention weights.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.1):
        """Inputs:
        - embed_dim: E, the size of inputs and outputs.
        - num_heads: h, the number of heads; must divide E.
        - dropout: probability of dropping an attention weight in training.
        """
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(
                f"MultiHeadAttention splits embed_dim evenly over the heads, but "
                f"embed_dim={embed_dim} is not divisible by num_heads={num_heads}. "
                f"Choose a number of heads that divides the embedding size."
            )
        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.attn_drop = nn.Dropout(dropout)

        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads

    def forward(self, query, key, value, attn_mask=None):
        """Attend from each of S queries to T key/value pairs.

        Inputs:
        - query: (N, S, E) the vectors that ask.
        - key: (N, T, E) the vectors that are matched against the queries.
        - value: (N, T, E) the vectors that are averaged.
        - attn_mask: optional (S, T) tensor; where it is 0 (or False), query s
          may not attend to key t.

        Returns:
        - output: (N, S, E).

        Steps: project query, key and value with `self.query`, `self.key` and
        `self.value`; split the last axis into h = self.num_heads heads of
        self.head_dim = E/h dimensions; in every head, score each query
        against each key with a dot product divided by sqrt(E/h); set the
        scores of masked pairs to -inf; softmax over the keys; apply
        `self.attn_drop` to these attention weights; average the values with
        them; concatenate the heads back to E dimensions and apply
        `self.proj`. Hint: `view` and `transpose` move the heads to their own
        axis, (N, h, S, E/h), so that one `@` handles all heads at once.
        """
        N, S, E = query.shape
        T = key.shape[1]
        raise NotImplementedError(
            'MultiHeadAttention.forward is an exercise: write it in its cell in Transformer_Captioning.ipynb and run that cell.'
        )
        return output


class TransformerDecoderLayer(nn.Module):
    """One post-norm decoder block: masked self-attention, cross-attention to a
    memory, and a position-wise feed-forward network, each with a residual
    connection followed by layer normalization."""

    def __init__(self, input_dim, num_heads, dim_feedforward=2048, dropout=0.1):
        """Inputs:
        - input_dim: E, the size of the vectors of the sequence and the memory.
        - num_heads: h, heads of both attention layers; must divide E.
        - dim_feedforward: hidden size of the feed-forward network.
        - dropout: probability used by every dropout of the block.
        """
        super().__init__()
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.multihead_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.linear1 = nn.Linear(input_dim, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, input_dim)

        self.norm1 = nn.LayerNorm(input_dim)
        self.norm2 = nn.LayerNorm(input_dim)
        self.norm3 = nn.LayerNorm(input_dim)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

        self.activation = nn.ReLU()

    def forward(self, tgt, memory, tgt_mask=None):
        """Inputs:
        - tgt: (N, T, E) the sequence being decoded.
        - memory: (N, M, E) what the sequence attends to (here: the image, M = 1).
        - tgt_mask: optional (T, T) mask of the self-attention, 0 where masked.

        Returns:
        - (N, T, E) the decoded sequence.
        """
        # 1. Masked self-attention over the sequence.
        attended = self.self_attn(tgt, tgt, tgt, attn_mask=tgt_mask)  # (N, T, E)
        tgt = self.norm1(tgt + self.dropout1(attended))

        # 2. Cross-attention from the sequence to the memory.
        attended = self.multihead_attn(tgt, memory, memory)  # (N, T, E)
        tgt = self.norm2(tgt + self.dropout2(attended))

        # 3. Feed-forward network applied at every position.
        hidden = self.dropout(self.activation(self.linear1(tgt)))  # (N, T, F)
        tgt = self.norm3(tgt + self.dropout3(self.linear2(hidden)))  # (N, T, E)
        return tgt


class TransformerDecoder(nn.Module):
    """A stack of `num_layers` decoder layers, each an independent deep copy of
    `decoder_layer` (so they start from equal weights and train apart)."""

    def __init__(self, decoder_layer, num_layers):
        super().__init__()
        self.layers = nn.ModuleList(
            copy.deepcopy(decoder_layer) for _ in range(num_layers)
        )

    def forward(self, tgt, memory, tgt_mask=None):
        """Apply the layers in turn; shapes as in `TransformerDecoderLayer`."""
        for layer in self.layers:
            tgt = layer(tgt, memory, tgt_mask=tgt_mask)  # (N, T, E)
        return tgt
