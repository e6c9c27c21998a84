import pytest
import responses
from django.test import override_settings

from marketplaces import errors, registry
from marketplaces.ozon import OzonConnector
from marketplaces.wildberries import WildberriesConnector
from marketplaces.yandex_market import YandexMarketConnector
from tests.conftest import CREDENTIALS


@pytest.mark.django_db
def test_get_connector_picks_the_class_and_reads_base_urls_from_settings(make_account) -> None:
    with override_settings(
        WILDBERRIES_CHAT_API_URL="http://127.0.0.1:9001/wb-chat/",
        WILDBERRIES_FEEDBACKS_API_URL="http://127.0.0.1:9001/wb-feedbacks",
        OZON_API_URL="http://127.0.0.1:9001/ozon",
        YANDEX_MARKET_API_URL="http://127.0.0.1:9001/ym",
    ):
        wildberries = registry.get_connector(make_account("wildberries"))
        ozon = registry.get_connector(make_account("ozon"))
        yandex_market = registry.get_connector(make_account("yandex_market"))
    assert isinstance(wildberries, WildberriesConnector)
    assert wildberries.http.base_url == "http://127.0.0.1:9001/wb-chat"
    assert wildberries.feedbacks_api_url == "http://127.0.0.1:9001/wb-feedbacks"
    assert isinstance(ozon, OzonConnector) and ozon.http.base_url == "http://127.0.0.1:9001/ozon"
    assert ozon.http.headers["Client-Id"] == "123456"
    assert isinstance(yandex_market, YandexMarketConnector)
    assert yandex_market.http.base_url == "http://127.0.0.1:9001/ym"
    assert (wildberries.capabilities.max_text_length, wildberries.capabilities.can_mark_read) == (1000, False)
    assert wildberries.capabilities.file_content_types == ("image/jpeg", "image/png", "application/pdf")
    assert (ozon.capabilities.max_text_length, ozon.capabilities.can_mark_read) == (1000, True)
    assert (yandex_market.capabilities.max_text_length, yandex_market.capabilities.max_file_bytes) == (
        4096,
        5 * 1024 * 1024,
    )


def test_unknown_marketplace_and_missing_fields() -> None:
    with pytest.raises(NotImplementedError):
        registry.build_connector(marketplace="aliexpress", credentials={}, account_key="x")
    assert registry.credentials_check(marketplace="aliexpress", credentials={}) is None
    with pytest.raises(errors.AuthError) as caught:
        registry.build_connector(marketplace="ozon", credentials={"client_id": "1"}, account_key="x")
    assert "api_key" in caught.value.message


@pytest.mark.django_db
@responses.activate
def test_credentials_check_calls_the_marketplace() -> None:
    responses.post(
        "https://api.partner.market.yandex.ru/v2/businesses/7654321/chats",
        json={"status": "OK", "result": {"chats": [], "paging": {}}},
    )
    info = registry.credentials_check(marketplace="yandex_market", credentials=CREDENTIALS["yandex_market"])
    assert info is not None and info.external_id == "7654321"
    assert responses.calls[0].request.headers["Api-Key"] == CREDENTIALS["yandex_market"]["api_key"]
