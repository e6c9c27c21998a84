"""Pre-send compliance check on the labelled corpus: recall per rule, block recall, false positives, latency.

Latency is per call of `compliance_check` in one warm process (the lemma cache filled by one pass first, as
in a running server); the cold first pass is printed too. Targets (issue 14): block recall >= 0.97, false
positives <= 1 %, p95 < 2 ms.
"""

import time

from assist.compliance.evaluation import (
    CORPUS_PARTS,
    corpus_evaluate,
    corpus_load,
    evaluation_report,
)

TARGET_BLOCK_RECALL = 0.97
TARGET_FALSE_POSITIVE_RATE = 0.01
TARGET_P95_MILLISECONDS = 2.0


def run(*, repeat: int = 5) -> bool:
    parts = {part: corpus_load(part=part) for part in CORPUS_PARTS}
    every = [sample for samples in parts.values() for sample in samples]
    started = time.perf_counter()
    cold = corpus_evaluate(samples=every)
    print(
        f"cold first pass: {len(every)} checks in {time.perf_counter() - started:.2f} s "
        f"(p95 {cold.latency_percentile(0.95):.3f} ms, includes loading the dictionary)"
    )
    met = True
    for title, samples in [*parts.items(), ("all", every)]:
        evaluation = corpus_evaluate(samples=samples, repeat=repeat)
        print(evaluation_report(evaluation=evaluation, title=title))
        for sample, found in evaluation.misses:
            print(f"    missed {sorted(sample.expected)} (found {list(found)}): {sample.text[:80]!r}")
        for sample, found in evaluation.false_positives:
            print(f"    false positive {list(found)}: {sample.text[:80]!r}")
        if title == "all":
            checks = {
                "block recall >= 0.97": evaluation.block_recall >= TARGET_BLOCK_RECALL,
                "false positives <= 1 %": evaluation.false_positive_rate <= TARGET_FALSE_POSITIVE_RATE,
                "p95 < 2 ms": evaluation.latency_percentile(0.95) < TARGET_P95_MILLISECONDS,
            }
            for name, passed in checks.items():
                print(f"  target {name}: {'met' if passed else 'MISSED'}")
            met = all(checks.values())
    return met
