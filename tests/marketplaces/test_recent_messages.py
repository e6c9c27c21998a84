"""chat_recent_messages: the exact request each connector sends to settle one chat's `unknown` reply."""

import json
from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from marketplaces import errors
from marketplaces.types import Author, ChatKind, ChatRef
from tests.marketplaces.conftest import WILDBERRIES_FEEDBACKS_URL, FakeClock, fixture_text
from tests.marketplaces.ozon.test_connector import BUYER_CHAT
from tests.marketplaces.ozon.test_connector import HISTORY as OZON_HISTORY
from tests.marketplaces.ozon.test_connector import connector as ozon_connector
from tests.marketplaces.wildberries.test_connector import EVENTS, FIRST_CHAT
from tests.marketplaces.wildberries.test_connector import connector as wildberries_connector
from tests.marketplaces.yandex_market.test_connector import HISTORY as YANDEX_MARKET_HISTORY
from tests.marketplaces.yandex_market.test_connector import connector as yandex_market_connector

QUESTION = f"{WILDBERRIES_FEEDBACKS_URL}/api/v1/question"


@responses.activate
def test_wildberries_question_asks_for_that_one_question(clock) -> None:
    answered = json.loads(fixture_text("wildberries", "questions_answered.json"))["data"]["questions"][0]
    responses.get(
        QUESTION,
        json={"data": answered, "error": False, "errorText": "", "additionalErrors": None},
        match=[matchers.query_param_matcher({"id": "Xq7pL0RkT2aBcDeFgHiJ"})],
    )
    chat = ChatRef(
        external_id="question:Xq7pL0RkT2aBcDeFgHiJ",
        kind=ChatKind.QUESTION,
        extras={"question_id": "Xq7pL0RkT2aBcDeFgHiJ"},
    )
    messages = wildberries_connector(clock).chat_recent_messages(chat=chat)
    assert [(m.external_id, m.author, m.text) for m in messages] == [
        ("Xq7pL0RkT2aBcDeFgHiJ:question", Author.BUYER, "Есть ли размер 42?"),
        ("Xq7pL0RkT2aBcDeFgHiJ:answer", Author.SELLER, "Да, размер 42 есть в наличии."),
    ]
    assert len(responses.calls) == 1


@responses.activate
def test_wildberries_chat_reads_a_bounded_stretch_of_the_events_feed() -> None:
    # 2023-10-23 07:10 UTC, when the fixture's events are fresh: the feed is read from 30 minutes back.
    clock = FakeClock(start=1_698_045_000.0)
    start = (1_698_045_000 - 30 * 60) * 1000
    responses.get(
        EVENTS,
        body=fixture_text("wildberries", "events_page_1.json"),
        match=[matchers.query_param_matcher({"next": str(start)})],
    )
    responses.get(
        EVENTS,
        body=fixture_text("wildberries", "events_empty.json"),
        match=[matchers.query_param_matcher({"next": "1698045576000"})],
    )
    messages = wildberries_connector(clock).chat_recent_messages(chat=ChatRef(external_id=FIRST_CHAT))
    assert [message.chat_external_id for message in messages] == [FIRST_CHAT] * len(messages)
    assert [message.external_id for message in messages] == [
        "55adee45-11f0-33b6-a847-6ccc7c78b2ec",
        "cef95d3c-0345-4dc9-b6df-4c8c57a176a9",
        "fd22e5bf-64fd-43f7-b3a0-ad29uu027f97",
    ]
    assert len(responses.calls) == 2
    # The whole feed from 30 minutes back was read: a reply written 25 minutes ago or later is covered.
    assert messages.complete_since == datetime.fromtimestamp(1_698_045_000 - 25 * 60, UTC)


@responses.activate
def test_wildberries_chat_feed_longer_than_the_bound_proves_nothing() -> None:
    clock = FakeClock(start=1_698_045_000.0)
    page = json.loads(fixture_text("wildberries", "events_page_1.json"))
    for number in range(7):
        page["result"]["next"] = 1698045576000 + number
        responses.get(EVENTS, json=page)
    with pytest.raises(errors.TransientError) as caught:
        wildberries_connector(clock).chat_recent_messages(chat=ChatRef(external_id=FIRST_CHAT))
    assert caught.value.message == (
        "Wildberries: с момента ответа больше событий, чем 5 страниц; они будут прочитаны позже"
    )
    assert len(responses.calls) == 5


@responses.activate
def test_ozon_reads_the_newest_history_page_of_the_chat(clock) -> None:
    responses.post(
        OZON_HISTORY,
        body=fixture_text("ozon", "chat_history_backward_page_1.json"),
        match=[
            matchers.json_params_matcher({"chat_id": BUYER_CHAT, "direction": "Backward", "limit": 100}),
        ],
    )
    messages = ozon_connector(clock).chat_recent_messages(chat=ChatRef(external_id=BUYER_CHAT))
    assert [message.external_id for message in messages] == ["3000000300211559600", "3000000300211559667"]
    assert len(responses.calls) == 1


@responses.activate
def test_yandex_market_reads_the_newest_history_page_of_the_chat(clock) -> None:
    responses.post(
        YANDEX_MARKET_HISTORY,
        body=fixture_text("yandex_market", "history_page_2.json"),
        match=[
            matchers.query_param_matcher({"chatId": "1001", "limit": "100"}),
            matchers.json_params_matcher({}),
        ],
    )
    messages = yandex_market_connector(clock).chat_recent_messages(chat=ChatRef(external_id="1001"))
    assert [(message.external_id, message.author) for message in messages] == [("503", Author.BUYER)]
    assert len(responses.calls) == 1


@responses.activate
def test_yandex_market_follows_the_history_to_its_end_from_our_newest_message(clock) -> None:
    responses.post(
        YANDEX_MARKET_HISTORY,
        body=fixture_text("yandex_market", "history_page_1.json"),
        match=[
            matchers.query_param_matcher({"chatId": "1001", "limit": "100"}),
            matchers.json_params_matcher({"messageIdFrom": 500}),
        ],
    )
    responses.post(
        YANDEX_MARKET_HISTORY,
        body=fixture_text("yandex_market", "history_page_2.json"),
        match=[
            matchers.query_param_matcher(
                {"chatId": "1001", "limit": "100", "page_token": "eyJtZXNzYWdlSWQiOjUwMn0"}
            ),
            matchers.json_params_matcher({"messageIdFrom": 500}),
        ],
    )
    chat = ChatRef(external_id="1001", last_message_external_id="500")
    messages = yandex_market_connector(clock).chat_recent_messages(chat=chat)
    assert [message.external_id for message in messages] == ["501", "502", "503"]
    assert len(responses.calls) == 2


@responses.activate
def test_yandex_market_history_longer_than_the_bound_proves_nothing(clock) -> None:
    page = json.loads(fixture_text("yandex_market", "history_page_1.json"))
    for number in range(6):
        page["result"]["paging"]["nextPageToken"] = f"token-{number}"
        responses.post(YANDEX_MARKET_HISTORY, json=page)
    with pytest.raises(errors.TransientError) as caught:
        yandex_market_connector(clock).chat_recent_messages(chat=ChatRef(external_id="1001"))
    assert caught.value.message == "Яндекс Маркет: история чата длиннее 5 страниц; она будет прочитана позже"
    assert len(responses.calls) == 5
