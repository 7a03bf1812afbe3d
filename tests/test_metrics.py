import math

import pytest

from course_lib.metrics import corpus_bleu, ngrams


def test_ngrams():
    assert ngrams("a b a b".split(), 2) == {("a", "b"): 2, ("b", "a"): 1}
    assert ngrams(["a"], 2) == {}


def test_identical_caption_scores_one():
    assert corpus_bleu(["a red star on the left"], [["a red star on the left"]]) == 1.0


def test_single_sentence_by_hand():
    # p1..p4 = 4/5, 3/4, 2/3, 1/2; c = 5 < r = 6 so BP = exp(1 - 6/5).
    expected = math.exp(1 - 6 / 5) * (4 / 5 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25
    score = corpus_bleu(["a b c d e"], [["a b c d f g"]])
    assert score == pytest.approx(expected, rel=1e-12)


def test_counts_are_pooled_over_the_corpus_and_clipped():
    # Sentence 2 matches 4/5 unigrams, 2/4 bigrams, 0/3 trigrams, 0/2 4-grams; its
    # closest reference has 5 words. Pooled with the perfect sentence 1:
    expected = (8 / 9 * 5 / 7 * 2 / 5 * 1 / 3) ** 0.25
    score = corpus_bleu(
        ["a b c d", "a b c d e".split()],
        [["a b c d"], ["a b x d e", "q"]],
    )
    assert score == pytest.approx(expected, rel=1e-12)
    # "the" is clipped to its count in the reference: 1 of 4.
    assert corpus_bleu(["the the the the"], [["the cat"]], max_n=1) == 0.25


def test_brevity_uses_the_closest_reference_shorter_on_ties():
    # Lengths 2 and 4 are equally close to 3: r = 2, no penalty.
    assert corpus_bleu(["a b c"], [["a b", "a b c d"]], max_n=1) == 1.0
    assert corpus_bleu(["a b"], [["a b c d"]], max_n=1) == pytest.approx(math.exp(-1))


def test_no_matching_4gram_scores_zero_and_lengths_must_agree():
    assert corpus_bleu(["a b c"], [["a b c"]]) == 0.0  # no 4-gram at all
    with pytest.raises(ValueError, match="one list of references per hypothesis"):
        corpus_bleu(["a"], [])
