"""Small parsers every connector shares."""

from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (UTC when the marketplace leaves the zone out)."""
    if isinstance(value, str) and value:
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
