"""Ozon answers -> typed values: chat list entries, history messages (Markdown data). Pure functions.

Shapes: specs/ozon-chat-push-subset-2026-10-derived.json (v3ChatList, v3ChatHistory, Message).
"""

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from marketplaces.parsing import parse_time
from marketplaces.types import (
    AttachmentKind,
    Author,
    ModerationState,
    RemoteAttachment,
    RemoteChat,
    RemoteMessage,
    RemoteProduct,
)

# Chat types with a buyer on the other side; 2026 enums are upper case, 2025 ones were Buyer_Seller.
BUYER_CHAT_TYPES = frozenset({"buyer_seller", "buyer_seller_select"})
USER_AUTHORS = {
    "customer": Author.BUYER,
    "seller": Author.SELLER,
    "support": Author.SUPPORT,
    "crm": Author.MARKETPLACE,
    "notificationuser": Author.MARKETPLACE,
    "courier": Author.MARKETPLACE,
}
MODERATION = {"MODERATION": ModerationState.PENDING, "FAILED": ModerationState.REJECTED}

IMAGE_PATTERN = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
LINK_PATTERN = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")
URL_PATTERN = re.compile(r"^https?://\S+$")


def normalize_enum(value: Any) -> str:
    """Compare enums case-insensitively; the docs' example spells Customer with a Cyrillic С."""
    return str(value or "").replace("С", "C").replace("с", "c").lower()


def message_id(value: Any) -> str:
    """uint64 ids arrive as JSON integers or strings; keep the exact digits either way."""
    if isinstance(value, bool) or value is None:
        raise ValueError(_("no message id"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    raise ValueError(_("the id %(value)r is not a number") % {"value": value})


def is_true(value: Any) -> bool:
    """`has_next` is boolean in the schema but the string "true" in the example."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def chat_info(entry: Any) -> dict[str, Any] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("chat"), dict):
        raise TypeError(_("a list entry without a chat object"))
    chat = entry["chat"]
    chat_id = chat["chat_id"]
    if not isinstance(chat_id, str) or not chat_id:
        raise TypeError(_("chat_id must be a string"))
    if normalize_enum(chat.get("chat_type")) not in BUYER_CHAT_TYPES:
        return None
    last = entry.get("last_message_id")
    unread = entry.get("unread_count")
    return {
        "chat_id": chat_id,
        "status": str(chat.get("chat_status") or ""),
        "type": str(chat.get("chat_type") or ""),
        "created_at": str(chat.get("created_at") or ""),
        "last_message_id": message_id(last) if last not in (None, "", 0, "0") else "",
        "unread_count": unread if isinstance(unread, int) and not isinstance(unread, bool) else None,
    }


def message_parse(chat_id: str, raw: Any) -> tuple[RemoteMessage, dict[str, str]]:
    if not isinstance(raw, dict):
        raise TypeError(_("the message is not an object"))
    external_id = message_id(raw.get("message_id"))
    created_at = parse_time(raw.get("created_at"))
    if created_at is None:
        raise ValueError(_("the message has no date"))
    user = raw.get("user") if isinstance(raw.get("user"), dict) else {}
    author = USER_AUTHORS.get(normalize_enum(user.get("type")), Author.MARKETPLACE)
    moderation = MODERATION.get(str(raw.get("moderate_image_status") or "").upper(), ModerationState.NONE)
    text, attachments = parse_markdown(
        [item for item in raw.get("data") or [] if isinstance(item, str)],
        is_image=raw.get("is_image") is True,
        moderation=moderation,
    )
    context_raw = raw.get("context") if isinstance(raw.get("context"), dict) else {}
    context = {key: str(context_raw[key]) for key in ("order_number", "sku") if context_raw.get(key)}
    message = RemoteMessage(
        chat_external_id=chat_id,
        external_id=external_id,
        author=author,
        text=text,
        created_at=created_at,
        attachments=tuple(attachments),
        is_read=raw.get("is_read") if isinstance(raw.get("is_read"), bool) else None,
    )
    return message, context


def chat_from(item: Mapping[str, Any]) -> RemoteChat:
    sku = str(item.get("sku") or "")
    return RemoteChat(
        external_id=item["chat_id"],
        order_number=str(item.get("order_number") or ""),
        product=RemoteProduct(sku=sku, url=f"https://www.ozon.ru/product/{sku}") if sku else None,
        marketplace_status=str(item.get("status") or ""),
        created_at=parse_time(item.get("created_at")),
        last_message_external_id=str(item.get("last_message_id") or ""),
        unread_count=item.get("unread_count"),
        extras={"chat_type": item.get("type", "")},
    )


def parse_markdown(
    data: list[str], *, is_image: bool, moderation: ModerationState
) -> tuple[str, list[RemoteAttachment]]:
    """Images leave the text and become attachments. Links are listed as attachments too; inside a
    sentence they stay readable in the text, a fragment that is only a link leaves it."""
    attachments: list[RemoteAttachment] = []
    lines: list[str] = []
    for fragment in data:
        for alt, url in IMAGE_PATTERN.findall(fragment):
            attachments.append(
                RemoteAttachment(
                    kind=AttachmentKind.IMAGE,
                    name=alt or url.rsplit("/", 1)[-1],
                    url=url,
                    moderation=moderation,
                )
            )
        fragment = IMAGE_PATTERN.sub("", fragment)
        stripped = fragment.strip()
        if is_image and URL_PATTERN.match(stripped):
            attachments.append(
                RemoteAttachment(
                    kind=AttachmentKind.IMAGE,
                    name=stripped.rsplit("/", 1)[-1],
                    url=stripped,
                    moderation=moderation,
                )
            )
            continue
        for label, url in LINK_PATTERN.findall(fragment):
            attachments.append(RemoteAttachment(kind=AttachmentKind.LINK, name=label.strip() or url, url=url))
        if LINK_PATTERN.fullmatch(stripped):
            # A fragment that is just a file link (how Ozon shows a sent file) is the attachment itself.
            continue
        fragment = LINK_PATTERN.sub(lambda match: f"{match.group(1).strip()} ({match.group(2)})", fragment)
        if fragment.strip():
            lines.append(fragment.strip())
    return "\n".join(lines), attachments
