"""Rate-limit state shared by every worker process (the default cache is per-process, so it lives here)."""

from django.db import models


class RateLimitBucket(models.Model):
    """A token bucket per (account, method group). Times are Unix seconds from the limiter's clock."""

    key = models.CharField(max_length=200, unique=True)
    tokens = models.FloatField()
    updated_at = models.FloatField()
    # Set when the marketplace itself answered "too many requests": nobody sends before this moment.
    blocked_until = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return self.key


class ConcurrencySlot(models.Model):
    """One of N parallel-request slots (Yandex Market allows 4 per business); expires if a worker dies."""

    key = models.CharField(max_length=200)
    slot = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=64, blank=True, default="")
    expires_at = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "slot"], name="marketplaces_slot_key_slot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key}#{self.slot}"
