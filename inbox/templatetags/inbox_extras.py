"""Small display helpers for the inbox templates."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlencode

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from marketplaces.registry import MARKETPLACE_SPECS

register = template.Library()

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
ATTACHMENT_PREVIEW_MARK = "📎"


def _babel_locale() -> Locale:
    code = translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def date_words(*, day: date, with_month_name: bool = True) -> str:
    """A day as people write it: "28 ноября" / "November 28"; abbreviated: "22 нояб." / "Nov 22".

    Django's "j F" gives the nominative ("28 Ноябрь") and "j M" a capitalised stem ("22 Ноя"); the CLDR
    patterns from Babel carry the genitive and the usual abbreviations. The year is added when it is
    not the current one.
    """
    locale = _babel_locale()
    if day.year != timezone.localdate().year:
        return format_date(day, "long" if with_month_name else "medium", locale=locale)
    return format_skeleton("MMMMd" if with_month_name else "MMMd", day, locale=locale)


@register.filter
def compact_age(moment: datetime | None) -> str:
    """ "just now", "5 min", "3 h", "2 d"; older than a week: the date. Agents scan a column of these."""
    if moment is None:
        return ""
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < MINUTE:
        return _("just now")
    if seconds < HOUR:
        return _("%(count)d min") % {"count": seconds // MINUTE}
    if seconds < DAY:
        return _("%(count)d h") % {"count": seconds // HOUR}
    if seconds < 7 * DAY:
        return _("%(count)d d") % {"count": seconds // DAY}
    return date_words(day=timezone.localtime(moment).date(), with_month_name=False)


def _is_fresh(moment: datetime) -> bool:
    return (timezone.now() - moment).total_seconds() < MINUTE


@register.filter
def waiting_label(moment: datetime | None) -> str:
    """The list badge: "ждёт 5 мин", "ждёт 22 нояб.", and "ждёт меньше минуты" for a new question."""
    if moment is None:
        return ""
    if _is_fresh(moment):
        return _("waiting under a minute")
    return _("waiting %(age)s") % {"age": compact_age(moment)}


@register.filter
def synced_label(moment: datetime | None) -> str:
    if moment is None:
        return _("not synced yet")
    if _is_fresh(moment):
        return _("synced just now")
    return _("synced %(age)s") % {"age": compact_age(moment)}


@register.filter
def short_moment(moment: datetime | None) -> str:
    """ "22 нояб. 14:05" / "Nov 22 14:05"."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{date_words(day=local.date(), with_month_name=False)} {local:%H:%M}"


@register.filter
def waiting_level(moment: datetime | None) -> str:
    """CSS level for how long a buyer has waited: calm under an hour, warm under four, hot after."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < HOUR:
        return "calm"
    if seconds < 4 * HOUR:
        return "warm"
    return "hot"


@register.filter
def day_label(moment: datetime) -> str:
    local = timezone.localtime(moment)
    today = timezone.localdate()
    if local.date() == today:
        return _("Today")
    if (today - local.date()).days == 1:
        return _("Yesterday")
    return date_words(day=local.date())


def file_name_decoded(name: str) -> str:
    """Marketplaces hand some file names over percent-encoded ("%D1%84%D0%BE%D1%82%D0%BE.png")."""
    return unquote(name) if "%" in name else name


@register.filter
def attachment_items(attachments: object) -> list[tuple[int, dict]]:
    """(index, item) pairs of well-formed attachment dicts, names decoded; the index addresses the
    download view."""
    if not isinstance(attachments, list):
        return []
    return [
        (index, {**item, "name": file_name_decoded(str(item.get("name") or ""))})
        for index, item in enumerate(attachments)
        if isinstance(item, dict)
    ]


@register.filter
def files_preview(preview: str) -> str | None:
    """The file names of a files-only list preview ("📎 name, name"), decoded; None for any other."""
    if not preview.startswith(ATTACHMENT_PREVIEW_MARK):
        return None
    return file_name_decoded(preview.removeprefix(ATTACHMENT_PREVIEW_MARK).strip())


@register.filter
def marketplace_short(marketplace: str) -> str:
    spec = MARKETPLACE_SPECS.get(marketplace)
    return str(spec.short_label) if spec else marketplace


@register.filter
def marketplace_label(marketplace: str) -> str:
    spec = MARKETPLACE_SPECS.get(marketplace)
    return str(spec.label) if spec else marketplace


@register.simple_tag
def with_query(base: str, filter_query: str = "", **parameters: object) -> str:
    """`base` + the list's filter query + more parameters, joined with the right "?" or "&"."""
    extra = urlencode({name: value for name, value in parameters.items() if value not in (None, "")})
    query = "&".join(part for part in (filter_query.lstrip("?"), extra) if part)
    return f"{base}?{query}" if query else base


@register.simple_tag(takes_context=True)
def chat_action(context: template.Context, route: str, **htmx: str) -> SafeString:
    """The attributes of a chat action form: POST to `route` keeping the list's filters, swapped into
    the open chat by htmx (extra hx-* attributes as keywords: trigger="change")."""
    chat = context["chat"]
    url = reverse(route, args=[chat.pk]) + context.get("filter_query", "")
    attributes = {"hx-target": "#chat-live", "hx-swap": "outerHTML"}
    attributes.update({f"hx-{name}": value for name, value in htmx.items()})
    extra = format_html_join(" ", '{}="{}"', ((name, value) for name, value in attributes.items() if value))
    return format_html('method="post" action="{}" hx-post="{}" {}', url, url, extra)


@register.filter
def price_label(item: dict) -> str:
    """A product card's price: "1 290 ₽" for roubles (or no currency given), else with its code."""
    price = item.get("price")
    if price in (None, ""):
        return ""
    currency = str(item.get("currency") or item.get("price_currency") or "RUB")
    # Connectors may store "500 RUB" (amount and ISO code in one string, as WB's goodCard gives them).
    parts = str(price).split()
    if len(parts) == 2 and parts[1].isalpha():
        price, currency = parts
    try:
        amount = number_format(Decimal(str(price).replace(",", ".")), force_grouping=True)
    except InvalidOperation:
        return str(item.get("price"))
    return f"{amount} ₽" if currency.upper() in ("RUB", "RUR") else f"{amount} {currency}"
