"""Every attachment the sandbox announces is served as real bytes, from its own host, for all three
marketplaces: the type and size it announces are the bytes' own, and the bytes open as what they claim."""

import io
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image

from sandbox.assets import (
    JPEG_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
    PHOTO_SIZE,
    PNG_CONTENT_TYPE,
    pdf_bytes,
    photo_bytes,
)
from sandbox.world import (
    AUTHOR_BUYER,
    MODERATION_PENDING,
    MODERATION_READY,
    MODERATION_REJECTED,
    Attachment,
    Message,
)

MAGIC = {
    JPEG_CONTENT_TYPE: b"\xff\xd8\xff",
    PNG_CONTENT_TYPE: b"\x89PNG\r\n\x1a\n",
    PDF_CONTENT_TYPE: b"%PDF-",
}
IMAGE_FORMATS = {JPEG_CONTENT_TYPE: "JPEG", PNG_CONTENT_TYPE: "PNG"}


@pytest.fixture(autouse=True)
def every_kind(sandbox):
    """Whatever the seed drew, each marketplace's first cabinet also has one buyer message with a JPEG
    photo, a PNG screenshot and a PDF, all with Cyrillic names."""
    world = sandbox.world
    for marketplace in ("wildberries", "ozon", "yandex_market"):
        cabinet = world.cabinet_find(marketplace=marketplace, reference=0)
        chat = next(
            chat for chat in cabinet.chats.values() if chat.messages and chat.chat_type != "SELLER_SUPPORT"
        )
        with world.lock:
            created_ms = world.next_time_ms(cabinet)
            files = [
                Attachment(world.random_uuid(), "фото брака.jpg", JPEG_CONTENT_TYPE, photo_bytes(0, 91, 255)),
                Attachment(
                    world.random_uuid(),
                    "скриншот.png",
                    PNG_CONTENT_TYPE,
                    photo_bytes(46, 160, 67, content_type=PNG_CONTENT_TYPE),
                ),
                Attachment(world.random_uuid(), "Чек №1.pdf", PDF_CONTENT_TYPE, pdf_bytes()),
            ]
            message = Message(
                world.new_message_id(cabinet, created_ms),
                chat.chat_id,
                AUTHOR_BUYER,
                "Вот",
                created_ms,
                files,
            )
            world.add_message(cabinet, chat, message)


@pytest.fixture
def roomy(client):
    """Room in the rate limits for one request per attachment."""
    client.control("POST", "/limits", {"wildberries_chat_burst": 1000, "wildberries_chat_interval": 0.001})
    return client


def assert_real_file(response, *, content_type: str) -> bytes:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    content = response.content
    assert content.startswith(MAGIC[content_type])
    assert int(response.headers["Content-Length"]) == len(content)
    if content_type in IMAGE_FORMATS:
        image = Image.open(io.BytesIO(content))
        assert (image.format, image.size) == (IMAGE_FORMATS[content_type], PHOTO_SIZE)
        image.load()  # decodes every pixel: a truncated or corrupt file raises here
    else:
        assert content.rstrip().endswith(b"%%EOF")
    return content


def on_own_host(client, url: str) -> bool:
    return url.startswith(client.sandbox.base_url + "/")


def url_name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def wildberries_events(client) -> list[dict]:
    events, cursor = [], None
    while True:
        params = {"next": cursor} if cursor else {}
        body = client.wildberries("GET", "/api/v1/seller/events", params=params).json()["result"]
        if body["totalEvents"] == 0:
            return events
        events.extend(body["events"])
        cursor = body["next"]


