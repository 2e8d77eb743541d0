"""The story-length and story-count decoders, segmenter-free cohesion, the English discourse cues, the
streamed feature columns and the document-relative weights."""

from __future__ import annotations

import math
import random
import time

from studio.ingest.boundary import FEATURES, facts, gap_columns, iter_columns
from studio.ingest.cohesion import cosine, grams
from studio.ingest.segment import Model, doc_z
from studio.ingest.storylength import CountPrior, LengthPrior, choose_count, choose_starts


def test_without_a_length_prior_each_gap_is_a_threshold():
    scores = [2.0, -1.0, 0.4, -0.2, 0.0]
    assert choose_starts(scores, set(), LengthPrior(shift=0.0)) == [True, False, True, False, True]
    assert choose_starts(scores, set(), LengthPrior(shift=0.5)) == [True, False, False, False, False]


def test_a_length_prior_splits_weak_evidence_into_stories_of_the_typical_length():
    scores = [-0.5] * 11  # 12 sentences, every gap a little against a start
    alone = choose_starts(scores, set(), LengthPrior(shift=0.0))
    assert not any(alone)  # one 12-sentence story
    starts = choose_starts(scores, set(), LengthPrior(shift=0.0, weight=1.0, typical=3.0))
    cuts = [0] + [j for j, s in enumerate(starts, 1) if s] + [12]
    assert 3 <= len(cuts) - 1 <= 5  # about four stories of about three sentences
    assert all(2 <= b - a <= 4 for a, b in zip(cuts, cuts[1:]))


def test_forced_starts_are_kept_and_never_crossed():
    scores = [-5.0] * 9
    starts = choose_starts(scores, {4, 7}, LengthPrior(shift=0.0, weight=0.5, typical=2.0))
    assert starts[3] and starts[6]


def test_the_decoder_is_linear_on_a_long_episode():
    scores = [(-1) ** j * 0.3 for j in range(200_000)]
    t = time.process_time()
    starts = choose_starts(scores, set(), LengthPrior(shift=0.0, weight=0.5, typical=3.0))
    assert time.process_time() - t < 5.0 and len(starts) == 200_000


def test_grams_join_a_story_whatever_the_word_cut_or_the_english_ending():
    a = grams("英伟达市值首度突破1万亿美元。")
    b = grams("华尔街分析师对英伟达的市值估值很高。")
    c = grams("教育部等18个部门联合印发意见。")
    assert cosine(a, b) > cosine(a, c) == 0.0
    assert cosine(grams("Apple released a new chip."), grams("The release of the chip was delayed.")) > 0.3


def test_english_transitions_open_a_story_and_definite_starts_continue_one():
    texts = ["Welcome to the weekly roundup.", "The company shipped a new phone.",
             "Meanwhile, regulators in Europe fined a bank.", "The company said sales rose.", "See you next week."]
    columns = gap_columns([facts(t) for t in texts], True)
    assert set(columns) == set(FEATURES)
    assert columns["en_open"] == [0.0, 1.0, 0.0, 0.0]
    assert columns["en_def"] == [1.0, 0.0, 1.0, 0.0]


def test_the_count_decoder_takes_as_many_stories_as_prior_and_evidence_agree_on():
    scores = [2.0, -1.0, 0.4, -0.2, 0.0]
    assert choose_count(scores, set(), CountPrior(shift=0.0, weight=0.0)) == [True, False, True, False, True]
    weak = [-0.2] * 29  # 30 sentences, every gap a little against a start
    prior = CountPrior(shift=0.0, weight=100.0, a=math.log(6), b=0.0, n_min=10, n_max=40)  # about six stories
    starts = choose_count(weak, set(), prior)
    assert sum(starts) == 5  # six stories: the evidence does not outweigh the prior
    strong = [5.0 if j in (7, 15, 22) else -5.0 for j in range(1, 30)]
    starts = choose_count(strong, set(), CountPrior(shift=0.0, weight=1.0, a=math.log(15), b=0.0, n_min=10, n_max=40))
    assert [j for j, s in enumerate(starts, 1) if s] == [7, 15, 22]  # clear evidence wins over a weak prior


