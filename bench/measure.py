"""Small helpers to time things and print results the same way in every benchmark."""

import statistics
import time
from collections.abc import Callable


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def time_calls(call: Callable[[int], object], *, count: int, warmup: int = 5) -> list[float]:
    """Milliseconds per call of `call(i)` for i in range(count), after `warmup` untimed calls."""
    for index in range(warmup):
        call(index)
    samples = []
    for index in range(count):
        started = time.perf_counter()
        call(index)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    return f"median {statistics.median(samples):7.1f} ms   p95 {percentile(samples, 0.95):7.1f} ms   n={len(samples)}"
