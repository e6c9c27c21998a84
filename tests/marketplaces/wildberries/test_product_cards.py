"""Issue 10: a WB event whose message carries only a goodCard is a buyer message (and may be a whole chat)."""

from datetime import UTC, datetime

import pytest
import responses
from django.db import transaction
from django.urls import reverse

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat, Message
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.types import AttachmentKind, Author, RemoteAttachment
from tests.conftest import CREDENTIALS
from tests.marketplaces.wildberries.test_connector import EVENTS, connector, nothing_known, text

CARD_CHAT = "1:7c1d2e3f-0a0b-4c5d-8e9f-a0b1c2d3e4f5"
CARD = RemoteAttachment(
    kind=AttachmentKind.PRODUCT,
    name="",
    remote_id="12345678",
    url="https://www.wildberries.ru/catalog/12345678/detail.aspx",
    price="500 RUB",
)


@responses.activate
def test_event_with_only_a_product_card_is_a_buyer_message(clock) -> None:
    responses.get(EVENTS, body=text("events_good_card_only.json"))
    page = connector(clock).fetch_updates(cursor={"questions_polled_at": clock()}, positions=nothing_known)
    assert [(m.external_id, m.author, m.text, m.attachments) for m in page.messages] == [
        ("0b4e3c2d-1a2b-4c3d-9e8f-7a6b5c4d3e2f", Author.BUYER, "", (CARD,))
    ]
    assert page.messages[0].created_at == datetime(2023, 10, 23, 7, 20, tzinfo=UTC)
    assert page.skipped == ()
    [chat] = page.chats
    assert (chat.external_id, chat.buyer_name, chat.order_number) == (
        CARD_CHAT,
        "Ирина",
        "2fb52cd9e25e52538a5f05994e688ae5",
    )
    assert chat.product is not None and chat.product.sku == "12345678"


@responses.activate
def test_event_without_a_message_object_is_skipped_not_a_message(clock) -> None:
    body = text("events_good_card_only.json").replace('"message": {', '"other": {')
    responses.get(EVENTS, body=body)
    page = connector(clock).fetch_updates(cursor={"questions_polled_at": clock()}, positions=nothing_known)
    assert page.messages == ()
    assert [item.reference for item in page.skipped] == ["0b4e3c2d-1a2b-4c3d-9e8f-7a6b5c4d3e2f"]


@pytest.mark.django_db
@responses.activate
def test_a_chat_whose_only_message_is_a_product_card_is_created(clock) -> None:
    account = MarketplaceAccount.objects.create(
        marketplace="wildberries", name="WB", credentials=CREDENTIALS["wildberries"]
    )
    SyncState.objects.create(account=account)
    responses.get(EVENTS, body=text("events_good_card_only.json"))
    page = connector(clock).fetch_updates(cursor={"questions_polled_at": clock()}, positions=nothing_known)
    with transaction.atomic():
        page_apply(account=account, page=page, mode=IngestMode.INCREMENTAL)
    chat = Chat.objects.get(account=account, external_id=CARD_CHAT)
    assert (chat.buyer_name, chat.unread_count) == ("Ирина", 1)
    assert chat.awaiting_reply_since == datetime(2023, 10, 23, 7, 20, tzinfo=UTC)
    message = Message.objects.get(chat=chat)
    assert (message.author, message.direction, message.text, message.is_read) == ("buyer", "in", "", False)
    assert message.attachments == [
        {
            "kind": "product",
            "name": "",
            "content_type": "",
            "size": None,
            "remote_id": "12345678",
            "url": "https://www.wildberries.ru/catalog/12345678/detail.aspx",
            "moderation": "",
            "price": "500 RUB",
        }
    ]


@pytest.mark.django_db
@responses.activate
def test_the_thread_shows_the_product_card_as_a_link_to_the_card_not_a_download(clock, client, agent) -> None:
    account = MarketplaceAccount.objects.create(
        marketplace="wildberries", name="WB", credentials=CREDENTIALS["wildberries"]
    )
    account.members.set([agent])
    SyncState.objects.create(account=account)
    responses.get(EVENTS, body=text("events_good_card_only.json"))
    page = connector(clock).fetch_updates(cursor={"questions_polled_at": clock()}, positions=nothing_known)
    with transaction.atomic():
        page_apply(account=account, page=page, mode=IngestMode.INCREMENTAL)
    chat = Chat.objects.get(account=account, external_id=CARD_CHAT)
    client.force_login(agent)
    html = client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    card = html.split('<div class="product-card">', 1)[1].split("</div>\n    </div>", 1)[0]
    assert 'href="https://www.wildberries.ru/catalog/12345678/detail.aspx"' in card
    assert '<span class="copyable">12345678</span>' in card and "Артикул" in card
    assert "500" in card and "₽" in card
    assert reverse("inbox:attachment", args=[chat.pk, Message.objects.get(chat=chat).pk, 0]) not in html
