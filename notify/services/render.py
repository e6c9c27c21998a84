"""What an alert says: Russian text and inline buttons (Telegram) or a subject and body (email)."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from inbox.models import Chat, Message
from marketplaces.registry import MARKETPLACE_SPECS
from notify.models import Event, Notification

TEXT_LIMIT = 400
TAKE_PREFIX = "take:"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    buttons: list[list[dict[str, str]]]


def text_shorten(text: str, limit: int = TEXT_LIMIT) -> str:
    """One line of at most `limit` characters, an ellipsis where it was cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chat_url(chat: Chat) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("inbox:chat", args=[chat.pk])


def _marketplace_label(marketplace: str) -> str:
    spec = MARKETPLACE_SPECS.get(marketplace)
    return str(spec.label) if spec else marketplace


def _chat_lines(chat: Chat) -> list[str]:
    lines = [f"{_marketplace_label(chat.account.marketplace)} · {chat.account.name}"]
    if chat.buyer_name:
        lines.append(_("Buyer: %(name)s") % {"name": chat.buyer_name})
    if chat.order_number:
        lines.append(_("Order: %(number)s") % {"number": chat.order_number})
    if chat.product_title or chat.product_sku:
        title = text_shorten(chat.product_title or chat.product_sku, 120)
        lines.append(_("Product: %(title)s") % {"title": title})
    return lines


def _deadline_line(chat: Chat) -> list[str]:
    if not chat.reply_deadline:
        return []
    moment = chat.reply_deadline.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%d.%m %H:%M")
    if chat.reply_deadline <= timezone.now():
        # A new message in a chat that has waited for days: "answer by" a day long gone reads as a typo.
        return [_("Deadline passed at %(time)s") % {"time": moment}]
    return [_("Answer by %(time)s") % {"time": moment}]


def _message_text(message: Message | None) -> str:
    if message is None:
        return ""
    if message.text:
        return text_shorten(message.text)
    return _("(attachment)") if message.attachments else ""


def _chat_buttons(chat: Chat) -> list[list[dict[str, str]]]:
    return [
        [
            {"text": pgettext("alert button", "Open"), "url": chat_url(chat)},
            {"text": _("Take it"), "callback_data": f"{TAKE_PREFIX}{chat.pk}"},
        ]
    ]


def notification_render(*, notification: Notification, coalesced: int = 0) -> Rendered:
    with translation.override(settings.LANGUAGE_CODE):
        return _render(notification, coalesced)


def _render(notification: Notification, coalesced: int) -> Rendered:
    chat = notification.chat
    event = notification.event
    if event == Event.NEW_MESSAGE and chat is not None:
        head = _("New message from a buyer")
        lines = [head, *_chat_lines(chat), "", f"«{_message_text(notification.message)}»"]
        if coalesced:
            lines.append(
                ngettext(
                    "and %(count)d more message from %(name)s",
                    "and %(count)d more messages from %(name)s",
                    coalesced,
                )
                % {"count": coalesced, "name": chat.buyer_name or _("the buyer")}
            )
        lines += _deadline_line(chat)
        return Rendered(subject=head, text="\n".join(lines), buttons=_chat_buttons(chat))
    if event in (Event.SLA_AT_RISK, Event.SLA_BREACHED) and chat is not None:
        head = _("Reply deadline missed") if event == Event.SLA_BREACHED else _("Reply deadline is near")
        lines = [head, *_chat_lines(chat), *_deadline_line(chat)]
        return Rendered(subject=head, text="\n".join(lines), buttons=_chat_buttons(chat))
    if event == Event.REPLY_FAILED and chat is not None:
        head = _("Your reply was not delivered")
        message = notification.message
        reason = message.last_error if message is not None else ""
        lines = [head, *_chat_lines(chat), "", f"«{_message_text(message)}»"]
        if reason:
            lines.append(_("Reason: %(reason)s") % {"reason": text_shorten(reason, 300)})
        return Rendered(
            subject=head,
            text="\n".join(lines),
            buttons=[[{"text": pgettext("alert button", "Open"), "url": chat_url(chat)}]],
        )
    if event == Event.SYNC_FAILING and notification.account is not None:
        account = notification.account
        head = _("Cabinet sync has been failing for 15 minutes")
        lines = [head, f"{_marketplace_label(account.marketplace)} · {account.name}"]
        if notification.text:
            lines.append(_("Last error: %(error)s") % {"error": text_shorten(notification.text, 300)})
        return Rendered(subject=head, text="\n".join(lines), buttons=[])
    if event == Event.REPLY_OUTCOME:
        return Rendered(subject=notification.text, text=notification.text, buttons=[])
    return Rendered(subject=str(event), text=notification.text or str(event), buttons=[])
