"""An image-captioning model built on a Transformer decoder.

The image, one feature vector per image, becomes a single memory token that every
word of the caption attends to; the words attend to the words before them.

Shapes: N batch, D image-feature dimension, T caption length, W word-vector
dimension, V vocabulary size.

Exercise: `CaptioningTransformer.forward`. `sample` is provided and calls it.
"""

import numpy as np
import torch
from torch import nn

from course_lib.transformer_layers import (
    PositionalEncoding,
    TransformerDecoder,
    TransformerDecoderLayer,
)


class CaptioningTransformer(nn.Module):
    """Scores the next word of a caption given the image and the words so far."""

    def __init__(
        self,
        word_to_idx,
        input_dim,
        wordvec_dim,
        num_heads=4,
        num_layers=2,
        max_length=50,
    ):
        """Inputs:
        - word_to_idx: dict word -> index in [0, V); must hold "<NULL>" (padding)
          and "<START>".
        - input_dim: D, the size of an image's feature vector.
        - wordvec_dim: W, the size of word vectors and of the decoder.
        - num_heads: attention heads in every layer; must divide W.
        - num_layers: number of decoder layers.
        - max_length: the longest caption the model can read.

        Under a fixed seed the weights depend on the order of construction: the
        modules are built in attribute order, then every Linear and Embedding
        weight is drawn again from N(0, 0.02^2) (biases 0, LayerNorm 1 and 0),
        and `output` is built last with PyTorch's default initialization.
        """
        super().__init__()
        missing = [w for w in ("<NULL>", "<START>") if w not in word_to_idx]
        if missing:
            raise ValueError(
                f"word_to_idx has no entry for {missing}; the model pads with "
                f"<NULL> and starts sampling from <START>. Add them to the "
                f"vocabulary."
            )
        vocab_size = len(word_to_idx)
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx["<START>"]

        self.visual_projection = nn.Linear(input_dim, wordvec_dim)
        self.embedding = nn.Embedding(
            vocab_size, wordvec_dim, padding_idx=self._null
        )
        self.positional_encoding = PositionalEncoding(
            wordvec_dim, max_len=max_length
        )
        decoder_layer = TransformerDecoderLayer(wordvec_dim, num_heads)
        self.transformer = TransformerDecoder(decoder_layer, num_layers)
        self.apply(_init_weights)

        self.output = nn.Linear(wordvec_dim, vocab_size)

    def forward(self, features, captions):
        """Score every possible next word at every position of the captions.

        Inputs:
        - features: (N, D) float tensor, one feature vector per image.
        - captions: (N, T) long tensor of word indices; position t holds the
          word that came before the word to predict at t.

        Returns:
        - scores: (N, T, V) unnormalized scores of the next word.

        Steps: embed the words (`self.embedding`) and add their positions
        (`self.positional_encoding`); project the features to one memory
        token of shape (N, 1, W) (`self.visual_projection`); build a (T, T)
        causal mask that lets position t see positions 0 .. t only (hint:
        `torch.tril`); run `self.transformer(words, memory, tgt_mask=mask)`;
        map the result to vocabulary scores with `self.output`.
        """
        N, T = captions.shape
        raise NotImplementedError(
            'CaptioningTransformer.forward is an exercise: write it in its cell in Transformer_Captioning.ipynb and run that cell.'
        )
        return scores

    def sample(self, features, max_length=30):
        """Greedy captions: start from <START> and append the best word each step.

        Runs in evaluation mode (no dropout) without building a graph, and leaves
        the model in the training mode it was in.

        Inputs:
        - features: (N, D) image features, a NumPy array or a tensor.
        - max_length: T, the number of words to generate; at most the model's
          max_length.

        Returns:
        - captions: (N, T) NumPy int32 array; column t is the (t + 1)-th
          generated word (<START> is not included). Generation does not stop at
          <END>; decoding the words does.
        """
        model_max_length = self.positional_encoding.pe.shape[1]
        if max_length > model_max_length:
            raise ValueError(
                f"This model reads captions of at most {model_max_length} words, "
                f"so it can sample at most that many; got max_length={max_length}."
                f" Sample fewer words or build the model with a larger max_length."
            )
        device = self.output.weight.device
        features = torch.as_tensor(features, dtype=torch.float32, device=device)
        N = features.shape[0]

        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                # Every caption starts as the single word <START>.
                words = torch.full((N, 1), self._start, device=device)  # (N, 1)
                for t in range(max_length):
                    scores = self(features, words)  # (N, t + 1, V)
                    best = scores[:, -1].argmax(dim=1)  # (N,)
                    words = torch.cat([words, best[:, None]], dim=1)  # (N, t + 2)
        finally:
            self.train(was_training)
        return words[:, 1:].cpu().numpy().astype(np.int32)  # (N, T)


def _init_weights(module):
    """Initialization of every module built before `output`: weights of Linear and
    Embedding layers from N(0, 0.02^2), Linear biases 0, LayerNorm weight 1, bias 0.
    """
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
    if isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
