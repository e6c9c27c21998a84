"""Small helpers to time things and print results the same way in every benchmark."""

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path


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


def figures_record(*, name: str, samples: list[float], target_p95_ms: float) -> None:
    """Keep this database's figure for the side-by-side table `python -m bench` prints after a benchmark
    has run on every database (BENCH_RESULTS names the file, BENCH_DATABASE_LABEL the database)."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    results = Path(path)
    recorded = json.loads(results.read_text()) if results.exists() else {}
    recorded.setdefault(name, {"target_p95_ms": target_p95_ms, "databases": {}})
    recorded[name]["databases"][os.environ.get("BENCH_DATABASE_LABEL", "database")] = {
        "median": statistics.median(samples),
        "p95": percentile(samples, 0.95),
    }
    results.write_text(json.dumps(recorded, ensure_ascii=False, indent=1))


def side_by_side(*, path: Path) -> list[str]:
    """Lines comparing each recorded figure across databases, with its target met or not."""
    if not path.exists():
        return []
    recorded = json.loads(path.read_text())
    labels = list(dict.fromkeys(label for figure in recorded.values() for label in figure["databases"]))
    lines = [f"  {'p95 (median)':26}" + "".join(f"{label:>24}" for label in labels) + "   target"]
    for name, figure in recorded.items():
        target = figure["target_p95_ms"]
        cells = ""
        for label in labels:
            measured = figure["databases"].get(label)
            if measured is None:
                cells += f"{'—':>24}"
                continue
            verdict = "met" if measured["p95"] < target else "NOT met"
            cells += f"{measured['p95']:>7.0f} ({measured['median']:.0f}) ms {verdict:>7}"
        lines.append(f"  {name:26}{cells}   p95 < {target:.0f} ms")
    return lines
