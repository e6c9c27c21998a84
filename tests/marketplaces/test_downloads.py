"""Direct-link attachments (Ozon, Yandex Market): fetched from the marketplace's own hosts only, without
credentials; links a buyer could plant (internal addresses, other sites, plain HTTP) are refused."""

import pytest
import responses

from marketplaces import errors
from marketplaces.ozon.connector import OzonConnector
from marketplaces.yandex_market.connector import YandexMarketConnector
from tests.conftest import CREDENTIALS

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


def ozon() -> OzonConnector:
    return OzonConnector(
        client_id=CREDENTIALS["ozon"]["client_id"],
        api_key=CREDENTIALS["ozon"]["api_key"],
        account_key="ozon:1",
        api_url="https://api-seller.ozon.ru",
    )


def yandex_market() -> YandexMarketConnector:
    return YandexMarketConnector(
        api_key=CREDENTIALS["yandex_market"]["api_key"],
        business_id=CREDENTIALS["yandex_market"]["business_id"],
        account_key="ym:1",
        api_url="https://api.partner.market.yandex.ru",
    )


@responses.activate
def test_ozon_file_from_its_cdn_without_credentials():
    url = "https://cdn1.ozone.ru/s3/chat/%D1%84%D0%BE%D1%82%D0%BE.jpg"
    responses.get(url, body=JPEG, content_type="image/jpeg")
    download = ozon().download_attachment(remote_id="", url=url)
    assert download.content == JPEG and download.content_type == "image/jpeg" and download.name == "фото.jpg"
    sent = responses.calls[0].request.headers
    assert "Api-Key" not in sent and "Client-Id" not in sent


@responses.activate
def test_yandex_market_file_from_its_storage():
    url = "https://market-chat-files.s3.yandex.net/123/scan.pdf?X-Amz-Signature=abc"
    responses.get(url, body=b"%PDF-1.4", content_type="application/pdf")
    download = yandex_market().download_attachment(remote_id="", url=url)
    assert download.content == b"%PDF-1.4" and download.name == "scan.pdf"
    assert "Api-Key" not in responses.calls[0].request.headers


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin/",
        "http://169.254.169.254/latest/meta-data/",
        "https://ozon.ru.evil.example/x.jpg",
        "https://evil-ozon.ru/x.jpg",
        "http://cdn1.ozone.ru/x.jpg",
        "file:///etc/passwd",
        "",
    ],
)
@responses.activate
def test_links_off_the_marketplace_are_refused_without_a_request(url):
    with pytest.raises(errors.CapabilityError):
        ozon().download_attachment(remote_id="", url=url)
    assert len(responses.calls) == 0


@responses.activate
def test_the_configured_api_host_is_trusted_for_staging_and_the_sandbox():
    connector = OzonConnector(
        client_id="1", api_key="x" * 36, account_key="ozon:2", api_url="http://127.0.0.1:8001/ozon"
    )
    responses.get("http://127.0.0.1:8001/_files/abc", body=JPEG, content_type="image/jpeg")
    assert connector.download_attachment(remote_id="", url="http://127.0.0.1:8001/_files/abc").content == JPEG
