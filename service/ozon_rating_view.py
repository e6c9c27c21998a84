"""Ozon's own chat ratings as rows for /reports/, each beside the nearest figure we compute ourselves."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import MarketplaceAccount
from marketplaces.ozon.spec import OZON_SPEC
from service.models import OzonRating, OzonRatingFetch
from service.templatetags.service_format import duration_seconds, share

RATING_LABELS = {
    "rating_reaction_time": _("Reaction time (first message)"),
    "rating_average_response_time": _("Average response time"),
    "rating_replied_dialogs_ratio": _("Dialogs answered within 24 h"),
}
STATUS_LABELS = {"OK": _("OK"), "WARNING": _("Needs attention"), "CRITICAL": _("Critical")}
# Our nearest figure: (how to read it from a report row, what it is).
OUR_FIGURES = {
    "rating_reaction_time": (
        lambda row: duration_seconds(row["first_response"]["median_seconds"]),
        _("first response, median"),
    ),
    "rating_average_response_time": (
        lambda row: duration_seconds(row["response"]["mean_seconds"]),
        _("response, mean"),
    ),
    "rating_replied_dialogs_ratio": (
        lambda row: share(row["answered_within_24h_ratio"]),
        _("turns answered within 24 h"),
    ),
}


def _display(value: float | None, value_type: str) -> str:
    if value is None:
        return "—"
    if value_type == "TIME":
        # Ozon gives no unit in the spec; its cabinet shows these in minutes.
        return duration_seconds(value * 60)
    if value_type == "PERCENT":
        return f"{value:.1f} %"
    return f"{value:g}"


def _rating_row(rating: OzonRating, *, ours: dict[str, Any] | None) -> dict[str, Any]:
    read, our_label = OUR_FIGURES.get(rating.rating, (None, ""))
    return {
        "code": rating.rating,
        "label": RATING_LABELS.get(rating.rating, rating.name or rating.rating),
        "value": _display(rating.value, rating.value_type),
        "past_value": _display(rating.past_value, rating.value_type),
        "status": rating.status,
        "status_label": STATUS_LABELS.get(rating.status, _("Unknown")),
        "premium_threshold": _display(rating.premium_threshold, rating.value_type),
        "warning_threshold": _display(rating.warning_threshold, rating.value_type),
        "danger_threshold": _display(rating.danger_threshold, rating.value_type),
        "ours": read(ours) if read and ours else "—",
        "ours_label": our_label,
    }


def ozon_rating_sections(
    *, accounts: list[MarketplaceAccount], account_rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One section per Ozon account the user sees: its fetch state and ratings (empty lists say why)."""
    ozon_accounts = [account for account in accounts if account.marketplace == OZON_SPEC.name]
    fetches = {fetch.account_id: fetch for fetch in OzonRatingFetch.objects.filter(account__in=ozon_accounts)}
    ratings: dict[int, list[OzonRating]] = {}
    for rating in OzonRating.objects.filter(account__in=ozon_accounts).order_by("pk"):
        ratings.setdefault(rating.account_id, []).append(rating)
    ours = {row["key"]: row for row in account_rows}
    order = list(RATING_LABELS)
    sections = []
    for account in ozon_accounts:
        stored = sorted(
            ratings.get(account.pk, []),
            key=lambda item: order.index(item.rating) if item.rating in order else len(order),
        )
        sections.append(
            {
                "account": account,
                "fetch": fetches.get(account.pk),
                "fetched_at": max((item.fetched_at for item in stored), default=None),
                "rows": [_rating_row(item, ours=ours.get(account.pk)) for item in stored],
            }
        )
    return sections
