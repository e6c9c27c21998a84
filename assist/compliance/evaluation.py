"""Quality of the check on the labelled corpus (assist/compliance/corpus/*.jsonl): `make bench` and a test.

Each corpus line is {"text", "marketplace", "expected": [rule codes]} (optional "kind"). `dev.jsonl` is the
half the rules were developed on; `holdout.jsonl` was written afterwards and not tuned against.
"""

import json
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from assist.compliance.check import compliance_check
from assist.compliance.types import BLOCK, RULES, SEVERITIES

CORPUS_DIRECTORY = Path(__file__).resolve().parent / "corpus"
CORPUS_PARTS = ("dev", "holdout")


@dataclass(frozen=True)
class Sample:
    text: str
    marketplace: str
    expected: frozenset[str]
    kind: str = "chat"


@dataclass
class Evaluation:
    samples: int = 0
    clean: int = 0
    false_positives: list[tuple[Sample, tuple[str, ...]]] = field(default_factory=list)
    # rule -> [found, expected]
    recall_counts: dict[str, list[int]] = field(default_factory=dict)
    blocked_expected: int = 0
    blocked_found: int = 0
    misses: list[tuple[Sample, tuple[str, ...]]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    # The median of each text's repeated checks: robust to the scheduler pausing one call on a busy machine.
    median_latencies: list[float] = field(default_factory=list)

    @property
    def false_positive_rate(self) -> float:
        return len(self.false_positives) / self.clean if self.clean else 0.0

    @property
    def block_recall(self) -> float:
        return self.blocked_found / self.blocked_expected if self.blocked_expected else 1.0

    def recall(self, rule: str) -> float | None:
        found, expected = self.recall_counts.get(rule, [0, 0])
        return found / expected if expected else None

    def latency_percentile(self, percentile: float, *, of_medians: bool = False) -> float:
        """Nearest-rank percentile of per-check latency, in milliseconds."""
        ordered = sorted(self.median_latencies if of_medians else self.latencies)
        return ordered[max(0, math.ceil(percentile * len(ordered)) - 1)] * 1000 if ordered else 0.0


def corpus_load(*, part: str) -> list[Sample]:
    lines = (CORPUS_DIRECTORY / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
    samples = []
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        samples.append(
            Sample(
                text=item["text"],
                marketplace=item["marketplace"],
                expected=frozenset(item["expected"]),
                kind=item.get("kind", "chat"),
            )
        )
    return samples


def corpus_evaluate(*, samples: list[Sample], repeat: int = 1) -> Evaluation:
    evaluation = Evaluation(samples=len(samples))
    for sample in samples:
        timings = []
        for _round in range(repeat):
            started = time.perf_counter()
            result = compliance_check(text=sample.text, marketplace=sample.marketplace, kind=sample.kind)
            timings.append(time.perf_counter() - started)
        evaluation.latencies.extend(timings)
        evaluation.median_latencies.append(statistics.median(timings))
        found = {violation.rule for violation in result.violations}
        if not sample.expected:
            evaluation.clean += 1
            if found:
                evaluation.false_positives.append((sample, tuple(sorted(found))))
            continue
        for rule in sample.expected:
            counts = evaluation.recall_counts.setdefault(rule, [0, 0])
            counts[1] += 1
            counts[0] += rule in found
        if sample.expected - found:
            evaluation.misses.append((sample, tuple(sorted(found))))
        if any(SEVERITIES[rule] == BLOCK for rule in sample.expected):
            evaluation.blocked_expected += 1
            evaluation.blocked_found += not result.allowed
    return evaluation


def evaluation_report(*, evaluation: Evaluation, title: str) -> str:
    lines = [f"{title}: {evaluation.samples} texts, {evaluation.clean} clean"]
    for rule in RULES:
        found, expected = evaluation.recall_counts.get(rule, [0, 0])
        if expected:
            lines.append(f"  recall {rule:<28} {found / expected:6.3f}  ({found}/{expected})")
    blocked = f"{evaluation.blocked_found}/{evaluation.blocked_expected}"
    lines.append(f"  block recall {evaluation.block_recall:.3f} ({blocked})")
    lines.append(
        f"  false positives on clean texts {evaluation.false_positive_rate:.3%} "
        f"({len(evaluation.false_positives)}/{evaluation.clean})"
    )
    lines.append(
        f"  latency per check p50 {evaluation.latency_percentile(0.5):.3f} ms, "
        f"p95 {evaluation.latency_percentile(0.95):.3f} ms; per-text median p95 "
        f"{evaluation.latency_percentile(0.95, of_medians=True):.3f} ms"
    )
    return "\n".join(lines)
