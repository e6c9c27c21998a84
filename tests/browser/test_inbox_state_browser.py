"""The inbox keeps its state in headless Chromium: shortcuts whatever the keyboard layout, the open chat
across list filters, what the agent is using across live refreshes, the page across a language switch."""

import pytest
from django.utils import timezone

from inbox.models import Chat, Message
from inbox.services.aggregates import chat_aggregates_refresh
from tests.browser.test_inbox_browser import account_create, chat_create, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def chats(transactional_db, django_user_model):
    agent = django_user_model.objects.create_user("agent", password="agent-password-123", first_name="Мария")
    ozon = account_create("ozon", "Ozon · Дом и сад", agent, last_success_at=timezone.now())
    market = account_create("yandex_market", "Маркет · Электроника", agent, last_success_at=timezone.now())
    return {
        "anna": chat_create(ozon, "Анна", ["Где мой заказ?"], 2),
        "igor": chat_create(ozon, "Игорь", ["Размер M маломерит"], 20),
        "olga": chat_create(market, "Ольга", ["Есть гарантия?"], 90),
    }


def _press_in_russian_layout(page, key: str, code: str) -> None:
    """What a keyboard with the Russian layout on sends: the Cyrillic letter, at the Latin key's place."""
    page.evaluate(
        "([key, code]) => document.activeElement.dispatchEvent("
        "new KeyboardEvent('keydown', {key, code, bubbles: true, cancelable: true}))",
        [key, code],
    )


def test_shortcuts_work_with_the_russian_layout_on(page, live_server, chats):
    log_in(page, live_server)
    _press_in_russian_layout(page, "о", "KeyJ")
    page.wait_for_url(f"**/inbox/chats/{chats['anna'].pk}/")
    page.wait_for_selector("#reply-text.compliance-input")
    page.locator("#thread").focus()
    _press_in_russian_layout(page, "о", "KeyJ")
    page.wait_for_url(f"**/inbox/chats/{chats['igor'].pk}/")
    page.wait_for_selector(".chat-header h1:has-text('Игорь')")
    _press_in_russian_layout(page, "л", "KeyK")
    page.wait_for_url(f"**/inbox/chats/{chats['anna'].pk}/")
    page.wait_for_selector(".chat-header h1:has-text('Анна')")
    _press_in_russian_layout(page, "к", "KeyR")
    assert page.evaluate("document.activeElement.id") == "reply-text"
    page.keyboard.press("Escape")
    _press_in_russian_layout(page, "ы", "KeyS")
    assert page.locator("#snooze-menu[open]").count() == 1
    page.keyboard.press("Escape")
    _press_in_russian_layout(page, "у", "KeyE")
    page.wait_for_url(f"**/inbox/chats/{chats['igor'].pk}/")
    chats["anna"].refresh_from_db()
    assert chats["anna"].status == Chat.Status.RESOLVED
    _press_in_russian_layout(page, ".", "Slash")
    assert page.evaluate("document.activeElement.id") == "search"


def test_a_list_filter_keeps_the_open_chat_in_the_address_and_the_highlight(page, live_server, chats):
    igor = chats["igor"]
    log_in(page, live_server)
    page.click(f"#chat-row-{igor.pk}")
    page.wait_for_selector(".chat-header h1:has-text('Игорь')")
    page.select_option("select[name=sort]", "waiting")  # Ольга (90 min), Игорь (20), Анна (2)
    page.wait_for_url("**sort=waiting**")
    page.wait_for_function(
        "[...document.querySelectorAll('.chat-row .buyer')].map(buyer => buyer.textContent).join()"
        " === 'Ольга,Игорь,Анна'"
    )
    assert f"/inbox/chats/{igor.pk}/?" in page.url
    assert page.locator(".chat-row.active .buyer").inner_text() == "Игорь"
    page.locator("#thread").focus()
    page.keyboard.press("j")  # the chat below Игорь, not the top of the list
    page.wait_for_selector(".chat-header h1:has-text('Анна')")
    page.reload()
    page.wait_for_selector(".chat-header h1:has-text('Анна')")
    assert page.locator("select[name=sort]").input_value() == "waiting"


def _buyer_writes(chat, text: str) -> None:
    Message.objects.create(
        chat=chat,
        external_id=f"live-{text}",
        direction="in",
        author="buyer",
        text=text,
        created_at=timezone.now(),
    )
    chat_aggregates_refresh(chats=[chat])


def test_a_buyer_writing_does_not_close_the_snooze_time_the_agent_is_typing(page, live_server, chats):
    anna = chats["anna"]
    log_in(page, live_server)
    page.click(f"#chat-row-{anna.pk}")
    page.wait_for_selector("#reply-text.compliance-input")
    page.click("#snooze-menu summary")
    page.fill("#snooze-until", "2030-01-02T15:45")
    _buyer_writes(anna, "Алло, вы тут?")
    page.wait_for_selector(".thread:has-text('Алло, вы тут?')")
    assert page.locator("#snooze-menu[open]").count() == 1
    assert page.locator("#snooze-until").input_value() == "2030-01-02T15:45"
    assert page.evaluate("document.activeElement.id") == "snooze-until"


def test_a_list_refresh_leaves_the_keyboard_on_the_filter_it_was_on(page, live_server, chats):
    log_in(page, live_server)
    page.locator(".filters select[name=status]").focus()
    _buyer_writes(chats["olga"], "Ау?")
    page.wait_for_selector(f"#chat-row-{chats['olga'].pk} .unread-badge:text-is('2')")
    assert page.evaluate("document.activeElement.name") == "status"


def test_the_language_switch_comes_back_to_the_chat_opened_since_the_page_loaded(page, live_server, chats):
    olga = chats["olga"]
    log_in(page, live_server)
    page.click(".tab[data-marketplace=yandex_market]")
    page.wait_for_url("**/inbox/?tab=yandex_market")
    page.click(f"#chat-row-{olga.pk}")
    page.wait_for_selector(".chat-header h1:has-text('Ольга')")
    page.select_option(".lang select", "en")
    page.wait_for_selector("#resolve-button:has-text('Resolve')")
    assert page.url.endswith(f"/inbox/chats/{olga.pk}/?tab=yandex_market")
    assert page.locator(".chat-header h1").inner_text() == "Ольга"
    page.select_option(".lang select", "ru")
    page.wait_for_selector("#resolve-button:has-text('Решить')")
    assert page.url.endswith(f"/inbox/chats/{olga.pk}/?tab=yandex_market")


def test_j_under_unread_goes_on_from_the_chat_that_was_read_and_left_the_list(page, live_server, chats):
    igor = chats["igor"]
    log_in(page, live_server)
    page.goto(f"{live_server.url}/inbox/?unread=1")  # Анна, Игорь, Ольга
    page.click(f"#chat-row-{igor.pk}")
    page.wait_for_selector(".chat-header h1:has-text('Игорь')")
    # Opened, the chat is read and leaves the unread list; Ольга moves up into its place.
    page.wait_for_selector(f"#chat-row-{igor.pk}", state="detached")
    page.locator("#thread").focus()
    page.keyboard.press("j")
    page.wait_for_selector(".chat-header h1:has-text('Ольга')")
