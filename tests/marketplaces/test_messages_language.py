"""Connector messages are English gettext strings: Russian by default, English for an English session."""

import pytest
import responses
from django.utils import translation

from marketplaces import errors
from marketplaces.types import ChatRef
from tests.marketplaces.yandex_market.test_connector import connector, text

SEND = "https://api.partner.market.yandex.ru/v2/businesses/7654321/chats/message"


@pytest.mark.parametrize(
    ("language", "empty", "rejected"),
    [
        ("ru", "Пустое сообщение отправить нельзя", "Яндекс Маркет отклонил сообщение: "),
        ("en", "An empty message cannot be sent", "Yandex Market rejected the message: "),
    ],
)
@responses.activate
def test_messages_follow_the_active_language(clock, language, empty, rejected) -> None:
    responses.post(SEND, status=400, body=text("error_400.json"))
    with translation.override(language):
        with pytest.raises(errors.RequestRejectedError) as caught:
            connector(clock).send_text(chat=ChatRef(external_id="1001"), text="  ")
        assert caught.value.message == empty
        with pytest.raises(errors.RequestRejectedError) as caught:
            connector(clock).send_text(chat=ChatRef(external_id="1001"), text="Здравствуйте")
        assert caught.value.message.startswith(rejected)


@pytest.mark.parametrize(("language", "detail"), [("ru", ": без описания"), ("en", ": no description")])
@responses.activate
def test_an_error_without_a_description_says_so_in_the_active_language(clock, language, detail) -> None:
    responses.post(SEND, status=200, json={"status": "ERROR"})
    with translation.override(language), pytest.raises(errors.RequestRejectedError) as caught:
        connector(clock).send_text(chat=ChatRef(external_id="1001"), text="Здравствуйте")
    assert caught.value.message.endswith(detail)
