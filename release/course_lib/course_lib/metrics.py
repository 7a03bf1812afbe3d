"""Corpus BLEU, the usual score of generated captions against reference captions.

Papineni et al., "BLEU: a Method for Automatic Evaluation of Machine Translation"
(ACL 2002): the geometric mean of clipped n-gram precisions for n = 1..4, counted
over the whole corpus, times a brevity penalty. No smoothing: a corpus without any
matching 4-gram scores 0.
"""

import math
from collections import Counter


def ngrams(words, n):
    """Counter of the n-grams (tuples) of a list of words."""
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def corpus_bleu(hypotheses, references, max_n=4):
    """BLEU-max_n of a corpus, in [0, 1].

    - hypotheses: list of N candidate captions, each a str or a list of words.
    - references: list of N lists of reference captions for the same images.

    1. For each n, the clipped matches: an n-gram of a hypothesis counts at most as
       often as it occurs in any single one of its references. The precision p_n is
       the corpus-wide sum of clipped matches over the sum of hypothesis n-grams.
    2. Brevity penalty BP = exp(1 - r / c) if c < r else 1, with c the total
       hypothesis length and r the sum of the reference lengths closest to each
       hypothesis's (the shorter one on a tie).
    3. BLEU = BP * exp(mean over n of log p_n).
    """
    if len(hypotheses) != len(references):
        raise ValueError(
            f"one list of references per hypothesis: got {len(hypotheses)} "
            f"hypotheses and {len(references)} lists of references"
        )
    matches = [0] * max_n
    totals = [0] * max_n
    hyp_length = ref_length = 0
    for hypothesis, refs in zip(hypotheses, references):
        hyp = _words(hypothesis)
        refs = [_words(ref) for ref in refs]
        hyp_length += len(hyp)
        ref_length += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
        for n in range(1, max_n + 1):
            counts = ngrams(hyp, n)
            most = Counter()
            for ref in refs:
                most |= ngrams(ref, n)  # elementwise maximum over references
            matches[n - 1] += sum(min(c, most[g]) for g, c in counts.items())
            totals[n - 1] += sum(counts.values())

    if hyp_length == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_length >= ref_length else math.exp(1 - ref_length / hyp_length)
    return brevity * math.exp(log_precision)


def _words(caption):
    """A caption as a list of words."""
    return caption.split() if isinstance(caption, str) else list(caption)
