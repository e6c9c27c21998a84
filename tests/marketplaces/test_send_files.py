"""Connectors sending a reply's file: WB carries the text in the same request, Ozon and YM refuse it."""

import pytest
import responses

from marketplaces import errors
from marketplaces.types import ChatRef
from tests.marketplaces.ozon import test_connector as test_ozon
from tests.marketplaces.wildberries import test_connector as test_wildberries
from tests.marketplaces.yandex_market import test_connector as test_yandex_market


@responses.activate
def test_wildberries_sends_text_and_file_in_one_multipart_request(clock) -> None:
    responses.post(test_wildberries.MESSAGE, body=test_wildberries.text("message_sent.json"))
    chat = ChatRef(
        external_id=test_wildberries.FIRST_CHAT, extras={"reply_sign": test_wildberries.FIRST_SIGN}
    )

    test_wildberries.connector(clock).send_file(
        chat=chat, name="Чек.pdf", content=b"%PDF-1.4 test", content_type="application/pdf", text="Ваш чек"
    )

    assert len(responses.calls) == 1
    body = responses.calls[0].request.body
    assert b'name="replySign"\r\n\r\n' + test_wildberries.FIRST_SIGN.encode() in body
    assert b'name="message"\r\n\r\n' + "Ваш чек".encode() in body
    assert b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 test" in body


@responses.activate
def test_wildberries_file_alone_has_no_message_part(clock) -> None:
    responses.post(test_wildberries.MESSAGE, body=test_wildberries.text("message_sent.json"))
    chat = ChatRef(
        external_id=test_wildberries.FIRST_CHAT, extras={"reply_sign": test_wildberries.FIRST_SIGN}
    )

    test_wildberries.connector(clock).send_file(
        chat=chat, name="Чек.pdf", content=b"%PDF-1.4 test", content_type="application/pdf"
    )

    assert b'name="message"' not in responses.calls[0].request.body


@responses.activate
def test_wildberries_refuses_an_over_long_text_with_a_file_before_sending(clock) -> None:
    chat = ChatRef(
        external_id=test_wildberries.FIRST_CHAT, extras={"reply_sign": test_wildberries.FIRST_SIGN}
    )
    with pytest.raises(errors.RequestRejectedError):
        test_wildberries.connector(clock).send_file(
            chat=chat, name="a.pdf", content=b"%PDF-1.4", content_type="application/pdf", text="я" * 1001
        )
    assert len(responses.calls) == 0


@responses.activate
@pytest.mark.parametrize("module", [test_ozon, test_yandex_market])
def test_ozon_and_yandex_market_take_no_text_with_a_file(clock, module) -> None:
    with pytest.raises(errors.RequestRejectedError) as caught:
        module.connector(clock).send_file(
            chat=ChatRef(external_id="12345"),
            name="a.pdf",
            content=b"%PDF-1.4",
            content_type="application/pdf",
            text="Текст",
        )
    assert "отдельными сообщениями" in caught.value.message
    assert len(responses.calls) == 0
