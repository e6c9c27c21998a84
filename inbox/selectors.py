"""Reads for chats and messages. Every query starts from what the user is allowed to see."""

import base64
import binascii
import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, Count, DateTimeField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import MarketplaceAccount
from accounts.selectors import user_sees_all_accounts
from inbox.chat_search import chat_search_condition, chat_search_page_applied
from inbox.models import NEGATIVE_LAST_RANK, Chat, Message
from inbox.snooze import chat_status_effective, snooze_passed_condition
from marketplaces.registry import spec_for

SORT_ACTIVITY = "activity"
SORT_WAITING = "waiting"
SORT_DEADLINE = "deadline"
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
SLA_FILTERS = (Chat.SlaState.AT_RISK.value, Chat.SlaState.BREACHED.value)
# Negative chats first (DESIGN.md §16 "negative first in triage"), each group by newest activity.
SORT_NEGATIVE = "negative"
STATUS_ALL = "all"
ASSIGNED_MINE = "mine"
ASSIGNED_NOBODY = "unassigned"
MAXIMUM_PAGE_SIZE = 200

# The largest id a database column holds (64-bit signed integers).
LARGEST_ID = 2**63 - 1


def chat_queryset_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Chat]:
    if not user.is_authenticated or not user.is_active:
        return Chat.objects.none()
    chats = Chat.objects.all()
    if user_sees_all_accounts(user=user):
        return chats
    member_accounts = MarketplaceAccount.objects.filter(members=user).values("pk")
    return chats.filter(account_id__in=member_accounts)


def chat_get_for_user(*, user: AbstractBaseUser | AnonymousUser, chat_id: int) -> Chat:
    """The chat if the user may see it; raises Chat.DoesNotExist otherwise (callers answer 404)."""
    return (
        chat_queryset_for_user(user=user)
        .select_related("account", "account__sync_state", "assignee")
        .defer("account__credentials")
        .get(pk=chat_id)
    )


def message_list_for_chat(*, chat: Chat) -> QuerySet[Message]:
    return Message.objects.filter(chat=chat).order_by("created_at", "id")


# --- Chat list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatFilters:
    """What the agent asked the list for; every field comes from a query string, so all are optional."""

    marketplace: str = ""
    account_id: int | None = None
    status: str = Chat.Status.OPEN
    unread_only: bool = False
    assigned: str = ""
    awaiting_only: bool = False
    query: str = ""
    sort: str = SORT_ACTIVITY
    sla_state: str = ""
    topic: str = ""
    sentiment: str = ""


@dataclass(frozen=True)
class Page:
    items: list = field(default_factory=list)
    next_cursor: str = ""


def cursor_encode(*, moment: datetime, row_id: int) -> str:
    raw = f"{moment.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _keyset_page(*, rows: list, limit: int, moment_field: str) -> Page:
    """`rows` were fetched with one extra: if it came, there is a next page, keyed on the last row kept."""
    if len(rows) <= limit:
        return Page(items=rows)
    rows = rows[:limit]
    last = rows[-1]
    return Page(items=rows, next_cursor=cursor_encode(moment=getattr(last, moment_field), row_id=last.pk))


