"""The chat-list state an agent sees, read from and written back to the query string."""

from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import Marketplace
from assist.classify.labels import SENTIMENTS, TOPICS
from inbox.models import Chat
from inbox.selectors import (
    ASSIGNED_MINE,
    ASSIGNED_NOBODY,
    SLA_FILTERS,
    SORT_ACTIVITY,
    SORT_DEADLINE,
    SORT_NEGATIVE,
    SORT_WAITING,
    STATUS_ALL,
    ChatFilters,
)

# The list's status filter, in the order the select shows it.
STATUS_CHOICES = (
    (Chat.Status.OPEN.value, _("Open")),
    (Chat.Status.SNOOZED.value, _("Snoozed")),
    (Chat.Status.RESOLVED.value, _("Resolved")),
    (STATUS_ALL, _("All statuses")),
)
STATUS_VALUES = frozenset(value for value, _label in STATUS_CHOICES)
DEFAULTS = {"status": Chat.Status.OPEN.value, "sort": SORT_ACTIVITY}
FILTER_PARAMETERS = (
    "tab",
    "account",
    "status",
    "unread",
    "assigned",
    "awaiting",
    "q",
    "sort",
    "sla",
    "topic",
    "sentiment",
)


def filters_from_query(*, query: QueryDict) -> ChatFilters:
    """Unknown or malformed values fall back to the default instead of failing the page."""
    tab = query.get("tab", "")
    account = query.get("account", "")
    status = query.get("status", DEFAULTS["status"])
    assigned = query.get("assigned", "")
    awaiting_only = query.get("awaiting") == "1"
    # "Awaiting reply" lists the soonest deadline first unless the agent chose another order.
    default_sort = SORT_DEADLINE if awaiting_only else DEFAULTS["sort"]
    sort = query.get("sort", default_sort)
    sla_state = query.get("sla", "")
    topic = query.get("topic", "")
    sentiment = query.get("sentiment", "")
    return ChatFilters(
        marketplace=tab if tab in Marketplace.values else "",
        account_id=int(account) if account.isdigit() else None,
        status=status if status in STATUS_VALUES else DEFAULTS["status"],
        unread_only=query.get("unread") == "1",
        assigned=assigned if assigned in (ASSIGNED_MINE, ASSIGNED_NOBODY) else "",
        awaiting_only=awaiting_only,
        query=query.get("q", "").strip()[:200],
        sort=sort if sort in (SORT_ACTIVITY, SORT_WAITING, SORT_DEADLINE, SORT_NEGATIVE) else default_sort,
        sla_state=sla_state if sla_state in SLA_FILTERS else "",
        topic=topic if topic in TOPICS else "",
        sentiment=sentiment if sentiment in SENTIMENTS else "",
    )


def filters_to_parameters(*, filters: ChatFilters) -> dict[str, str]:
    """Only what differs from the defaults, so URLs stay short and shareable."""
    parameters = {
        "tab": filters.marketplace,
        "account": str(filters.account_id) if filters.account_id is not None else "",
        "status": "" if filters.status == DEFAULTS["status"] else filters.status,
        "unread": "1" if filters.unread_only else "",
        "assigned": filters.assigned,
        "awaiting": "1" if filters.awaiting_only else "",
        "q": filters.query,
        "sort": ""
        if filters.sort == (SORT_DEADLINE if filters.awaiting_only else DEFAULTS["sort"])
        else filters.sort,
        "sla": filters.sla_state,
        "topic": filters.topic,
        "sentiment": filters.sentiment,
    }
    return {name: value for name, value in parameters.items() if value}


def filters_query_string(*, filters: ChatFilters, **overrides: str) -> str:
    """ "?tab=ozon&q=…" (or "" when everything is default); overrides replace or drop ("") parameters."""
    parameters = filters_to_parameters(filters=filters)
    for name, value in overrides.items():
        if value:
            parameters[name] = value
        else:
            parameters.pop(name, None)
    return f"?{urlencode(parameters)}" if parameters else ""
