"""Deliver due outbox rows: each claimed once, sent at most once, Telegram's limits respected.

A row is claimed by a conditional UPDATE (pending -> sending). sendMessage is not idempotent, so a row
whose send may have happened (no answer, or a worker died after the claim) is never sent again: a lost
alert is better than two. Alerts about one chat within COALESCE_WINDOW edit the first alert instead of
adding messages ("… and 3 more messages from Anna").
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from marketplaces import errors
from notify.models import Channel, Event, Notification, NotificationSettings, NotifyState, TelegramLink
from notify.services.pause import telegram_pause
from notify.services.preferences import quiet_hours_end
from notify.services.recipients import users_seeing_account
from notify.services.render import notification_render
from notify.telegram import TelegramBlockedError, TelegramBot, telegram_configured

logger = logging.getLogger("notify.delivery")

COALESCE_WINDOW = timedelta(minutes=10)
# A claimed row still "sending" after this long belonged to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=2)
TRANSIENT_RETRY = timedelta(seconds=15)
MAX_ATTEMPTS = 5
BATCH = 200


def _finish(notification: Notification, *, status: str, error: str = "", **fields: object) -> None:
    fields.update(status=status, last_error=error[:300])
    if status in (Notification.Status.SENT, Notification.Status.COALESCED):
        fields["sent_at"] = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(**fields)


def _claim(notification: Notification) -> bool:
    return bool(
        Notification.objects.filter(pk=notification.pk, status=Notification.Status.PENDING).update(
            status=Notification.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=timezone.now()
        )
    )


def _postpone(notification: Notification, *, until: datetime, error: str = "") -> None:
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.PENDING, next_attempt_at=until, last_error=error[:300]
    )


def stale_claims_settle(*, now: datetime) -> int:
    return Notification.objects.filter(
        status=Notification.Status.SENDING, next_attempt_at__lt=now - STALE_CLAIM
    ).update(status=Notification.Status.FAILED, last_error="worker stopped during the send; not repeated")


def _earlier_alert(notification: Notification, *, now: datetime) -> Notification | None:
    if notification.event != Event.NEW_MESSAGE or notification.chat_id is None:
        return None
    return (
        Notification.objects.filter(
            recipient_id=notification.recipient_id,
            chat_id=notification.chat_id,
            event=Event.NEW_MESSAGE,
            channel=Channel.TELEGRAM,
            status=Notification.Status.SENT,
            sent_at__gte=now - COALESCE_WINDOW,
            telegram_message_id__isnull=False,
        )
        .exclude(pk=notification.pk)
        .order_by("-sent_at")
        .first()
    )


def _deliver_telegram(notification: Notification, *, bot: TelegramBot, now: datetime) -> None:
    link = TelegramLink.objects.filter(user_id=notification.recipient_id).first()
    if link is None or link.blocked_at is not None:
        _finish(notification, status=Notification.Status.SKIPPED, error="no Telegram link")
        return
    earlier = _earlier_alert(notification, now=now)
    if earlier is not None and earlier.telegram_chat_id != link.telegram_chat_id:
        earlier = None  # the user has linked another Telegram chat since
    try:
        if earlier is not None and _coalesce(earlier=earlier, bot=bot):
            status, message_id = Notification.Status.COALESCED, earlier.telegram_message_id
        else:
            rendered = notification_render(notification=notification)
            sent = bot.send_message(
                chat_id=link.telegram_chat_id,
                text=rendered.text,
                buttons=rendered.buttons,
                reply_to_message_id=_reply_target(notification),
            )
            status, message_id = Notification.Status.SENT, sent.message_id
    except TelegramBlockedError as exc:
        TelegramLink.objects.filter(pk=link.pk).update(blocked_at=now)
        _finish(notification, status=Notification.Status.SKIPPED, error=exc.message)
        return
    except errors.RateLimitedError as exc:
        until = telegram_pause(now=now, seconds=exc.retry_after)
        _postpone(notification, until=until, error="Telegram 429")
        return
    except errors.DeliveryUnknownError:
        _finish(
            notification, status=Notification.Status.FAILED, error="no answer from Telegram; not repeated"
        )
        return
    except errors.TransientError:
        if notification.attempts + 1 >= MAX_ATTEMPTS:
            _finish(notification, status=Notification.Status.FAILED, error="Telegram unreachable")
        else:
            _postpone(notification, until=now + TRANSIENT_RETRY, error="Telegram unreachable")
        return
    except errors.MarketplaceError as exc:
        _finish(notification, status=Notification.Status.FAILED, error=exc.message)
        return
    TelegramLink.objects.filter(pk=link.pk).update(last_sent_at=now)
    _finish(
        notification, status=status, telegram_chat_id=link.telegram_chat_id, telegram_message_id=message_id
    )


def _coalesce(*, earlier: Notification, bot: TelegramBot) -> bool:
    """Count one more alert into the earlier one by editing it; False when Telegram refuses the edit."""
    count = earlier.coalesced_count + 1
    rendered = notification_render(notification=earlier, coalesced=count)
    try:
        bot.edit_message_text(
            chat_id=earlier.telegram_chat_id,
            message_id=earlier.telegram_message_id,
            text=rendered.text,
            buttons=rendered.buttons,
        )
    except TelegramBlockedError:
        raise
    except errors.RequestRejectedError as exc:
        # "message to edit not found" (the user deleted the alert) or "message can't be edited": this
        # alert goes out as a new message, which later ones of the burst then edit.
        logger.info("Alert %s not edited (%s); a new one is sent", earlier.pk, exc.message)
        return False
    Notification.objects.filter(pk=earlier.pk).update(coalesced_count=count)
    return True


def _reply_target(notification: Notification) -> int | None:
    if notification.event == Event.REPLY_OUTCOME and notification.telegram_message_id:
        return notification.telegram_message_id
    return None


def _deliver_email(notification: Notification) -> None:
    recipient = notification.recipient
    if not recipient.email:
        _finish(notification, status=Notification.Status.SKIPPED, error="no email address")
        return
    rendered = notification_render(notification=notification)
    body = rendered.text
    for row in rendered.buttons:
        for button in row:
            if "url" in button:
                body += f"\n\n{button['text']}: {button['url']}"
    try:
        send_mail(
            subject=f"Chat Center: {rendered.subject}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[recipient.email],
        )
    except OSError as exc:
        _finish(
            notification, status=Notification.Status.FAILED, error=f"mail server: {exc.__class__.__name__}"
        )
        return
    _finish(notification, status=Notification.Status.SENT)


def _recipient_sees(notification: Notification, *, seen: dict[tuple[int, int], bool]) -> bool:
    """Whether the recipient still sees the chat or account the notification is about: an alert can wait
    for hours (quiet hours, a Telegram pause) and must not reach someone removed from the cabinet since."""
    account_id = notification.chat.account_id if notification.chat_id else notification.account_id
    if account_id is None:
        return True
    key = (notification.recipient_id, account_id)
    if key not in seen:
        seen[key] = users_seeing_account(account_id=account_id).filter(pk=notification.recipient_id).exists()
    return seen[key]


def notifications_deliver(
    *, now: datetime | None = None, bot: TelegramBot | None = None, limit: int = BATCH
) -> int:
    """Send what is due; returns how many rows were handled."""
    now = now or timezone.now()
    stale_claims_settle(now=now)
    state, _created = NotifyState.objects.get_or_create(pk=1)
    telegram_paused = bool(state.telegram_paused_until and state.telegram_paused_until > now)
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).select_related("recipient", "chat", "chat__account", "message", "account")
    if telegram_paused or not telegram_configured():
        due = due.exclude(channel=Channel.TELEGRAM)
    handled = 0
    preferences: dict[int, NotificationSettings] = {}
    seen: dict[tuple[int, int], bool] = {}
    # One Telegram message per person per pass: Telegram allows about one a second to a chat, and a
    # burst to one person must not hold everyone else's alerts back.
    telegram_recipients: set[int] = set()
    for notification in due.order_by("id")[:limit]:
        user_id = notification.recipient_id
        if notification.channel == Channel.TELEGRAM and user_id in telegram_recipients:
            continue
        if not _recipient_sees(notification, seen=seen):
            _finish(notification, status=Notification.Status.SKIPPED, error="the recipient no longer sees it")
            continue
        if user_id not in preferences:
            preferences[user_id] = NotificationSettings.objects.filter(
                user_id=user_id
            ).first() or NotificationSettings(user_id=user_id)
        quiet_until = quiet_hours_end(settings=preferences[user_id], now=now)
        if quiet_until is not None and notification.event != Event.REPLY_OUTCOME:
            _postpone(notification, until=quiet_until)
            continue
        if not _claim(notification):
            continue
        handled += 1
        if notification.channel == Channel.TELEGRAM:
            telegram_recipients.add(user_id)
            _deliver_telegram(notification, bot=bot or TelegramBot(), now=now)
            state.refresh_from_db(fields=["telegram_paused_until"])
            if state.telegram_paused_until and state.telegram_paused_until > now:
                break
        else:
            _deliver_email(notification)
    return handled
