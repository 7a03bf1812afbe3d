"""An image-captioning language model built from the layers of `rnn_layers`.

The image's feature vector, projected to the hidden size, is the recurrent network's
initial hidden state; the network then reads a caption one word at a time and scores
the next word at every step.
"""

import numpy as np

from course_lib.rnn_layers import (
    affine_backward,
    affine_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)


class CaptioningRNN:
    """Captioning model: image features -> initial hidden state -> RNN or LSTM -> words.

    With N images of feature dimension D, a vocabulary of V words, word vectors of
    dimension W and hidden states of dimension H, the model reads captions of T words
    and scores V words at each of the T steps. It has no regularization.

    Attributes:
    - cell_type: "rnn" or "lstm".
    - dtype: NumPy float type of the parameters.
    - word_to_idx: dict word -> index in [0, V); idx_to_word: its inverse.
    - params: dict name -> array, in this order (k = 4 for an LSTM, else 1):
      W_embed (V, W), W_proj (D, H), b_proj (H,), Wx (W, kH), Wh (H, kH), b (kH,),
      W_vocab (H, V), b_vocab (V,).
    - _null, _start, _end: indices of <NULL>, <START> and <END> (the last two are
      None when the vocabulary lacks them).
    """

    def __init__(
        self,
        word_to_idx,
        input_dim=512,
        wordvec_dim=128,
        hidden_dim=128,
        cell_type="rnn",
        dtype=np.float32,
    ):
        """Build the model with random weights and zero biases.

        Inputs:
        - word_to_idx: dict word -> index; must contain "<NULL>", the padding word.
        - input_dim: D, dimension of the image features.
        - wordvec_dim: W, dimension of the word vectors.
        - hidden_dim: H, dimension of the hidden state.
        - cell_type: "rnn" for a vanilla RNN, "lstm" for an LSTM.
        - dtype: float type of the parameters; np.float64 for gradient checks.

        The weights are drawn with np.random.randn, in the order of `params`:
        W_embed scaled by 1/100, every other matrix by 1/sqrt(its number of rows).
        """
        if cell_type not in ("rnn", "lstm"):
            raise ValueError(
                f'cell_type must be "rnn" or "lstm", got {cell_type!r}.'
            )
        if "<NULL>" not in word_to_idx:
            raise ValueError(
                "word_to_idx must contain the padding word '<NULL>'; the loss "
                "ignores the positions that hold it."
            )
        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>")
        self._end = word_to_idx.get("<END>")

        V, D, W, H = len(word_to_idx), input_dim, wordvec_dim, hidden_dim
        k = 4 if cell_type == "lstm" else 1
        self.params = {
            "W_embed": np.random.randn(V, W) / 100,
            "W_proj": np.random.randn(D, H) / np.sqrt(D),
            "b_proj": np.zeros(H),
            "Wx": np.random.randn(W, k * H) / np.sqrt(W),
            "Wh": np.random.randn(H, k * H) / np.sqrt(H),
            "b": np.zeros(k * H),
            "W_vocab": np.random.randn(H, V) / np.sqrt(H),
            "b_vocab": np.zeros(V),
        }
        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, features, captions):
        """Training loss of the model on a minibatch, and its gradients.

        The model reads captions[:, :-1] (starting with <START>) and is scored
        on predicting captions[:, 1:], the same words shifted by one step.
        Positions whose target is <NULL> do not count.

        Inputs:
        - features: (N, D) image features.
        - captions: (N, T + 1) integer word indices.

        Returns a tuple of:
        - loss: scalar, the temporal softmax loss.
        - grads: dict with the keys of self.params and the gradients of the
          loss with respect to them, of the same shapes.

        Use the layers of rnn_layers: affine, word embedding, rnn or lstm
        (after self.cell_type), temporal affine and temporal softmax loss,
        then their backward functions in reverse order.
        """
        D = self.params["W_proj"].shape[0]
        if features.shape != (len(captions), D) or captions.ndim != 2:
            raise ValueError(
                f"loss expects features (N, D={D}) and captions (N, T + 1); "
                f"got features {features.shape} and captions {captions.shape}."
            )
        raise NotImplementedError(
            'CaptioningRNN.loss is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
        )
        return loss, grads

    def sample(self, features, max_length=30):
        """Greedy captions for images, one word per step.

        The first input word is <START>. At every step the model takes its
        highest-scoring word (the argmax, no random sampling) and feeds it as
        the next input. The words are written from the first column on; once
        a caption has produced <END> (which is kept), the rest of its row
        stays <NULL>.

        Inputs:
        - features: (N, D) image features.
        - max_length: number of words to generate per caption.

        Returns:
        - captions: (N, max_length) int32 word indices, filled with <NULL>
          before the first step.

        Hint: use rnn_step_forward or lstm_step_forward (with a cell state
        starting at zeros) one step at a time, and look the input word's
        vector up in W_embed directly.
        """
        D = self.params["W_proj"].shape[0]
        if features.ndim != 2 or features.shape[1] != D:
            raise ValueError(
                f"sample expects features of shape (N, D={D}), got "
                f"{features.shape}."
            )
        if self._start is None:
            raise ValueError(
                "sample begins every caption with the word '<START>', which "
                "word_to_idx lacks; add it to the vocabulary."
            )
        raise NotImplementedError(
            'CaptioningRNN.sample is an exercise: write it in its cell in RNN_Captioning.ipynb and run that cell.'
        )
        return captions
