"""The two-pane inbox in headless Chromium: tabs, opening, replying, resolving, live updates, keys."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat, Message
from inbox.services.aggregates import chat_aggregates_refresh
from tests.conftest import CREDENTIALS

pytestmark = pytest.mark.browser


def account_create(marketplace: str, name: str, member: User, **sync_fields) -> MarketplaceAccount:
    account = MarketplaceAccount.objects.create(
        marketplace=marketplace, name=name, credentials=CREDENTIALS[marketplace]
    )
    account.members.set([member])
    SyncState.objects.create(account=account, **sync_fields)
    return account


def chat_create(account, buyer: str, texts: list[str], minutes_ago: int, **fields) -> Chat:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    chat = Chat.objects.create(
        account=account,
        external_id=f"{account.marketplace}-{buyer}",
        buyer_name=buyer,
        last_message_at=moment,
        last_message_preview=texts[-1],
        awaiting_reply_since=moment,
        unread_count=len(texts),
        **fields,
    )
    for index, text in enumerate(texts):
        Message.objects.create(
            chat=chat,
            external_id=f"{chat.external_id}-{index}",
            direction="in",
            author="buyer",
            text=text,
            created_at=moment - timedelta(minutes=len(texts) - index),
        )
    return chat


@pytest.fixture
def inbox_data(transactional_db):
    agent = User.objects.create_user("agent", password="agent-password-123", first_name="Мария")
    now = timezone.now()
    ozon = account_create("ozon", "Ozon · Дом и сад", agent, last_success_at=now - timedelta(minutes=1))
    wildberries = account_create(
        "wildberries",
        "WB · Одежда",
        agent,
        last_success_at=now - timedelta(minutes=40),
        consecutive_failures=2,
        last_error="Wildberries отвечает 503, повторим через минуту",
    )
    market = account_create("yandex_market", "Маркет · Электроника", agent, last_success_at=now)
    chats = {
        "ozon": chat_create(
            ozon,
            "Анна",
            ["Здравствуйте! Когда привезут заказ?", "Трек-номер не обновляется третий день"],
            2,
            order_number="0123456789-0001-1",
            product_title="Садовый шланг 25 м",
            product_sku="1500123456",
        ),
        "wildberries": chat_create(
            wildberries,
            "Игорь",
            ["Размер M маломерит, можно обменять?"],
            25,
            product_title="Футболка хлопковая",
            product_sku="987654321",
        ),
        "market": chat_create(
            market,
            "Ольга",
            ["Подскажите, есть ли гарантия на наушники?"],
            90,
            order_number="45678901",
            product_title="Наушники беспроводные",
        ),
    }
    return {"agent": agent, "chats": chats}


def log_in(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", "agent-password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/inbox/")


def chat_open(page, live_server, chat) -> None:
    """Log in as the agent and open `chat`, its reply box wired to the pre-send check."""
    log_in(page, live_server)
    page.click(f"#chat-row-{chat.pk}")
    page.wait_for_selector("#reply-text.compliance-input")


def replies_sent(chat) -> list[str]:
    """The texts of our replies stored for `chat` (whatever their delivery state)."""
    return list(Message.objects.filter(chat=chat, direction="out").values_list("text", flat=True))


def test_agent_works_the_inbox(page, live_server, inbox_data, artifacts):
    chats = inbox_data["chats"]
    log_in(page, live_server)
    rows = page.locator(".chat-row")
    assert rows.count() == 3
    assert page.title().startswith("(3) Входящие")
    page.wait_for_selector("text=Wildberries отвечает 503")
    page.screenshot(path=str(artifacts / "inbox-list.png"))

    page.click(".tab[data-marketplace=ozon]")
    page.wait_for_url("**/inbox/?tab=ozon")
    page.wait_for_function("document.querySelectorAll('.chat-row').length === 1")
    assert page.locator(".chat-row .buyer").inner_text() == "Анна"
    page.click(".tab[data-marketplace=all]")
    page.wait_for_function("document.querySelectorAll('.chat-row').length === 3")

    page.click(f"#chat-row-{chats['ozon'].pk}")
    page.wait_for_url(f"**/inbox/chats/{chats['ozon'].pk}/")
    page.wait_for_selector(".chat-header h1:has-text('Анна')")
    page.wait_for_selector("text=Трек-номер не обновляется третий день")

    textarea = page.locator("#reply-text")
    textarea.fill("Анна, добрый день! Проверим доставку и вернёмся с ответом.")
    textarea.press("Enter")
    page.wait_for_selector(".message.author-seller .delivery-pending")
    assert "отправляется" in page.locator(".message.author-seller .delivery").inner_text()
    assert page.locator("#reply-text").input_value() == ""
    assert Message.objects.filter(chat=chats["ozon"], direction="out").count() == 1

    page.locator("#reply-text").fill("я" * 1001)
    page.wait_for_selector(".counter.over")
    assert page.locator("#reply-form button[type=submit]").is_disabled()
    assert "не больше 1000" in page.locator("#reply-error").inner_text()
    page.locator("#reply-text").press("Enter")
    assert Message.objects.filter(chat=chats["ozon"], direction="out").count() == 1
    page.locator("#reply-text").fill("")
    page.locator("#reply-text").press("Escape")

    # Resolving takes the chat out of the list and opens the one below it.
    page.keyboard.press("e")
    page.wait_for_url(f"**/inbox/chats/{chats['wildberries'].pk}/")
    page.wait_for_selector(".chat-header h1:has-text('Игорь')")
    page.wait_for_function("document.querySelectorAll('.chat-row').length === 2")
    assert page.locator(".chat-row.active .buyer").inner_text() == "Игорь"
    assert page.evaluate("document.activeElement.id") != "reply-text"  # e, j, k keep working
    chats["ozon"].refresh_from_db()
    assert chats["ozon"].status == Chat.Status.RESOLVED
    page.goto(f"{live_server.url}/inbox/chats/{chats['ozon'].pk}/")
    page.wait_for_selector("#reopen-button")
    page.click("#reopen-button")
    page.wait_for_selector(".status-pill.status-open")

    Message.objects.create(
        chat=chats["ozon"],
        external_id="live-1",
        direction="in",
        author="buyer",
        text="Спасибо, жду!",
        created_at=timezone.now(),
    )
    # As the ingest does with every stored message: the chat's unread count and awaiting time follow.
    chat_aggregates_refresh(chats=[chats["ozon"]])
    page.wait_for_selector("text=Спасибо, жду!", timeout=6000)
    page.screenshot(path=str(artifacts / "inbox-chat.png"))


def test_keyboard_navigation(page, live_server, inbox_data):
    chats = inbox_data["chats"]
    log_in(page, live_server)
    page.keyboard.press("j")
    page.wait_for_url(f"**/inbox/chats/{chats['ozon'].pk}/")
    page.wait_for_selector(".chat-header h1:has-text('Анна')")
    page.keyboard.press("j")
    page.wait_for_url(f"**/inbox/chats/{chats['wildberries'].pk}/")
    page.wait_for_selector(".chat-header h1:has-text('Игорь')")
    assert page.locator(".chat-row.active .buyer").inner_text() == "Игорь"
    page.keyboard.press("k")
    page.wait_for_url(f"**/inbox/chats/{chats['ozon'].pk}/")
    page.wait_for_selector(".chat-header h1:has-text('Анна')")
    page.wait_for_selector("#reply-text")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-text"
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("наушники")
    page.wait_for_function("document.querySelectorAll('.chat-row').length === 1")
    assert page.locator(".chat-row .buyer").inner_text() == "Ольга"
    assert "q=" in page.url


def test_narrow_screen_shows_one_pane(browser, live_server, inbox_data, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="ru-RU")
    page = context.new_page()
    try:
        log_in(page, live_server)
        assert page.locator(".chat-pane").is_hidden()
        page.click(f"#chat-row-{inbox_data['chats']['market'].pk}")
        page.wait_for_selector(".chat-header h1:has-text('Ольга')")
        assert page.locator(".list-pane").is_hidden()
        page.screenshot(path=str(artifacts / "inbox-mobile.png"))
        # The snooze menu opens inside the narrow screen, not beyond its edge.
        page.click("#snooze-menu summary")
        for preset in page.locator("#snooze-menu button[name=preset]").all():
            box = preset.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        context.close()


def test_a_reply_box_focused_before_its_compliance_check_is_wired_keeps_the_caret(
    page, live_server, inbox_data
):
    # The keyboard's "r" can land between the pane's swap and htmx:load, which wires the check up by
    # moving the textarea into its underline field: a moved element loses focus.
    log_in(page, live_server)
    page.click(f"#chat-row-{inbox_data['chats']['ozon'].pk}")
    page.wait_for_selector("#reply-text.compliance-input")
    state = page.evaluate(
        """() => {
            const form = document.getElementById("reply-form");
            const probe = document.createElement("textarea");
            probe.id = "probe";
            probe.dataset.complianceUrl = document.getElementById("reply-text").dataset.complianceUrl;
            form.appendChild(probe);
            probe.value = "Здравствуйте";
            probe.focus();
            probe.setSelectionRange(2, 5);
            window.ChatCenterCompliance.initialise(form);
            return [document.activeElement.id, probe.selectionStart, probe.selectionEnd,
                    !!probe.closest(".compliance-field")];
        }"""
    )
    assert state == ["probe", 2, 5, True]


def test_the_attach_button_speaks_russian_and_names_the_chosen_file(page, live_server, inbox_data):
    log_in(page, live_server)
    page.click(f"#chat-row-{inbox_data['chats']['ozon'].pk}")
    page.wait_for_selector("#reply-text.compliance-input")
    button = page.locator(".reply-file-button")
    assert button.inner_text().strip() == "Прикрепить файл"
    assert button.is_visible()
    # The native control is kept (keyboard, screen readers, the form) but drawn by us.
    assert page.locator("#reply-file").bounding_box()["width"] <= 1
    assert page.locator("#reply-form button[type=submit]").is_disabled()
    page.set_input_files(
        "#reply-file", files=[{"name": "фото.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" * 10}]
    )
    page.wait_for_selector("#reply-file-name:has-text('фото.jpg')")
    assert page.locator("#reply-form button[type=submit]").is_enabled()
