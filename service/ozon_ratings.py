"""Ozon's own chat ratings: fetched daily per active Ozon account (writes) and read for /reports/."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import MarketplaceAccount
from marketplaces import errors
from marketplaces.ozon.ratings import CHAT_RATINGS, RatingHistory, RatingItem
from marketplaces.ozon.spec import OZON_SPEC
from marketplaces.registry import get_connector
from service.models import OzonRating, OzonRatingFetch

logger = logging.getLogger(__name__)

HISTORY_DAYS = 30


def _history_points(history: RatingHistory | None) -> list[dict[str, Any]]:
    if history is None:
        return []
    return [
        {"date": point.date_to.isoformat() if point.date_to else None, "value": point.value}
        for point in history.points
    ]


def _rating_store(
    *,
    account: MarketplaceAccount,
    rating: str,
    item: RatingItem | None,
    history: RatingHistory | None,
    now: datetime,
) -> None:
    OzonRating.objects.update_or_create(
        account=account,
        rating=rating,
        defaults={
            "name": item.name if item else "",
            "value": item.current_value if item else None,
            "past_value": item.past_value if item else None,
            "status": item.status if item else "",
            "value_type": item.value_type if item else "",
            "direction": item.rating_direction if item else "",
            "warning_threshold": history.warning_threshold if history else None,
            "danger_threshold": history.danger_threshold if history else None,
            "premium_threshold": history.premium_threshold if history else None,
            "history": _history_points(history),
            "fetched_at": now,
        },
    )


def ozon_ratings_fetch(*, account: MarketplaceAccount, now: datetime | None = None) -> bool:
    """Fetch and store the account's chat ratings; a failure is recorded on OzonRatingFetch, not raised."""
    now = now or timezone.now()
    try:
        connector: Any = get_connector(account)
        summary = connector.rating_summary()
        histories = connector.rating_history(
            date_from=now - timedelta(days=HISTORY_DAYS), date_to=now, ratings=CHAT_RATINGS
        )
    except errors.MarketplaceError as error:
        OzonRatingFetch.objects.update_or_create(
            account=account, defaults={"attempted_at": now, "error": error.message}
        )
        logger.warning("Ozon ratings of account %s not fetched: %s", account.pk, error.message)
        return False
    items = {item.rating: item for item in summary.items}
    by_code = {history.rating: history for history in histories}
    with transaction.atomic():
        for rating in CHAT_RATINGS:
            if rating in items or rating in by_code:
                _rating_store(
                    account=account,
                    rating=rating,
                    item=items.get(rating),
                    history=by_code.get(rating),
                    now=now,
                )
        OzonRatingFetch.objects.update_or_create(
            account=account, defaults={"attempted_at": now, "succeeded_at": now, "error": ""}
        )
    return True


def ozon_ratings_fetch_all(*, now: datetime | None = None) -> int:
    """Every active Ozon account; returns how many were fetched successfully."""
    fetched = 0
    accounts = MarketplaceAccount.objects.filter(marketplace=OZON_SPEC.name, is_active=True).order_by("pk")
    for account in accounts:
        try:
            fetched += ozon_ratings_fetch(account=account, now=now)
        except Exception:  # one account's unexpected failure must not stop the others or the worker
            logger.exception("Ozon ratings of account %s failed", account.pk)
            OzonRatingFetch.objects.update_or_create(
                account=account,
                defaults={"attempted_at": now or timezone.now(), "error": "unexpected error, see the log"},
            )
    return fetched
