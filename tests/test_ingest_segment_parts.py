"""The story-length decoder, segmenter-free cohesion, and the English discourse cues."""

from __future__ import annotations

import time

from studio.ingest.boundary import FEATURES, facts, gap_columns
from studio.ingest.cohesion import cosine, grams
from studio.ingest.storylength import LengthPrior, choose_starts


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
