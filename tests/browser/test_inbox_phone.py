"""The inbox on a phone (390x844) and attachments in the thread, in headless Chromium."""

import struct
import zlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inbox.models import Message
from tests.browser.test_inbox_browser import account_create, chat_create, log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# A phone browser widens the layout viewport to fit wide content, so innerWidth must stay the screen's.
NO_HORIZONTAL_SCROLL = (
    f"document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === {PHONE['width']}"
)


def png_bytes(width: int = 160, height: int = 100) -> bytes:
    """A real PNG (a colour gradient), so the browser decodes it and reports its natural size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def phone_data(transactional_db):
    agent = User.objects.create_user("agent", password="agent-password-123", first_name="Мария")
    now = timezone.now()
    ozon = account_create(
        "ozon", "Ozon · Дом и сад — очень длинное название кабинета", agent, last_success_at=now
    )
    wildberries = account_create("wildberries", "WB · Одежда", agent, last_success_at=now)
    market = account_create("yandex_market", "Маркет · Электроника", agent, last_success_at=now)
    long_text = "Здравствуйте! Заказ пришёл без инструкции, а на коробке вмятина — " * 4
    chats = {
        "ozon": chat_create(
            ozon,
            "Анна Константинопольская",
            ["Здравствуйте!", long_text],
            2,
            order_number="0123456789-0001-1",
            product_title="Садовый шланг 25 м с распылителем и креплением на стену",
            product_sku="1500123456",
        ),
        "wildberries": chat_create(wildberries, "Игорь", ["Пришёл не тот цвет, фото ниже"], 30),
        "market": chat_create(market, "Ольга", ["Фото упаковки"], 60 * 24 * 9),
    }
    return {"agent": agent, "chats": chats}


def attach(chat, attachments: list[dict]) -> Message:
    return Message.objects.create(
        chat=chat,
        external_id=f"{chat.external_id}-files",
        direction="in",
        author="buyer",
        text="",
        attachments=attachments,
        created_at=timezone.now() - timedelta(seconds=30),
    )


def serve_attachments(page, *, failing: set[str] = frozenset()) -> None:
    """Answer the product's attachment URLs in the browser: a PNG, or a 502 for the `failing` paths."""
    image = png_bytes()

    def handle(route):
        path = route.request.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
        if f"/{path}" in failing:
            route.fulfill(status=502, body="маркетплейс не отдал файл")
        else:
            route.fulfill(status=200, body=image, content_type="image/png")

    page.route("**/attachments/**", handle)


def test_phone_list_and_chat_fit_the_screen_and_the_reply_box_works(
    browser, live_server, phone_data, artifacts
):
    chats = phone_data["chats"]
    context = browser.new_context(
        viewport=PHONE, locale="ru-RU", is_mobile=True, has_touch=True, bypass_csp=True
    )
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        log_in(page, live_server)
        assert page.locator(".chat-row").count() == 3
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        assert page.locator(".chat-pane").is_hidden()
        for selector in (
            ".lang select",
            ".filters select[name=status]",
            ".filters select[name=sort]",
            "#search",
        ):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
        for row in page.locator(".chat-row .age").all():
            box = row.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        page.screenshot(path=str(artifacts / "phone-list.png"))

        page.click(f"#chat-row-{chats['ozon'].pk}")
        page.wait_for_url(f"**/inbox/chats/{chats['ozon'].pk}/")
        page.wait_for_selector(".chat-header h1:has-text('Анна')")
        assert page.locator(".list-pane").is_hidden()
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        # The pane posts the read once shown; the list (hidden here) refreshes without the unread mark.
        page.wait_for_function(f"!document.querySelector('#chat-row-{chats['ozon'].pk}.unread')")
        chats["ozon"].refresh_from_db()
        assert chats["ozon"].unread_count == 0
        reply = page.locator("#reply-text")
        # Not focused on opening: on a phone that raises the keyboard over the thread just opened.
        assert not page.evaluate("document.activeElement === document.getElementById('reply-text')")
        box = reply.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
        send = page.locator("#reply-form button[type=submit]").bounding_box()
        assert send is not None and send["x"] + send["width"] <= PHONE["width"]
        assert send["y"] + send["height"] <= PHONE["height"]
        page.screenshot(path=str(artifacts / "phone-chat.png"))

        reply.tap()
        reply.fill("Анна, добрый день! Пришлите, пожалуйста, фото коробки.")
        page.locator("#reply-form button[type=submit]").tap()
        page.wait_for_selector(".message.author-seller .delivery-pending")
        assert Message.objects.filter(chat=chats["ozon"], direction="out").count() == 1
        assert page.evaluate(NO_HORIZONTAL_SCROLL)

        page.locator(".chat-header .back").tap()
        page.wait_for_url("**/inbox/")
        page.wait_for_selector(".chat-row")
        assert page.locator(".list-pane").is_visible()
        assert page.locator(".chat-pane").is_hidden()
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
    finally:
        context.close()