def test_the_expected_count_grows_with_the_length_beyond_the_lengths_it_was_fitted_on():
    prior = CountPrior(a=math.log(15), b=0.0, n_min=20, n_max=80)
    assert prior.expected(50) == prior.expected(80) == 15  # within the range: the fitted count
    assert math.isclose(prior.expected(800), 150) and math.isclose(prior.expected(10), 7.5)  # outside: in proportion


def test_the_count_decoder_keeps_forced_starts_and_counts_them():
    scores = [-5.0] * 9 + [3.0] + [-5.0] * 10
    starts = choose_count(scores, {4, 15}, CountPrior(shift=0.0, weight=100.0, a=math.log(4), b=0.0, n_min=5, n_max=30))
    assert [j for j, s in enumerate(starts, 1) if s] == [4, 10, 15]  # 4 stories: 2 forced, 1 by evidence


def test_the_count_decoder_is_fast_on_a_long_episode():
    scores = [(-1) ** j * 0.3 for j in range(200_000)]
    t = time.process_time()
    starts = choose_count(scores, {5, 500}, CountPrior(shift=0.0, weight=30.0, a=2.0, b=0.2))
    assert time.process_time() - t < 5.0 and len(starts) == 200_000 and starts[4]


def _windows_by_hand(words: list[frozenset[str]], j: int) -> dict[str, float]:
    """The window features of gap j computed the obvious way (unions of the sentences around it)."""
    n = len(words)

    def union(a: int, b: int) -> frozenset[str]:
        return frozenset().union(*(words[k] for k in range(max(0, a), min(n, b))))

    def cos(x: frozenset[str], y: frozenset[str]) -> float:
        return len(x & y) / math.sqrt(len(x) * len(y)) if x & y else 0.0

    sw, back3 = words[j], union(j - 3, j)
    shared = len(sw & back3)
    return {"cos2": cos(union(j - 2, j), union(j, j + 2)), "cos3": cos(back3, union(j, j + 3)),
            "novel": (len(sw) - shared) / len(sw) if sw else 0.5,
            "s_back": shared / math.sqrt(len(sw) * len(back3)) if shared else 0.0,
            "s_long": cos(sw, union(j - 8, j)) if j >= 3 else (shared / math.sqrt(len(sw) * len(back3)) if shared else 0.0)}


def test_streamed_window_features_match_the_unions_computed_by_hand():
    rng = random.Random(7)
    vocab = "chip market bank rust model launch court phone energy price vote storm".split()
    for trial in range(40):
        texts = [" ".join(rng.sample(vocab, rng.randint(0, 4))) + f" item{trial}x{i}." for i in range(rng.randint(2, 16))]
        fs = [facts(t) for t in texts]
        columns = dict(iter_columns(fs, True, ("cos2", "cos3", "novel", "s_back", "s_long")))
        words = [f.words for f in fs]
        for j in range(1, len(fs)):
            for name, value in _windows_by_hand(words, j).items():
                assert math.isclose(columns[name][j - 1], value, abs_tol=1e-12), (trial, j, name)


def test_document_relative_weights_give_the_log_odds_of_the_rows_they_were_fitted_on():
    texts = ["Welcome to the roundup.", "Apple shipped a phone.", "The phone sells well.", "Banks raised rates.",
             "Rates rose again in May.", "A storm hit the coast.", "That's all for today."]
    fs = [facts(t) for t in texts]
    rng = random.Random(3)
    z = ("cos1", "novel", "len_s")
    names = list(FEATURES) + [f"z_{k}" for k in z]
    model = Model({k: rng.uniform(-1, 1) for k in names}, {k: rng.uniform(-0.5, 0.5) for k in names},
                  {k: rng.uniform(0.5, 2) for k in names}, FEATURES, z)
    streamed = model.log_odds(iter_columns(fs, True, model.needed), len(fs) - 1)
    columns = gap_columns(fs, True)
    zcols = [doc_z(columns[k]) for k in z]
    by_row = [model.row_log_odds([columns[k][g] for k in FEATURES], [c[g] for c in zcols]) for g in range(len(fs) - 1)]
    assert all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(streamed, by_row))
    assert doc_z([0.1, 0.1, 0.1]) == [0.0, 0.0, 0.0]  # a flat column has no document-relative value
