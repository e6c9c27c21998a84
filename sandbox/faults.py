"""Fault switches per marketplace: latency, 5xx, hangs past the client timeout, rate-limit storms,
truncated JSON and duplicated feed items. Draws come from a seeded generator, so a test that sends the
same requests in the same order sees the same faults."""

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

from sandbox.world import MARKETPLACES


@dataclass(slots=True)
class FaultSettings:
    latency_ms: int = 0
    error_share: float = 0.0
    timeout_share: float = 0.0
    timeout_seconds: float = 15.0
    # "after": the request takes effect and only the answer is lost (the dangerous case for replies);
    # "before": nothing happens on the marketplace side.
    timeout_phase: str = "after"
    rate_limit_share: float = 0.0
    truncate_share: float = 0.0
    duplicate_share: float = 0.0

    def update(self, values: dict[str, Any]) -> None:
        known = {item.name: item.type for item in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown fault setting {name!r}")
            if name == "timeout_phase":
                if value not in ("before", "after"):
                    raise ValueError("timeout_phase must be 'before' or 'after'")
                self.timeout_phase = value
            elif name == "latency_ms":
                self.latency_ms = max(0, int(value))
            else:
                number = float(value)
                if name.endswith("_share") and not 0 <= number <= 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                setattr(self, name, number)


@dataclass(frozen=True, slots=True)
class FaultDraw:
    error: bool = False
    timeout: bool = False
    rate_limit: bool = False
    truncate: bool = False


class FaultBoard:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.settings = {marketplace: FaultSettings() for marketplace in MARKETPLACES}
        self._random = {
            marketplace: random.Random(f"faults:{seed}:{marketplace}") for marketplace in MARKETPLACES
        }
        self._lock = threading.Lock()

    def configure(self, marketplace: str, values: dict[str, Any]) -> None:
        if marketplace not in self.settings:
            raise ValueError(f"unknown marketplace {marketplace!r}")
        with self._lock:
            self.settings[marketplace].update(values)

    def reset(self, seed: int | None = None) -> None:
        with self._lock:
            self.seed = self.seed if seed is None else seed
            self.settings = {marketplace: FaultSettings() for marketplace in MARKETPLACES}
            self._random = {
                marketplace: random.Random(f"faults:{self.seed}:{marketplace}")
                for marketplace in MARKETPLACES
            }

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"seed": self.seed, **{name: asdict(value) for name, value in self.settings.items()}}

    def draw(self, marketplace: str) -> FaultDraw:
        with self._lock:
            settings = self.settings[marketplace]
            rng = self._random[marketplace]
            # Always four draws, so switching one fault on does not shift the others' sequence.
            rolls = [rng.random() for _ in range(4)]
            return FaultDraw(
                timeout=rolls[0] < settings.timeout_share,
                error=rolls[1] < settings.error_share,
                rate_limit=rolls[2] < settings.rate_limit_share,
                truncate=rolls[3] < settings.truncate_share,
            )

    def duplicate(self, marketplace: str) -> bool:
        with self._lock:
            share = self.settings[marketplace].duplicate_share
            return share > 0 and self._random[marketplace].random() < share