def test_images_show_inline_for_every_marketplace_and_wb_files_in_moderation_as_placeholders(
    page, live_server, phone_data, artifacts
):
    chats = phone_data["chats"]
    ozon_files = attach(chats["ozon"], [{"kind": "image", "name": "%D1%84%D0%BE%D1%82%D0%BE.jpg"}])
    market_files = attach(
        chats["market"],
        [{"kind": "image", "name": "упаковка.png"}, {"kind": "image", "name": "сломано.png"}],
    )
    wildberries_files = attach(
        chats["wildberries"],
        [
            {"kind": "image", "name": "цвет.jpg"},
            {"kind": "image", "name": "ещё-фото.jpg", "moderation": "pending"},
            {"kind": "file", "name": "чек.pdf", "moderation": "rejected"},
            {
                "kind": "product",
                "name": "Футболка хлопковая",
                "remote_id": "12345678",
                "price": 1290,
                "url": "https://www.wildberries.ru/catalog/12345678/detail.aspx",
            },
        ],
    )
    broken = f"/inbox/chats/{chats['market'].pk}/messages/{market_files.pk}/attachments/1/"
    serve_attachments(page, failing={broken})
    log_in(page, live_server)

    for chat, message in (
        (chats["ozon"], ozon_files),
        (chats["market"], market_files),
        (chats["wildberries"], wildberries_files),
    ):
        page.click(f"#chat-row-{chat.pk}")
        page.wait_for_url(f"**/inbox/chats/{chat.pk}/")
        image = page.locator(f"#message-{message.pk} img").first
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "image => image.complete && image.naturalWidth === 160", arg=image.element_handle()
        )
        assert image.is_visible()

    page.click(f"#chat-row-{chats['ozon'].pk}")
    page.wait_for_selector(f"#message-{ozon_files.pk} img[alt='фото.jpg']")

    page.click(f"#chat-row-{chats['market'].pk}")
    page.wait_for_url(f"**/inbox/chats/{chats['market'].pk}/")
    fallback = page.locator(f"#message-{market_files.pk} .image-fallback").nth(1)
    fallback.wait_for(state="visible")
    assert page.locator(f"#message-{market_files.pk} .image-fallback").first.is_hidden()
    assert fallback.inner_text().strip() == "сломано.png — открыть изображение"
    assert fallback.locator("svg.icon").count() == 1
    assert page.locator(f"#message-{market_files.pk} img[alt='сломано.png']").is_hidden()

    page.click(f"#chat-row-{chats['wildberries'].pk}")
    page.wait_for_url(f"**/inbox/chats/{chats['wildberries'].pk}/")
    bubble = page.locator(f"#message-{wildberries_files.pk}")
    pending = bubble.locator(".moderation-pending")
    rejected = bubble.locator(".moderation-rejected")
    assert pending.inner_text().split() == ["ещё-фото.jpg", "на", "модерации"]
    assert rejected.inner_text().split() == ["чек.pdf", "отклонён", "модерацией"]
    for placeholder in (pending, rejected):
        assert placeholder.locator(".file-icon svg.icon").count() == 1
    assert bubble.locator("img").count() == 1  # the placeholders are never images
    card = bubble.locator(".product-card")
    assert card.locator(".product-name a").inner_text() == "Футболка хлопковая"
    assert card.locator(".product-name a").get_attribute("href") == (
        "https://www.wildberries.ru/catalog/12345678/detail.aspx"
    )
    assert card.locator(".product-facts").inner_text().split() == ["Артикул", "12345678", "1", "290", "₽"]
    page.screenshot(path=str(artifacts / "attachments-wildberries.png"))
