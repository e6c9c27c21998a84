"""What the bot does with an update: link, unlink, take a chat, or send a reply typed in Telegram."""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox.models import Chat
from inbox.selectors import chat_get_for_user
from inbox.services import chat_assign, message_send_once
from marketplaces import errors
from notify.models import Channel, Event, Notification, TelegramLink, TelegramReply
from notify.services.linking import LinkRefused, telegram_link_redeem, telegram_unlink
from notify.services.pause import telegram_pause, telegram_paused
from notify.services.render import TAKE_PREFIX, text_shorten
from notify.telegram import TelegramBot

logger = logging.getLogger("notify.updates")

# Idempotency keys of replies typed in Telegram: the same update always maps to the same key.
REPLY_NAMESPACE = uuid.UUID("6f1f3f9e-5d0c-4d7e-9a57-0c2f1f8b7a10")
# A reason in the bot's answer: enough to act on, far within Telegram's 4096 characters.
REASON_LIMIT = 500


def _say(bot: TelegramBot, chat_id: int, text: str, *, reply_to: int | None = None) -> bool:
    """Answer in the chat; returns False when the bot's pause after a 429 held the answer back."""
    return _unless_paused(
        lambda: bot.send_message(chat_id=chat_id, text=text, reply_to_message_id=reply_to),
        what="Telegram answer",
    )


def _unless_paused(call: Callable[[], object], *, what: str) -> bool:
    """Make a call that writes to a user unless the bot waits out a 429 (a new 429 starts that wait);
    returns False when the pause held it back. Other failures are logged: the update is still handled."""
    now = timezone.now()
    if telegram_paused(now=now):
        logger.info("%s held back: the bot waits out a Telegram 429", what)
        return False
    try:
        call()
    except errors.RateLimitedError as exc:
        telegram_pause(now=now, seconds=exc.retry_after)
        logger.warning("%s held back: %s", what, exc.message)
        return False
    except errors.MarketplaceError as exc:
        logger.warning("%s not sent: %s", what, exc.message)
    return True


def telegram_update_process(*, update: dict[str, Any], bot: TelegramBot) -> None:
    """Handle one update whatever happens: a failure is logged and the update counts as handled, so one
    update that breaks the handler never holds back the ones after it (polling and webhook alike)."""
    update_id = update.get("update_id")
    try:
        telegram_update_handle(update=update, bot=bot)
    except errors.MarketplaceError as exc:
        logger.warning("Telegram update %s not fully handled: %s", update_id, exc.message)
    except Exception:
        logger.exception("Telegram update %s not handled; it is skipped", update_id)


def telegram_update_handle(*, update: dict[str, Any], bot: TelegramBot) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(update.get("callback_query"), dict):
            _callback(update["callback_query"], bot=bot)
        elif isinstance(update.get("message"), dict):
            _message(update["message"], update_id=int(update.get("update_id") or 0), bot=bot)


def _sender_name(message: dict[str, Any]) -> str:
    person = message.get("from") or {}
    return " ".join(part for part in (person.get("first_name"), person.get("last_name")) if part) or str(
        person.get("username") or ""
    )


def _message(message: dict[str, Any], *, update_id: int, bot: TelegramBot) -> None:
    chat = message.get("chat") or {}
    chat_id = chat.get("id")
    text = message.get("text")
    if not isinstance(chat_id, int) or not isinstance(text, str):
        return
    if chat.get("type") not in (None, "private"):
        return
    command, _space, argument = text.strip().partition(" ")
    command = command.split("@", 1)[0]
    if command == "/start":
        _start(bot, chat_id, argument.strip(), name=_sender_name(message))
    elif command == "/stop":
        removed = telegram_unlink(telegram_chat_id=chat_id)
        _say(
            bot,
            chat_id,
            _("Notifications are off and this chat is unlinked from Chat Center.")
            if removed
            else _("This chat is not linked to Chat Center."),
        )
    elif isinstance(message.get("reply_to_message"), dict):
        _reply(message, update_id=update_id, bot=bot, chat_id=chat_id, text=text)
    else:
        _say(bot, chat_id, _("To answer a buyer, reply to an alert about their chat."))


def _start(bot: TelegramBot, chat_id: int, token: str, *, name: str) -> None:
    if not token:
        _say(bot, chat_id, _("Open your profile in Chat Center and press “Link Telegram” to get a link."))
        return
    try:
        link = telegram_link_redeem(token=token, telegram_chat_id=chat_id, telegram_name=name)
    except LinkRefused as refused:
        reasons = {
            "used": _("This link was already used. Get a new one in your Chat Center profile."),
            "expired": _("This link has expired (links work for 15 minutes). Get a new one in your profile."),
        }
        _say(bot, chat_id, reasons.get(refused.reason, _("This link is not valid. Nobody was linked.")))
        return
    user = link.user
    greeting = user.get_full_name() or user.get_username()
    _say(
        bot,
        chat_id,
        _(
            "Hello, %(name)s! Chat Center will write here about new buyer messages and reply deadlines. "
            "Reply to an alert to answer the buyer. /stop turns this off."
        )
        % {"name": greeting},
    )


def _alert_chat(*, link: TelegramLink, telegram_message_id: int) -> Chat | None:
    alert = (
        Notification.objects.filter(
            recipient_id=link.user_id,
            telegram_chat_id=link.telegram_chat_id,
            telegram_message_id=telegram_message_id,
            chat__isnull=False,
        )
        .select_related("chat")
        .first()
    )
    return alert.chat if alert else None


