"""Yandex Market answers -> typed values: chats and history messages. Pure functions.

Shapes: specs/ym-partner-api-openapi-bundled-2026-07.yaml (ChatFullDTO / GetChatsInfoDTO, ChatMessageDTO).
"""

from typing import Any

from django.utils.translation import gettext as _

from marketplaces.parsing import parse_time
from marketplaces.types import AttachmentKind, Author, RemoteAttachment, RemoteChat, RemoteMessage

SENDER_AUTHORS = {
    "PARTNER": Author.SELLER,
    "CUSTOMER": Author.BUYER,
    "MARKET": Author.MARKETPLACE,
    "SUPPORT": Author.SUPPORT,
}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".bmp")


def id_string(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    return ""


def chat_parse(raw: Any) -> RemoteChat:
    if not isinstance(raw, dict):
        raise TypeError(_("the chat is not an object"))
    chat_id = id_string(raw["chatId"])
    if not chat_id:
        raise ValueError(_("no chatId"))
    context = raw.get("context") if isinstance(raw.get("context"), dict) else {}
    customer = context.get("customer") if isinstance(context.get("customer"), dict) else {}
    order_id = id_string(context.get("orderId")) or id_string(raw.get("orderId"))
    extras = {
        "type": str(raw.get("type") or ""),
        "context_type": str(context.get("type") or ""),
        "order_id": order_id,
        "return_id": id_string(context.get("returnId")),
        "campaign_id": id_string(context.get("campaignId")),
        "customer_public_id": str(customer.get("publicId") or ""),
    }
    return RemoteChat(
        external_id=chat_id,
        buyer_name=str(customer.get("name") or ""),
        order_number=order_id,
        marketplace_status=str(raw.get("status") or ""),
        created_at=parse_time(raw.get("createdAt")),
        last_message_at=parse_time(raw.get("updatedAt")),
        extras={key: value for key, value in extras.items() if value},
    )


def message_parse(chat_id: str, raw: Any) -> RemoteMessage:
    if not isinstance(raw, dict):
        raise TypeError(_("the message is not an object"))
    external_id = id_string(raw["messageId"])
    created_at = parse_time(raw.get("createdAt"))
    if not external_id or created_at is None:
        raise ValueError(_("no messageId or createdAt"))
    attachments = []
    for file in raw.get("payload") or []:
        if not isinstance(file, dict) or not file.get("url"):
            continue
        name = str(file.get("name") or "")
        is_image = name.lower().endswith(IMAGE_SUFFIXES)
        attachments.append(
            RemoteAttachment(
                kind=AttachmentKind.IMAGE if is_image else AttachmentKind.FILE,
                name=name,
                size=file.get("size") if isinstance(file.get("size"), int) else None,
                url=str(file["url"]),
            )
        )
    return RemoteMessage(
        chat_external_id=chat_id,
        external_id=external_id,
        author=SENDER_AUTHORS.get(str(raw.get("sender") or "").upper(), Author.MARKETPLACE),
        text=str(raw.get("message") or ""),
        created_at=created_at,
        attachments=tuple(attachments),
    )
