"""Ozon's own seller ratings (the chat figures among them), read-only.

Spec: specs/ozon-seller-swagger-2025-08.json, tag SellerRating:
POST /v1/rating/summary (RatingAPI_RatingSummaryV1: v1Empty → v1RatingSummaryV1Response) and
POST /v1/rating/history (RatingAPI_RatingHistoryV1: v1RatingHistoryV1Request → v1RatingHistoryV1Response).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.http import Response
from marketplaces.ozon.dialect import DIALECT, LABEL, error_text

RATING_SUMMARY_PATH = "/v1/rating/summary"
RATING_HISTORY_PATH = "/v1/rating/history"

# The three chat ratings of v1RatingHistoryV1Request.ratings (the ones our reports can stand beside).
CHAT_RATINGS = ("rating_reaction_time", "rating_average_response_time", "rating_replied_dialogs_ratio")


@dataclass(frozen=True, slots=True)
class RatingItem:
    """v1RatingItem of one RatingSummaryV1ResponseGroup."""

    group_name: str
    rating: str
    name: str
    current_value: float | None
    past_value: float | None
    status: str
    value_type: str
    rating_direction: str
    change_direction: str
    change_meaning: str


@dataclass(frozen=True, slots=True)
class RatingSummary:
    items: tuple[RatingItem, ...]
    premium: bool
    premium_plus: bool
    penalty_score_exceeded: bool


@dataclass(frozen=True, slots=True)
class RatingPoint:
    """RatingValue: one period's value with its v1RatingStatus flags."""

    date_from: datetime | None
    date_to: datetime | None
    value: float | None
    danger: bool
    premium: bool
    warning: bool


@dataclass(frozen=True, slots=True)
class RatingHistory:
    """v1Rating: thresholds and values of one rating over the asked period."""

    rating: str
    danger_threshold: float | None
    premium_threshold: float | None
    warning_threshold: float | None
    points: tuple[RatingPoint, ...]


class Poster(Protocol):
    def __call__(self, path: str, body: Mapping[str, Any], *, ok_statuses: Iterable[int]) -> Response: ...


def _unavailable(response: Response) -> errors.MarketplaceError:
    text = error_text(response)
    if response.status == 403:
        forbidden = DIALECT.forbidden(response, text) if DIALECT.forbidden else None
        if isinstance(forbidden, errors.AuthError):
            return forbidden
    detail = _(" (Ozon's answer: %(text)s)") % {"text": text} if text else ""
    return errors.CapabilityError(
        _(
            "Ozon did not give the seller ratings: they need a Premium subscription and an API key "
            "with access to ratings"
        )
        + detail,
        status=response.status,
    )


def _call(post: Poster, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
    response = post(path, body, ok_statuses=(200, 403, 404))
    if response.status != 200:
        raise _unavailable(response)
    parsed = response.json()
    if not isinstance(parsed, dict):
        raise errors.schema_error(marketplace=LABEL, what=path)
    return parsed


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _list(value: Any, *, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise errors.schema_error(marketplace=LABEL, what=what)
    return value


def rating_summary_fetch(*, post: Poster) -> RatingSummary:
    parsed = _call(post, RATING_SUMMARY_PATH, {})
    items = []
    for group in _list(parsed.get("groups"), what=RATING_SUMMARY_PATH):
        for item in _list(group.get("items"), what=RATING_SUMMARY_PATH):
            change = item.get("change") if isinstance(item.get("change"), dict) else {}
            items.append(
                RatingItem(
                    group_name=_text(group.get("group_name")),
                    rating=_text(item.get("rating")),
                    name=_text(item.get("name")),
                    current_value=_number(item.get("current_value")),
                    past_value=_number(item.get("past_value")),
                    status=_text(item.get("status")),
                    value_type=_text(item.get("value_type")),
                    rating_direction=_text(item.get("rating_direction")),
                    change_direction=_text(change.get("direction")),
                    change_meaning=_text(change.get("meaning")),
                )
            )
    return RatingSummary(
        items=tuple(items),
        premium=parsed.get("premium") is True,
        premium_plus=parsed.get("premium_plus") is True,
        penalty_score_exceeded=parsed.get("penalty_score_exceeded") is True,
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rating_history_fetch(
    *, post: Poster, date_from: datetime, date_to: datetime, ratings: Sequence[str]
) -> tuple[RatingHistory, ...]:
    body = {
        "date_from": _iso(date_from),
        "date_to": _iso(date_to),
        "ratings": list(ratings),
        "with_premium_scores": False,
    }
    parsed = _call(post, RATING_HISTORY_PATH, body)
    histories = []
    for rating in _list(parsed.get("ratings"), what=RATING_HISTORY_PATH):
        points = []
        for value in _list(rating.get("values"), what=RATING_HISTORY_PATH):
            status = value.get("status") if isinstance(value.get("status"), dict) else {}
            points.append(
                RatingPoint(
                    date_from=_moment(value.get("date_from")),
                    date_to=_moment(value.get("date_to")),
                    value=_number(value.get("value")),
                    danger=status.get("danger") is True,
                    premium=status.get("premium") is True,
                    warning=status.get("warning") is True,
                )
            )
        histories.append(
            RatingHistory(
                rating=_text(rating.get("rating")),
                danger_threshold=_number(rating.get("danger_threshold")),
                premium_threshold=_number(rating.get("premium_threshold")),
                warning_threshold=_number(rating.get("warning_threshold")),
                points=tuple(points),
            )
        )
    return tuple(histories)
