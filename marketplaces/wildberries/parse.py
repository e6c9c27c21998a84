"""Wildberries answers -> typed values: events-feed events, chats, questions. Pure functions.

Shapes: specs/wb-09-communications-2026-07.yaml (Event, Listing, ChatsResponse; GET /api/v1/questions).
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from marketplaces.parsing import parse_time
from marketplaces.types import (
    AttachmentKind,
    Author,
    ChatKind,
    RemoteAttachment,
    RemoteChat,
    RemoteMessage,
    RemoteProduct,
)

QUESTION_PREFIX = "question:"
SENDER_AUTHORS = {"client": Author.BUYER, "seller": Author.SELLER, "wb": Author.MARKETPLACE}


def from_milliseconds(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def product_url(nm_id: Any) -> str:
    return f"https://www.wildberries.ru/catalog/{nm_id}/detail.aspx" if nm_id else ""


def name_from_url(url: Any) -> str:
    return url.rsplit("/", 1)[-1] if isinstance(url, str) and url else ""


def product(good_card: Any) -> RemoteProduct | None:
    if not isinstance(good_card, dict) or not good_card.get("nmID"):
        return None
    return RemoteProduct(sku=str(good_card["nmID"]), url=product_url(good_card["nmID"]))


def product_card(good_card: Mapping[str, Any]) -> RemoteAttachment | None:
    """A goodCard (Listing: nmID, price, priceCurrency, rid, size) as a product attachment.

    Listing carries no product title, so `name` stays empty unless a card brings one.
    """
    nm_id = good_card.get("nmID")
    if not nm_id:
        return None
    price = good_card.get("price")
    price_text = ""
    if isinstance(price, int | float | str) and not isinstance(price, bool) and str(price) != "":
        price_text = f"{price} {good_card.get('priceCurrency') or ''}".strip()
    return RemoteAttachment(
        kind=AttachmentKind.PRODUCT,
        name=str(good_card.get("name") or good_card.get("title") or ""),
        remote_id=str(nm_id),
        url=product_url(nm_id),
        price=price_text,
    )


def event_parse(event: Any) -> tuple[RemoteMessage | None, dict[str, Any]]:
    """One feed event: its message (any event with a `message` object is one, whatever it carries) and
    the chat details it reveals (replySign, buyer name, goods card, time)."""
    if not isinstance(event, dict):
        raise TypeError(_("the event is not an object"))
    chat_id = event["chatID"]
    event_id = event["eventID"]
    if not isinstance(chat_id, str) or not isinstance(event_id, str):
        raise TypeError(_("chatID and eventID must be strings"))
    created_at = from_milliseconds(event.get("addTimestamp")) or parse_time(event.get("addTime"))
    if created_at is None:
        raise ValueError(_("the event has no time"))
    body = event.get("message")
    attachments_body = body.get("attachments") if isinstance(body, dict) else None
    attachments_body = attachments_body if isinstance(attachments_body, dict) else {}
    good_card = attachments_body.get("goodCard") if isinstance(attachments_body.get("goodCard"), dict) else {}
    chat_details = {
        "chat_id": chat_id,
        "reply_sign": event.get("replySign"),
        "client_name": event.get("clientName") if event.get("sender") == "client" else "",
        "good_card": good_card,
        "last_at": created_at,
    }
    if not isinstance(body, dict):
        return None, chat_details
    attachments = [
        RemoteAttachment(
            kind=AttachmentKind.IMAGE,
            name=name_from_url(image.get("url", "")),
            remote_id=str(image.get("downloadID") or ""),
            url=str(image.get("url") or ""),
        )
        for image in attachments_body.get("images") or []
        if isinstance(image, dict)
    ]
    attachments += [
        RemoteAttachment(
            kind=AttachmentKind.FILE,
            name=str(file.get("name") or name_from_url(file.get("url", ""))),
            content_type=str(file.get("contentType") or ""),
            size=file.get("size") if isinstance(file.get("size"), int) else None,
            remote_id=str(file.get("downloadID") or ""),
            url=str(file.get("url") or ""),
        )
        for file in attachments_body.get("files") or []
        if isinstance(file, dict)
    ]
    card = product_card(good_card) if good_card else None
    if card is not None:
        attachments.append(card)
    message = RemoteMessage(
        chat_external_id=chat_id,
        external_id=event_id,
        author=SENDER_AUTHORS.get(str(event.get("sender")), Author.MARKETPLACE),
        text=body.get("text") if isinstance(body.get("text"), str) else "",
        created_at=created_at,
        attachments=tuple(attachments),
        source=str(event.get("source") or ""),
    )
    return message, chat_details


def chat_parse(chat_id: str, found: Mapping[str, Any], listed: Mapping[str, Any] | None) -> RemoteChat:
    """A chat from what its events revealed (`found`) and its entry in GET /api/v1/seller/chats."""
    listed = listed or {}
    good_card = found.get("good_card") or listed.get("goodCard") or {}
    reply_sign = found.get("reply_sign") or listed.get("replySign") or ""
    last_message = listed.get("lastMessage") if isinstance(listed.get("lastMessage"), dict) else {}
    extras: dict[str, Any] = {}
    if reply_sign:
        extras["reply_sign"] = reply_sign
    if isinstance(good_card, dict) and good_card:
        extras["good_card"] = dict(good_card)
    return RemoteChat(
        external_id=chat_id,
        kind=ChatKind.CHAT,
        buyer_name=str(found.get("client_name") or listed.get("clientName") or ""),
        order_number=str(good_card.get("rid") or "") if isinstance(good_card, dict) else "",
        product=product(good_card),
        last_message_at=from_milliseconds(last_message.get("addTimestamp")) or found.get("last_at"),
        extras=extras,
    )


def question_parse(question: Any) -> tuple[RemoteChat, list[RemoteMessage]]:
    """A question as a one-question chat: the buyer's question and, once answered, the one answer.

    A question has one answer; editing it (PATCH /api/v1/questions again) replaces the text, so the
    answer keeps the external id `<id>:answer` and ingest updates it instead of adding a message.
    """
    if not isinstance(question, dict):
        raise TypeError(_("the question is not an object"))
    question_id = question["id"]
    if not isinstance(question_id, str) or not question_id:
        raise TypeError(_("the question id must be a string"))
    created_at = parse_time(question.get("createdDate"))
    if created_at is None:
        raise ValueError(_("the question has no date"))
    chat_id = f"{QUESTION_PREFIX}{question_id}"
    messages = [
        RemoteMessage(
            chat_external_id=chat_id,
            external_id=f"{question_id}:question",
            author=Author.BUYER,
            text=str(question.get("text") or ""),
            created_at=created_at,
            is_read=bool(question.get("wasViewed")) if "wasViewed" in question else None,
        )
    ]
    answer = question.get("answer") if isinstance(question.get("answer"), dict) else {}
    answered = bool(answer.get("text"))
    last_at, last_id = created_at, messages[0].external_id
    if answered:
        answered_at = parse_time(answer.get("createDate")) or created_at
        messages.append(
            RemoteMessage(
                chat_external_id=chat_id,
                external_id=f"{question_id}:answer",
                author=Author.SELLER,
                text=str(answer["text"]),
                created_at=answered_at,
                is_read=True,
            )
        )
        last_at, last_id = answered_at, messages[1].external_id
    details = question.get("productDetails") if isinstance(question.get("productDetails"), dict) else {}
    nm_id = details.get("nmId")
    chat = RemoteChat(
        external_id=chat_id,
        kind=ChatKind.QUESTION,
        product=RemoteProduct(
            sku=str(nm_id), title=str(details.get("productName") or ""), url=product_url(nm_id)
        )
        if nm_id
        else None,
        marketplace_status=str(question.get("state") or ""),
        created_at=created_at,
        last_message_at=last_at,
        last_message_external_id=last_id,
        extras={
            "question_id": question_id,
            "answered": answered,
            # `editable` is WB's own word: an answer may be edited once within 60 days of sending it.
            "answer_editable": bool(answer.get("editable")),
        },
    )
    return chat, messages
