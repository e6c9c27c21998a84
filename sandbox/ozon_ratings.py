"""Fake Ozon seller ratings, derived from the cabinet's chats.

Source of truth: specs/ozon-seller-swagger-2025-08.json, tag SellerRating: POST /v1/rating/summary
(v1Empty → v1RatingSummaryV1Response) and POST /v1/rating/history (v1RatingHistoryV1Request →
v1RatingHistoryV1Response). The spec gives no unit for `TIME` values; the sandbox answers in minutes.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.world import AUTHOR_BUYER, AUTHOR_SELLER, Cabinet, iso_utc

DAY_MS = 24 * 60 * 60 * 1000
WINDOW_DAYS = 30
GROUP_NAME = "Работа с покупателями"


@dataclass(frozen=True, slots=True)
class RatingRule:
    rating: str
    name: str
    value_type: str
    direction: str
    premium_threshold: float
    warning_threshold: float
    danger_threshold: float


RULES = (
    RatingRule("rating_reaction_time", "Время реакции", "TIME", "LOWER_IS_BETTER", 60.0, 240.0, 720.0),
    RatingRule(
        "rating_average_response_time", "Среднее время ответа", "TIME", "LOWER_IS_BETTER", 60.0, 240.0, 720.0
    ),
    RatingRule(
        "rating_replied_dialogs_ratio",
        "Доля ответов за 24 часа",
        "PERCENT",
        "HIGHER_IS_BETTER",
        90.0,
        80.0,
        60.0,
    ),
)
RULES_BY_CODE = {rule.rating: rule for rule in RULES}


def _waits(cabinet: Cabinet, *, start_ms: int, end_ms: int) -> tuple[list[int], list[int], int, int]:
    """(first-message waits, every turn's wait, dialogs, dialogs answered within 24 h) in ms.

    A turn starts at a buyer message that follows a seller message (or opens the chat) and ends at the
    next seller message; turns starting in [start_ms, end_ms) count."""
    first_waits: list[int] = []
    waits: list[int] = []
    dialogs = answered = 0
    for chat in cabinet.chats.values():
        if chat.chat_type == "SELLER_SUPPORT":
            continue
        turn_start: int | None = None
        first_buyer: int | None = None
        first_reply: int | None = None
        for message in chat.messages:
            if message.author == AUTHOR_BUYER:
                if turn_start is None:
                    turn_start = message.created_ms
                if first_buyer is None:
                    first_buyer = message.created_ms
            elif message.author == AUTHOR_SELLER and turn_start is not None:
                if start_ms <= turn_start < end_ms:
                    waits.append(message.created_ms - turn_start)
                    if first_reply is None:
                        first_waits.append(message.created_ms - turn_start)
                if first_reply is None:
                    first_reply = message.created_ms
                turn_start = None
        if first_buyer is not None and start_ms <= first_buyer < end_ms:
            dialogs += 1
            if first_reply is not None and first_reply - first_buyer <= DAY_MS:
                answered += 1
    return first_waits, waits, dialogs, answered


def _minutes(values: list[int]) -> float:
    return round(sum(values) / len(values) / 60000, 1) if values else 0.0


def rating_values(cabinet: Cabinet, *, end_ms: int) -> dict[str, float]:
    """Each chat rating over the WINDOW_DAYS days before end_ms."""
    first_waits, waits, dialogs, answered = _waits(
        cabinet, start_ms=end_ms - WINDOW_DAYS * DAY_MS, end_ms=end_ms
    )
    return {
        "rating_reaction_time": _minutes(first_waits),
        "rating_average_response_time": _minutes(waits),
        "rating_replied_dialogs_ratio": round(100 * answered / dialogs, 1) if dialogs else 100.0,
    }


def _is_worse(rule: RatingRule, value: float, threshold: float) -> bool:
    return value > threshold if rule.direction == "LOWER_IS_BETTER" else value < threshold


def status_flags(rule: RatingRule, value: float) -> dict[str, bool]:
    return {
        "danger": _is_worse(rule, value, rule.danger_threshold),
        "premium": not _is_worse(rule, value, rule.premium_threshold),
        "warning": _is_worse(rule, value, rule.warning_threshold),
    }


def status_name(rule: RatingRule, value: float) -> str:
    flags = status_flags(rule, value)
    return "CRITICAL" if flags["danger"] else "WARNING" if flags["warning"] else "OK"


def _change(rule: RatingRule, current: float, past: float) -> dict[str, str]:
    if current == past:
        return {"direction": "DIRECTION_NONE", "meaning": "MEANING_NONE"}
    rise = current > past
    good = rise == (rule.direction == "HIGHER_IS_BETTER")
    return {
        "direction": "DIRECTION_RISE" if rise else "DIRECTION_FALL",
        "meaning": "MEANING_GOOD" if good else "MEANING_BAD",
    }


def summary_payload(cabinet: Cabinet, *, now_ms: int) -> dict[str, Any]:
    current = rating_values(cabinet, end_ms=now_ms)
    past = rating_values(cabinet, end_ms=now_ms - DAY_MS)
    items = [
        {
            "rating": rule.rating,
            "name": rule.name,
            "current_value": current[rule.rating],
            "past_value": past[rule.rating],
            "status": status_name(rule, current[rule.rating]),
            "value_type": rule.value_type,
            "rating_direction": rule.direction,
            "change": _change(rule, current[rule.rating], past[rule.rating]),
        }
        for rule in RULES
    ]
    return {
        "groups": [{"group_name": GROUP_NAME, "items": items}],
        "localization_index": [],
        "penalty_score_exceeded": False,
        "premium": cabinet.premium,
        "premium_plus": cabinet.premium,
    }


def parse_moment(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def history_payload(cabinet: Cabinet, *, codes: list[str], start_ms: int, end_ms: int) -> dict[str, Any]:
    """One value per day ending in [start_ms, end_ms], each over the 30 days before its end."""
    ratings = []
    for code in codes:
        rule = RULES_BY_CODE.get(code)
        if rule is None:
            continue
        values = []
        day_end = end_ms
        while day_end > start_ms and len(values) < 366:
            value = rating_values(cabinet, end_ms=day_end)[code]
            values.append(
                {
                    "date_from": iso_utc(day_end - WINDOW_DAYS * DAY_MS),
                    "date_to": iso_utc(day_end),
                    "status": status_flags(rule, value),
                    "value": value,
                }
            )
            day_end -= DAY_MS
        values.reverse()
        ratings.append(
            {
                "rating": code,
                "danger_threshold": rule.danger_threshold,
                "premium_threshold": rule.premium_threshold,
                "warning_threshold": rule.warning_threshold,
                "values": values,
            }
        )
    return {"premium_scores": [], "ratings": ratings}