def _reply(message: dict[str, Any], *, update_id: int, bot: TelegramBot, chat_id: int, text: str) -> None:
    link = TelegramLink.objects.select_related("user").filter(telegram_chat_id=chat_id).first()
    if link is None or not link.user.is_active:
        _say(bot, chat_id, _("This chat is not linked to Chat Center."))
        return
    alert_id = int(message["reply_to_message"].get("message_id") or 0)
    chat = _alert_chat(link=link, telegram_message_id=alert_id)
    if chat is None:
        _say(
            bot,
            chat_id,
            _("Reply to an alert about a buyer's chat to answer them."),
            reply_to=message.get("message_id"),
        )
        return
    try:
        chat = chat_get_for_user(user=link.user, chat_id=chat.pk)
    except Chat.DoesNotExist:
        _say(bot, chat_id, _("You no longer have access to this chat."), reply_to=message.get("message_id"))
        return
    refusal: ValidationError | None = None
    # The record and the queued reply commit together: a worker that died between the two left a record
    # without a reply, and the update Telegram then sent again was taken for one already handled.
    with transaction.atomic():
        record, created = TelegramReply.objects.get_or_create(
            update_id=update_id,
            defaults={
                "user": link.user,
                "telegram_chat_id": chat_id,
                "telegram_message_id": message.get("message_id") or 0,
            },
        )
        if not created:
            return
        try:
            outgoing, _created = message_send_once(
                chat=chat,
                user=link.user,
                text=text,
                idempotency_key=uuid.uuid5(REPLY_NAMESPACE, f"telegram-update:{update_id}"),
            )
        except ValidationError as refused:
            refusal = refused
            TelegramReply.objects.filter(pk=record.pk).update(outcome_told=True)
        else:
            TelegramReply.objects.filter(pk=record.pk).update(message=outgoing)
    if refusal is None:
        _say(bot, chat_id, _("Accepted, sending to the buyer…"), reply_to=record.telegram_message_id)
        return
    answer = _("Not sent: %(reason)s") % {"reason": _refusal_text(refusal)}
    if not _say(bot, chat_id, answer, reply_to=record.telegram_message_id):
        # The user must learn their reply did not go: the outbox says it once the pause is over.
        Notification.objects.get_or_create(
            event_key=f"reply_refused:{update_id}",
            recipient=link.user,
            channel=Channel.TELEGRAM,
            defaults={
                "event": Event.REPLY_OUTCOME,
                "chat": chat,
                "text": answer,
                "telegram_chat_id": chat_id,
                "telegram_message_id": record.telegram_message_id,
                "next_attempt_at": timezone.now(),
            },
        )


def _refusal_text(refusal: ValidationError) -> str:
    violations = getattr(refusal, "violations", None)
    if violations:
        reasons = [str(getattr(violation, "message", violation)) for violation in violations]
    elif hasattr(refusal, "message_dict"):
        reasons = [" ".join(messages) for messages in refusal.message_dict.values()]
    else:
        reasons = [" ".join(refusal.messages)]
    # A reply with 150 phone numbers has 150 findings of one kind: each is said once.
    return text_shorten("; ".join(dict.fromkeys(reasons)), REASON_LIMIT)


def _callback(query: dict[str, Any], *, bot: TelegramBot) -> None:
    query_id = str(query.get("id") or "")
    data = str(query.get("data") or "")
    telegram_chat = ((query.get("message") or {}).get("chat") or {}).get("id")
    link = TelegramLink.objects.select_related("user").filter(telegram_chat_id=telegram_chat).first()
    answer = _("This action is not available.")
    if (
        link is not None
        and link.user.is_active
        and data.startswith(TAKE_PREFIX)
        and data[len(TAKE_PREFIX) :].isdigit()
    ):
        try:
            chat = chat_get_for_user(user=link.user, chat_id=int(data[len(TAKE_PREFIX) :]))
        except Chat.DoesNotExist:
            answer = _("You have no access to this chat.")
        else:
            try:
                chat_assign(chat=chat, user=link.user, assignee=link.user)
                answer = _("The chat is yours now.")
            except ValidationError:
                answer = _("Only members of the cabinet can take this chat.")
    _unless_paused(
        lambda: bot.answer_callback_query(callback_query_id=query_id, text=answer),
        what="Telegram callback answer",
    )


def reply_outcomes_scan(*, now: datetime | None = None) -> int:
    """Queue the bot's "delivered" / "not delivered" answer for replies typed in Telegram."""
    now = now or timezone.now()
    open_replies = TelegramReply.objects.filter(outcome_told=False, message__isnull=False).select_related(
        "message", "user"
    )
    queued = 0
    for record in open_replies[:200]:
        status = record.message.delivery_status
        if status not in ("sent", "failed"):
            continue
        with translation.override(settings.LANGUAGE_CODE):
            text = (
                _("Delivered to the buyer.")
                if status == "sent"
                else _("Not delivered: %(reason)s")
                % {"reason": text_shorten(record.message.last_error, REASON_LIMIT) or "—"}
            )
        Notification.objects.get_or_create(
            event_key=f"reply_outcome:{record.message_id}",
            recipient=record.user,
            channel="telegram",
            defaults={
                "event": Event.REPLY_OUTCOME,
                "chat_id": record.message.chat_id,
                "message": record.message,
                "text": text,
                "telegram_chat_id": record.telegram_chat_id,
                "telegram_message_id": record.telegram_message_id,
                "next_attempt_at": now,
            },
        )
        TelegramReply.objects.filter(pk=record.pk).update(outcome_told=True)
        queued += 1
    return queued
