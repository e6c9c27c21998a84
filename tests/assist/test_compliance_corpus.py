"""The labelled corpus as a regression gate: CI fails when recall or false positives get worse.

Latency is not asserted here (timed tests flake on shared machines); `make bench` prints it.
"""

from collections import Counter

import pytest

from assist.compliance.evaluation import CORPUS_PARTS, corpus_evaluate, corpus_load
from assist.compliance.types import RULES


@pytest.fixture(scope="module")
def samples():
    return {part: corpus_load(part=part) for part in CORPUS_PARTS}


def test_corpus_is_big_varied_and_labelled_with_known_rules(samples) -> None:
    every = [sample for part in samples.values() for sample in part]
    assert len(every) >= 400
    assert sum(1 for sample in every if not sample.expected) >= 150
    assert len({(sample.text, sample.marketplace) for sample in every}) == len(every)
    rules = Counter(rule for sample in every for rule in sample.expected)
    assert set(rules) == set(RULES)
    assert {sample.marketplace for sample in every} == {"wildberries", "ozon", "yandex_market"}
    # Both halves cover every rule, so the held-out figures mean something.
    for part in samples.values():
        assert {rule for sample in part for rule in sample.expected} == set(RULES)


@pytest.mark.parametrize("part", CORPUS_PARTS)
def test_corpus_meets_the_quality_targets(samples, part: str) -> None:
    evaluation = corpus_evaluate(samples=samples[part])
    assert evaluation.block_recall >= 0.97, evaluation.misses
    assert evaluation.false_positive_rate <= 0.01, evaluation.false_positives
    for rule in RULES:
        assert evaluation.recall(rule) >= 0.9, (rule, evaluation.misses)
