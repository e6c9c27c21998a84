"""Turn what happened into outbox rows: one per (event, recipient, channel), never twice.

New buyer messages are found by scanning message ids past a stored position, so ingest (incremental
sync, push, backfill) needs no hook and no notification can be lost to a crash between the two.
Backfilled history is stored read and initial-sync history is old: neither notifies.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import SyncState
from inbox.models import Chat, Message
from notify.models import Channel, Event, Notification, NotificationSettings, NotifyState, TelegramLink
from notify.services.recipients import account_admins, users_seeing_account

# A buyer message older than this when we first see it is history (initial sync, a long outage).
NEW_MESSAGE_MAX_AGE = timedelta(minutes=30)
# Ids are assigned before commit, so a slower transaction can commit a lower id after we scanned past
# it: every scan looks this many ids back (the unique outbox key makes the re-read harmless).
SCAN_OVERLAP = 500
# Messages written before a cabinet was connected are its history (the first sync imports them).
ACCOUNT_CLOCK_MARGIN = timedelta(minutes=2)
SCAN_BATCH = 1000
SYNC_FAILING_AFTER = timedelta(minutes=15)
REPLY_FAILED_LOOKBACK = timedelta(days=1)


def _settings_by_user(user_ids: Iterable[int]) -> dict[int, NotificationSettings]:
    user_ids = set(user_ids)
    found = {row.user_id: row for row in NotificationSettings.objects.filter(user_id__in=set(user_ids))}
    return {user_id: found.get(user_id) or NotificationSettings(user_id=user_id) for user_id in set(user_ids)}


def _linked_user_ids(user_ids: Iterable[int]) -> set[int]:
    user_ids = set(user_ids)
    return set(
        TelegramLink.objects.filter(user_id__in=set(user_ids), blocked_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )


def _wants_new_message(mode: str, *, chat: Chat, user_id: int) -> bool:
    if mode == NotificationSettings.NewMessages.ALL:
        return True
    if mode == NotificationSettings.NewMessages.MINE:
        return chat.assignee_id is None or chat.assignee_id == user_id
    return False


def _rows_insert(rows: list[Notification]) -> int:
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _channels_for(
    *,
    user: AbstractBaseUser,
    linked: set[int],
    telegram: bool,
    email: bool,
) -> list[str]:
    channels = []
    if telegram and user.pk in linked:
        channels.append(Channel.TELEGRAM)
    if email and user.email:
        channels.append(Channel.EMAIL)
    return channels


def new_messages_scan(*, now: datetime | None = None) -> int:
    """Queue alerts for buyer messages stored since the last scan; returns the number of rows offered."""
    now = now or timezone.now()
    state, _created = NotifyState.objects.get_or_create(pk=1)
    start = max(state.last_message_id - SCAN_OVERLAP, 0)
    messages = list(
        Message.objects.filter(
            pk__gt=start, direction=Message.Direction.IN, author=Message.Author.BUYER, is_read=False
        )
        .select_related("chat", "chat__account")
        .order_by("pk")[:SCAN_BATCH]
    )
    highest = max([state.last_message_id, *(message.pk for message in messages)])
    fresh = [
        message
        for message in messages
        if message.created_at >= now - NEW_MESSAGE_MAX_AGE
        and message.created_at >= message.chat.account.created_at - ACCOUNT_CLOCK_MARGIN
        and message.chat.status != Chat.Status.RESOLVED
    ]
    rows: list[Notification] = []
    audiences: dict[int, list[AbstractBaseUser]] = {}
    for message in fresh:
        account_id = message.chat.account_id
        if account_id not in audiences:
            audiences[account_id] = list(users_seeing_account(account_id=account_id))
    everyone = {user.pk for users in audiences.values() for user in users}
    preferences = _settings_by_user(everyone)
    linked = _linked_user_ids(everyone)
    for message in fresh:
        for user in audiences[message.chat.account_id]:
            choice = preferences[user.pk]
            for channel in _channels_for(
                user=user,
                linked=linked,
                telegram=_wants_new_message(choice.telegram_new_messages, chat=message.chat, user_id=user.pk),
                email=_wants_new_message(choice.email_new_messages, chat=message.chat, user_id=user.pk),
            ):
                rows.append(
                    Notification(
                        event_key=f"message:{message.pk}",
                        event=Event.NEW_MESSAGE,
                        recipient=user,
                        channel=channel,
                        chat=message.chat,
                        message=message,
                        account_id=message.chat.account_id,
                        next_attempt_at=now,
                    )
                )
    with transaction.atomic():
        _rows_insert(rows)
        NotifyState.objects.filter(pk=1, last_message_id__lt=highest).update(last_message_id=highest)
    return len(rows)


def sla_notifications_create(*, chat: Chat, sla_state: str, now: datetime | None = None) -> int:
    """A chat moved into `at_risk` or `breached` while the product runs (DESIGN.md §15).

    At risk: its assignee. Breached: the assignee, else superusers and members who manage the account.
    """
    now = now or timezone.now()
    event = Event.SLA_BREACHED if sla_state == "breached" else Event.SLA_AT_RISK
    if chat.assignee_id is not None:
        users = list(users_seeing_account(account_id=chat.account_id).filter(pk=chat.assignee_id))
    elif event == Event.SLA_BREACHED:
        users = list(account_admins(account_id=chat.account_id))
    else:
        users = []
    preferences = _settings_by_user(user.pk for user in users)
    linked = _linked_user_ids(user.pk for user in users)
    deadline = chat.reply_deadline.isoformat() if chat.reply_deadline else ""
    rows = [
        Notification(
            event_key=f"sla:{chat.pk}:{event}:{deadline}",
            event=event,
            recipient=user,
            channel=channel,
            chat=chat,
            account_id=chat.account_id,
            next_attempt_at=now,
        )
        for user in users
        for channel in _channels_for(
            user=user,
            linked=linked,
            telegram=preferences[user.pk].telegram_sla,
            email=preferences[user.pk].email_sla,
        )
    ]
    return _rows_insert(rows)


def reply_failed_notifications_create(*, message: Message, now: datetime | None = None) -> int:
    """Tell the sender that their reply was not delivered."""
    now = now or timezone.now()
    sender = message.sent_by
    if sender is None or not sender.is_active:
        return 0
    preferences = _settings_by_user([sender.pk])[sender.pk]
    rows = [
        Notification(
            event_key=f"reply_failed:{message.pk}:{message.attempts}",
            event=Event.REPLY_FAILED,
            recipient=sender,
            channel=channel,
            chat_id=message.chat_id,
            message=message,
            next_attempt_at=now,
        )
        for channel in _channels_for(
            user=sender,
            linked=_linked_user_ids([sender.pk]),
            telegram=preferences.telegram_reply_failed,
            email=preferences.email_reply_failed,
        )
    ]
    return _rows_insert(rows)


def reply_failures_scan(*, now: datetime | None = None) -> int:
    """Replies that failed in the last day tell their sender once per failed attempt."""
    now = now or timezone.now()
    failed = (
        Message.objects.filter(
            delivery_status=Message.DeliveryStatus.FAILED,
            inserted_at__gte=now - REPLY_FAILED_LOOKBACK,
            sent_by__isnull=False,
        )
        .select_related("sent_by", "chat")
        .order_by("pk")[:SCAN_BATCH]
    )
    return sum(reply_failed_notifications_create(message=message, now=now) for message in failed)


def sync_failures_scan(*, now: datetime | None = None) -> int:
    """Admins hear once per failing stretch of a cabinet's sync that has lasted 15 minutes."""
    now = now or timezone.now()
    states = SyncState.objects.filter(account__is_active=True, consecutive_failures__gt=0).select_related(
        "account"
    )
    rows: list[Notification] = []
    for state in states:
        since = state.last_success_at or state.account.created_at
        if now - since < SYNC_FAILING_AFTER:
            continue
        users = list(account_admins(account_id=state.account_id))
        preferences = _settings_by_user(user.pk for user in users)
        linked = _linked_user_ids(user.pk for user in users)
        for user in users:
            for channel in _channels_for(
                user=user,
                linked=linked,
                telegram=preferences[user.pk].telegram_sync_failing,
                email=preferences[user.pk].email_sync_failing,
            ):
                rows.append(
                    Notification(
                        event_key=f"sync_failing:{state.account_id}:{since.isoformat()}",
                        event=Event.SYNC_FAILING,
                        recipient=user,
                        channel=channel,
                        account_id=state.account_id,
                        text=state.last_error[:500],
                        next_attempt_at=now,
                    )
                )
    return _rows_insert(rows)
