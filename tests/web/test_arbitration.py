"""Yandex Market disputes (ChatType ARBITRAGE): answered to the arbiter, shown as such (DESIGN.md §13)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from inbox.models import Chat
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.registry import spec_for
from marketplaces.types import Author, RemoteMessage, UpdatesPage
from marketplaces.yandex_market.parse import chat_parse

pytestmark = pytest.mark.django_db
NOTICE = 'id="arbitration-notice">Арбитраж: ответ увидит арбитр<'
LABEL = '<span class="kind arbitration"'


def full_chat(*, chat_id: int, chat_type: str, status: str) -> dict:
    """A ChatFullDTO as GET /v2/businesses/{businessId}/chat answers it (ym-partner-api 2026-07)."""
    return {
        "chatId": chat_id,
        "context": {
            "type": "ORDER",
            "customer": {"name": "Ирина", "publicId": "8a2f0c1e7d"},
            "campaignId": 21001234,
            "orderId": 91234567 + chat_id,
        },
        "type": chat_type,
        "status": status,
        "createdAt": "2026-11-20T10:00:00+03:00",
        "updatedAt": "2026-11-20T12:00:00+03:00",
    }


def ingest(account, raw: dict) -> Chat:
    remote = chat_parse(raw)
    message = RemoteMessage(
        chat_external_id=remote.external_id,
        external_id=f"{remote.external_id}01",
        author=Author.BUYER,
        text="Товар пришёл с браком, продавец не отвечает",
        created_at=timezone.now() - timedelta(minutes=5),
    )
    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(chats=(remote,), messages=(message,)),
            mode=IngestMode.INCREMENTAL,
        )
    return Chat.objects.get(account=account, external_id=remote.external_id)


@pytest.fixture
def market(make_account, agent):
    return make_account("yandex_market", members=[agent])


@pytest.fixture
def logged_in(client, agent):
    client.force_login(agent)
    return client


def pane(client, chat: Chat) -> str:
    return client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_HX_REQUEST="true").content.decode()


def list_row(client, chat: Chat) -> str:
    body = client.get(reverse("inbox:index")).content.decode()
    start = body.index(f'id="chat-row-{chat.pk}"')
    return body[start : body.index("</a>", start)]


def test_a_dispute_keeps_its_reply_box_and_says_the_arbiter_reads_the_answer(logged_in, market):
    dispute = ingest(market, full_chat(chat_id=501, chat_type="ARBITRAGE", status="WAITING_FOR_ARBITER"))
    assert dispute.extras["type"] == "ARBITRAGE"
    assert dispute.can_reply

    body = pane(logged_in, dispute)
    assert NOTICE in body
    assert 'id="reply-text"' in body
    assert 'id="reply-closed-pill"' not in body
    row = list_row(logged_in, dispute)
    assert LABEL in row and "арбитраж" in row


def test_a_chat_of_type_chat_waiting_for_the_market_is_no_dispute(logged_in, market):
    # Same order context, buyer and status family: only the chat type tells a dispute apart.
    chat = ingest(market, full_chat(chat_id=502, chat_type="CHAT", status="WAITING_FOR_MARKET"))
    body = pane(logged_in, chat)
    assert NOTICE not in body
    assert 'id="reply-text"' in body
    assert LABEL not in list_row(logged_in, chat)


def test_a_finished_dispute_is_closed_and_still_labelled(logged_in, market):
    finished = ingest(market, full_chat(chat_id=503, chat_type="ARBITRAGE", status="FINISHED"))
    assert not finished.can_reply
    body = pane(logged_in, finished)
    assert 'id="reply-text"' not in body
    assert 'id="reply-closed-pill"' in body
    # The reply box is off, so no notice about who reads the answer.
    assert NOTICE not in body
    assert LABEL in list_row(logged_in, finished)


def test_a_chat_turned_into_a_dispute_is_shown_as_one_from_the_next_sync(logged_in, market):
    chat = ingest(market, full_chat(chat_id=504, chat_type="CHAT", status="WAITING_FOR_PARTNER"))
    assert NOTICE not in pane(logged_in, chat)
    ingest(market, full_chat(chat_id=504, chat_type="ARBITRAGE", status="WAITING_FOR_ARBITER"))
    assert NOTICE in pane(logged_in, chat)


def test_other_marketplaces_have_no_disputes():
    for marketplace in ("ozon", "wildberries"):
        assert not spec_for(marketplace).reply_window.answered_to_arbiter(extras={"type": "ARBITRAGE"})
    assert spec_for("yandex_market").reply_window.answered_to_arbiter(extras={"type": "arbitrage"})