def cursor_decode(*, cursor: str) -> tuple[datetime, int] | None:
    """(moment, id) from an opaque cursor; None for anything malformed (the caller starts from the top)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, row_id_text = raw.rsplit("|", 1)
        moment = parse_datetime(moment_text)
        row_id = int(row_id_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment, row_id


def chat_status_condition(*, status: str, now: datetime) -> Q:
    """Chats an agent sees under `status`. A snooze whose time has passed counts as open at once, so
    the list never depends on the wake-up task having run yet (services.chat_snoozes_wake)."""
    if status == Chat.Status.OPEN:
        return Q(status=Chat.Status.OPEN) | snooze_passed_condition(now=now)
    if status == Chat.Status.SNOOZED:
        return Q(status=Chat.Status.SNOOZED, snoozed_until__gt=now)
    return Q(status=status)


def chat_filtered_for_user(*, user: AbstractBaseUser | AnonymousUser, filters: ChatFilters) -> QuerySet[Chat]:
    chats = chat_queryset_for_user(user=user)
    if filters.marketplace:
        chats = chats.filter(account__marketplace=filters.marketplace)
    if filters.account_id is not None:
        # An id past the database's integers names no account (and would be a driver error as a parameter).
        if filters.account_id > LARGEST_ID:
            chats = chats.none()
        else:
            chats = chats.filter(account_id=filters.account_id)
    if filters.status and filters.status != STATUS_ALL:
        chats = chats.filter(chat_status_condition(status=filters.status, now=timezone.now()))
    if filters.unread_only:
        chats = chats.filter(unread_count__gt=0)
    if filters.assigned == ASSIGNED_MINE:
        chats = chats.filter(assignee=user)
    elif filters.assigned == ASSIGNED_NOBODY:
        chats = chats.filter(assignee__isnull=True)
    if filters.topic:
        chats = chats.filter(topic=filters.topic)
    if filters.sentiment:
        chats = chats.filter(sentiment=filters.sentiment)
    if filters.awaiting_only or filters.sort == SORT_WAITING:
        chats = chats.filter(awaiting_reply_since__isnull=False)
    if filters.sla_state:
        chats = chats.filter(sla_state=filters.sla_state)
    query = filters.query.strip()
    if query:
        chats = chats.filter(chat_search_condition(query=query))
    return chats


def chat_page_for_user(
    *,
    user: AbstractBaseUser | AnonymousUser,
    filters: ChatFilters,
    cursor: str = "",
    limit: int = 50,
) -> Page:
    """One keyset page: stable while new chats arrive, no COUNT(*), served by the activity indexes.

    Chats without any message yet (no last_message_at) are left out: there is nothing to answer.
    """
    limit = max(1, min(limit, MAXIMUM_PAGE_SIZE))
    query = filters.query.strip()
    # The encrypted credentials would be decrypted once per row: nothing in a list needs them.
    chats = (
        chat_filtered_for_user(user=user, filters=replace(filters, query=""))
        .select_related("account", "assignee")
        .defer("account__credentials")
    )
    if filters.sort == SORT_NEGATIVE:
        return _negative_first_page(chats=chats, cursor=cursor, limit=limit, query=query)
    position = cursor_decode(cursor=cursor)
    if filters.sort == SORT_WAITING:
        chats = chats.order_by("awaiting_reply_since", "id")
        if position:
            moment, row_id = position
            chats = chats.filter(
                Q(awaiting_reply_since__gt=moment) | Q(awaiting_reply_since=moment, id__gt=row_id)
            )
    elif filters.sort == SORT_DEADLINE:
        # Chats without a deadline (no open turn, or not computed yet) come last, and so do chats whose
        # reply window closed: their deadline passed, but nobody can answer them any more.
        no_deadline = Value(NO_DEADLINE, output_field=DateTimeField())
        chats = chats.annotate(
            deadline_order=Case(
                When(sla_state=Chat.SlaState.CLOSED, then=no_deadline),
                default=Coalesce("reply_deadline", no_deadline),
            )
        ).order_by("deadline_order", "id")
        if position:
            moment, row_id = position
            chats = chats.filter(Q(deadline_order__gt=moment) | Q(deadline_order=moment, id__gt=row_id))
    else:
        chats = chats.filter(last_message_at__isnull=False).order_by("-last_message_at", "-id")
        if position:
            moment, row_id = position
            chats = chats.filter(Q(last_message_at__lt=moment) | Q(last_message_at=moment, id__lt=row_id))
    moment_field = {SORT_WAITING: "awaiting_reply_since", SORT_DEADLINE: "deadline_order"}.get(
        filters.sort, "last_message_at"
    )
    chats = chat_search_page_applied(chats=chats, query=query, limit=limit)
    return _keyset_page(rows=list(chats[: limit + 1]), limit=limit, moment_field=moment_field)


def _negative_first_page(*, chats: QuerySet[Chat], cursor: str, limit: int, query: str) -> Page:
    """Keyset page on (negative first, newest activity, id); the cursor carries the rank ("0." / "1.")."""
    chats = (
        chats.filter(last_message_at__isnull=False)
        .annotate(negative_rank=NEGATIVE_LAST_RANK)
        .order_by("negative_rank", "-last_message_at", "-id")
    )
    rank_text, _, rest = cursor.partition(".")
    position = cursor_decode(cursor=rest) if rank_text in ("0", "1") else None
    if position:
        moment, row_id = position
        rank = int(rank_text)
        chats = chats.filter(
            Q(negative_rank__gt=rank)
            | Q(negative_rank=rank, last_message_at__lt=moment)
            | Q(negative_rank=rank, last_message_at=moment, id__lt=row_id)
        )
    chats = chat_search_page_applied(chats=chats, query=query, limit=limit)
    page = _keyset_page(rows=list(chats[: limit + 1]), limit=limit, moment_field="last_message_at")
    if page.next_cursor:
        page = Page(items=page.items, next_cursor=f"{page.items[-1].negative_rank}.{page.next_cursor}")
    return page


@dataclass(frozen=True)
class MarketplaceCounts:
    open_chats: int = 0
    unread_chats: int = 0


def chat_counts_by_marketplace(*, user: AbstractBaseUser | AnonymousUser) -> dict[str, MarketplaceCounts]:
    """Open and unread chats per marketplace in one grouped query (chats, never messages)."""
    is_open = chat_status_condition(status=Chat.Status.OPEN, now=timezone.now())
    rows = (
        chat_queryset_for_user(user=user)
        .filter(is_open | Q(unread_count__gt=0))
        .values("account__marketplace")
        # Counting account_id (never NULL), not id: PostgreSQL then answers from chat_account_counts_idx
        # alone, without reading the chat rows.
        .annotate(
            open_chats=Count("account_id", filter=is_open),
            unread_chats=Count("account_id", filter=Q(unread_count__gt=0)),
        )
        .order_by()
    )
    return {
        row["account__marketplace"]: MarketplaceCounts(
            open_chats=row["open_chats"], unread_chats=row["unread_chats"]
        )
        for row in rows
    }


# --- Thread ------------------------------------------------------------------------------------------


def message_recent_for_chat(*, chat: Chat, limit: int = 100, before: str = "") -> Page:
    """The newest `limit` messages (older than the `before` cursor), returned oldest first for display.

    `next_cursor` points at still older messages when there are any.
    """
    messages = Message.objects.filter(chat=chat).select_related("sent_by").order_by("-created_at", "-id")
    position = cursor_decode(cursor=before)
    if position:
        moment, row_id = position
        messages = messages.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=row_id))
    page = _keyset_page(rows=list(messages[: limit + 1]), limit=limit, moment_field="created_at")
    page.items.reverse()
    return page


def message_page_for_chat(*, chat: Chat, cursor: str = "", limit: int = 50) -> Page:
    """Oldest first, keyset-paginated forward (for the API)."""
    limit = max(1, min(limit, MAXIMUM_PAGE_SIZE))
    messages = message_list_for_chat(chat=chat)
    position = cursor_decode(cursor=cursor)
    if position:
        moment, row_id = position
        messages = messages.filter(Q(created_at__gt=moment) | Q(created_at=moment, id__gt=row_id))
    return _keyset_page(rows=list(messages[: limit + 1]), limit=limit, moment_field="created_at")


def message_get_for_chat(*, chat: Chat, message_id: int) -> Message:
    """Raises Message.DoesNotExist when the message is not in this chat."""
    return Message.objects.get(chat=chat, pk=message_id)


def thread_signature(*, chat: Chat) -> str:
    """A cheap fingerprint of what the open thread shows; polling answers "no change" while it holds.

    Covers new messages, delivery state changes (pending/failed counts) and chat status/assignee edits.
    """
    summary = Message.objects.filter(chat=chat).aggregate(
        count=Count("id"),
        in_flight=Count(
            "id",
            filter=Q(
                delivery_status__in=[
                    Message.DeliveryStatus.PENDING,
                    Message.DeliveryStatus.SENDING,
                    Message.DeliveryStatus.UNKNOWN,
                ]
            ),
        ),
        failed=Count("id", filter=Q(delivery_status=Message.DeliveryStatus.FAILED)),
        matched=Count("id", filter=Q(external_id__isnull=False)),
        edited=Max("edited_at"),
    )
    # Every stored field the header may show, but not the unread counter and its stamp: the agent's own
    # opening of the chat marks it read, and that must not re-render the pane under an open menu.
    header = sorted(
        (name, value)
        for name, value in vars(chat).items()
        if not name.startswith("_") and name not in ("unread_count", "updated_at")
    )
    header_hash = hashlib.sha256(repr((header, summary["edited"])).encode()).hexdigest()[:12]
    # The effective status: the header drops "snoozed until …" the moment that time passes.
    status = chat_status_effective(chat=chat)
    return (
        f"{summary['count']}.{summary['in_flight']}.{summary['failed']}.{summary['matched']}."
        f"{status}.{chat.assignee_id or 0}.{header_hash}"
    )


def member_list_for_account(*, account: MarketplaceAccount) -> QuerySet:
    return account.members.filter(is_active=True).order_by("first_name", "last_name", "username")


# --- Reply window --------------------------------------------------------------------------------------


def chat_reply_block(*, chat: Chat, now: datetime | None = None) -> str | None:
    """Why the marketplace will not take a reply in this chat now (the reason to show), or None.

    The one place that decides it: the chat pane hides the reply box on it, and the reply entry point
    refuses. It reads what the deadlines service stores on the chat (`can_reply`,
    `reply_window_closes_at`, recomputed as messages arrive and every minute) and, so a status change
    shows at once, the marketplace's closed statuses from its spec.
    """
    window = spec_for(chat.account.marketplace).reply_window
    now = now or timezone.now()
    closed = (
        not chat.can_reply
        or (chat.reply_window_closes_at is not None and chat.reply_window_closes_at <= now)
        or bool(chat.marketplace_status and chat.marketplace_status.upper() in window.closed_statuses)
    )
    if not closed:
        return None
    return str(window.reason or _("the marketplace takes no reply in this chat"))


def chat_sla_state_effective(*, chat: Chat, now: datetime | None = None) -> str:
    """The stored SLA state, or `closed` as soon as the reply window closed while a buyer waits
    (DESIGN.md §13's order), before the minute task stores it."""
    if chat.sla_state != Chat.SlaState.NONE and chat_reply_block(chat=chat, now=now) is not None:
        return Chat.SlaState.CLOSED
    return chat.sla_state


def chat_next_after(*, chat: Chat, listed: list[int], user: AbstractBaseUser | AnonymousUser) -> Chat | None:
    """The chat to open once `chat` left the list: the one listed below it, else the one above it.

    `listed` holds the ids the agent's list showed (in order) before `chat` left it.
    """
    if chat.pk in listed:
        position = listed.index(chat.pk)
        candidates = listed[position + 1 :] + listed[:position][::-1]
    else:
        candidates = listed
    visible = set(chat_queryset_for_user(user=user).filter(pk__in=candidates).values_list("pk", flat=True))
    following = next((pk for pk in candidates if pk in visible and pk != chat.pk), None)
    if following is None:
        return None
    return chat_get_for_user(user=user, chat_id=following)
