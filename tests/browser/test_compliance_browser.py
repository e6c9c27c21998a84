"""The reply box's pre-send check in headless Chromium, with htmx sending the form: a warning the agent
confirms is sent with that answer, a blocked text never leaves before its check, a refusal from the
server goes once the text changes, and a box the agent cleared is not told that it is empty."""

import pytest
from django.utils import timezone

from tests.browser.test_inbox_browser import account_create, chat_create, chat_open, replies_sent

pytestmark = pytest.mark.browser

DISPARAGING = "Озон — ужасная площадка, постоянно теряют посылки"
PHONE = "Позвоните нам: +7 916 123-45-67"


@pytest.fixture
def chat(transactional_db, django_user_model):
    agent = django_user_model.objects.create_user("agent", password="agent-password-123", first_name="Мария")
    ozon = account_create("ozon", "Ozon · Дом и сад", agent, last_success_at=timezone.now())
    return chat_create(ozon, "Анна", ["Где мой заказ?"], 3)


def test_a_warning_the_agent_confirms_is_sent_at_the_first_answer(page, live_server, chat):
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    chat_open(page, live_server, chat)
    page.fill("#reply-text", DISPARAGING)
    page.wait_for_selector(".compliance-reason.compliance-warn")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector(f".message:has-text('{DISPARAGING}')")
    assert questions == ["В ответе есть предупреждения. Всё равно отправить?"]
    assert replies_sent(chat) == [DISPARAGING]
    assert page.locator("#reply-error").inner_text() == ""


def test_a_warning_the_agent_declines_is_not_sent(page, live_server, chat):
    page.on("dialog", lambda dialog: dialog.dismiss())
    chat_open(page, live_server, chat)
    page.fill("#reply-text", DISPARAGING)
    page.wait_for_selector(".compliance-reason.compliance-warn")
    page.click("#reply-form button[type=submit]")
    page.wait_for_timeout(500)
    assert replies_sent(chat) == []
    assert page.locator("#reply-text").input_value() == DISPARAGING


def test_enter_pressed_before_the_check_answered_sends_nothing_blocked(page, live_server, chat):
    chat_open(page, live_server, chat)
    page.fill("#reply-text", PHONE)
    page.press("#reply-text", "Enter")
    page.wait_for_selector(".compliance-reason.compliance-block")
    page.wait_for_timeout(300)
    assert replies_sent(chat) == []
    # Stopped in the browser: no refusal came back from the server.
    assert page.locator("#reply-error").inner_text() == ""


def test_the_servers_refusal_goes_once_the_text_changes(page, live_server, chat):
    # The live check unreachable: the form goes to the server, which checks again and refuses.
    page.route("**/api/chat/compliance/check", lambda route: route.abort())
    chat_open(page, live_server, chat)
    page.fill("#reply-text", PHONE)
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#reply-error:has-text('Номера телефонов нельзя отправлять покупателям')")
    assert replies_sent(chat) == []
    page.fill("#reply-text", "Позвоните нам в чат, ответим сразу")
    assert page.locator("#reply-error").inner_text() == ""


def test_a_box_the_agent_cleared_is_not_told_it_is_empty(page, live_server, chat):
    chat_open(page, live_server, chat)
    page.fill("#reply-text", PHONE)
    page.wait_for_selector(".compliance-reason.compliance-block")
    page.fill("#reply-text", "")
    page.wait_for_timeout(600)  # past the 300 ms debounce of the check
    assert page.locator(".compliance-reason").count() == 0
    assert page.locator("#reply-form button[type=submit]").is_disabled()


def test_a_chat_the_marketplace_closes_while_open_turns_its_reply_box_off(
    page, live_server, django_user_model, transactional_db
):
    """A Yandex Market chat finished while the agent typed: the box keeps the text, read-only, says why,
    and sends nothing (the server would refuse it)."""
    from service.deadlines import chat_deadlines_refresh

    agent = django_user_model.objects.create_user("agent", password="agent-password-123")
    market = account_create("yandex_market", "Маркет · Электроника", agent, last_success_at=timezone.now())
    chat = chat_create(market, "Ольга", ["Когда привезут?"], 3, marketplace_status="NEW")
    chat_open(page, live_server, chat)
    page.fill("#reply-text", "Завтра до обеда")
    chat.marketplace_status = "FINISHED"
    chat.save(update_fields=["marketplace_status"])
    chat_deadlines_refresh(chat_ids=[chat.pk])
    page.evaluate("document.body.dispatchEvent(new Event('inbox-list-changed'))")
    page.wait_for_selector("#reply-text[readonly]")
    assert page.locator("#reply-text").input_value() == "Завтра до обеда"
    assert page.locator("#reply-form button[type=submit]").is_disabled()
    assert page.locator("#reply-error").inner_text().strip() != ""
    page.press("#reply-text", "Enter")
    page.wait_for_timeout(300)
    assert replies_sent(chat) == []
    # Stopped in the browser: the box was not swapped for the server's refusal.
    assert page.locator("#reply-text").input_value() == "Завтра до обеда"

    # Opened again (a status the marketplace takes replies in): the box is back, with the text.
    chat.marketplace_status = "NEW"
    chat.save(update_fields=["marketplace_status"])
    chat_deadlines_refresh(chat_ids=[chat.pk])
    page.evaluate("document.body.dispatchEvent(new Event('inbox-list-changed'))")
    page.wait_for_selector("#reply-text:not([readonly])")
    assert page.locator("#reply-form button[type=submit]").is_enabled()
    assert page.locator("#reply-error").inner_text().strip() == ""