def test_wildberries_files_and_images_are_real_and_match_what_is_announced(roomy):
    client = roomy
    world = client.sandbox.world
    announced = {}
    for event in wildberries_events(client):
        attachments = event.get("message", {}).get("attachments", {})
        for item in attachments.get("files", []):
            announced[item["downloadID"]] = item
        for item in attachments.get("images", []):
            announced[item["downloadID"]] = item
    cabinet = client.cabinet("wildberries")
    owned = {key: item for key, item in world.attachments.items() if item.owner == cabinet.key}
    assert set(announced) == set(owned)
    types_seen = set()
    for download_id, item in announced.items():
        truth = owned[download_id]
        assert on_own_host(client, item["url"])
        assert url_name(item["url"]) == truth.name
        if "size" in item:  # files carry name, type and size; images only a URL
            assert (item["name"], item["contentType"], item["size"]) == (
                truth.name,
                truth.content_type,
                len(truth.content),
            )
        download = client.wildberries("GET", f"/api/v1/seller/download/{download_id}")
        cdn = client.http.get(item["url"], timeout=5)
        if truth.moderation == MODERATION_READY:
            content = assert_real_file(download, content_type=truth.content_type)
            assert assert_real_file(cdn, content_type=truth.content_type) == content == truth.content
            types_seen.add(truth.content_type)
        else:
            expected = {MODERATION_PENDING: 202, MODERATION_REJECTED: 451}[truth.moderation]
            assert (download.status_code, cdn.status_code) == (expected, 404)
    assert types_seen == {JPEG_CONTENT_TYPE, PNG_CONTENT_TYPE, PDF_CONTENT_TYPE}
    assert {item.moderation for item in owned.values()} == {
        MODERATION_READY,
        MODERATION_PENDING,
        MODERATION_REJECTED,
    }


def test_ozon_markdown_links_serve_real_files(client):
    cabinet = client.cabinet("ozon")
    world = client.sandbox.world
    by_url = {}
    for chat in cabinet.chats.values():
        history = client.ozon("/v3/chat/history", {"chat_id": chat.chat_id, "limit": 1000}).json()
        for message in history["messages"]:
            for fragment in message["data"]:
                if "](" in fragment:
                    label = fragment.split("[", 1)[1].split("]", 1)[0]
                    url = fragment.split("](", 1)[1].rstrip(")")
                    by_url[url] = (label, fragment.startswith("!["), message["is_image"])
    assert by_url
    types_seen = set()
    for url, (label, is_image_link, message_is_image) in by_url.items():
        assert on_own_host(client, url)
        truth = world.attachments[urlsplit(url).path.split("/")[2]]
        assert label == url_name(url) == truth.name
        assert is_image_link == truth.is_image and (message_is_image or not is_image_link)
        assert (
            assert_real_file(client.http.get(url, timeout=5), content_type=truth.content_type)
            == truth.content
        )
        types_seen.add(truth.content_type)
    assert types_seen == {JPEG_CONTENT_TYPE, PNG_CONTENT_TYPE, PDF_CONTENT_TYPE}


def test_yandex_market_payload_urls_serve_real_files_of_the_announced_size(client):
    cabinet = client.cabinet("yandex_market")
    world = client.sandbox.world
    payloads = []
    for chat in cabinet.chats.values():
        if not chat.messages:
            continue
        history = client.yandex_market(
            "POST",
            "/chats/history",
            params={"chatId": chat.chat_id, "limit": 100},
            json={"messageIdFrom": int(chat.messages[0].message_id)},
        ).json()["result"]
        first = chat.messages[0]
        messages = history["messages"]
        if first.attachments:  # messageIdFrom is exclusive: the first message comes from the world
            payloads.extend(
                {"name": item.name, "size": len(item.content), "url": client.sandbox.context.file_url(item)}
                for item in first.attachments
            )
        for message in messages:
            payloads.extend(message.get("payload", []))
    assert payloads
    types_seen = set()
    for item in payloads:
        assert on_own_host(client, item["url"])
        truth = world.attachments[urlsplit(item["url"]).path.split("/")[2]]
        assert (item["name"], item["size"], url_name(item["url"])) == (
            truth.name,
            len(truth.content),
            truth.name,
        )
        content = assert_real_file(client.http.get(item["url"], timeout=5), content_type=truth.content_type)
        assert len(content) == item["size"]
        types_seen.add(truth.content_type)
    assert types_seen == {JPEG_CONTENT_TYPE, PNG_CONTENT_TYPE, PDF_CONTENT_TYPE}


def test_file_urls_answer_head_and_refuse_writes(client):
    attachment = next(
        item for item in client.sandbox.world.attachments.values() if item.moderation == "ready"
    )
    url = client.sandbox.context.file_url(attachment)
    head = client.http.head(url, timeout=5)
    assert (head.status_code, head.headers["Content-Length"], head.content) == (
        200,
        str(len(attachment.content)),
        b"",
    )
    assert head.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.http.post(url, timeout=5).status_code == 405
    assert client.http.get(client.sandbox.base_url + "/_files/unknown/x.png", timeout=5).status_code == 404
