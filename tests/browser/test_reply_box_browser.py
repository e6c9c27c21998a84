"""The reply box in headless Chromium where its scripts meet: line breaks counted as the server counts
them, the templates list and the keyboard shortcuts sharing keys, a draft replacing a template's text,
and a blocked reply that stays blocked when the list refreshes."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from assist.models import ReplyTemplate
from inbox.models import Chat, Message
from inbox.services.aggregates import chat_aggregates_refresh
from tests.browser.test_inbox_browser import account_create, chat_create, chat_open, replies_sent

pytestmark = pytest.mark.browser


@pytest.fixture
def chat(transactional_db, django_user_model):
    agent = django_user_model.objects.create_user("agent", password="agent-password-123", first_name="Мария")
    ozon = account_create("ozon", "Ozon · Дом и сад", agent, last_success_at=timezone.now())
    ReplyTemplate.objects.create(title="Где заказ", shortcut="dostavka", text="Заказ уже в пути.")
    return chat_create(ozon, "Анна", ["Где мой заказ?"], 3)


def test_a_reply_with_line_breaks_is_as_long_as_the_counter_says(page, live_server, chat):
    # 995 characters with 34 line breaks: within Ozon's 1000 as typed, 1029 if each break counted twice.
    text = "\n".join(f"Строка {index:02} ответа покупателю." for index in range(35))[:995]
    chat_open(page, live_server, chat)
    page.fill("#reply-text", text)
    page.wait_for_timeout(400)  # the live check answered
    assert page.locator("#reply-counter").inner_text() == "995 / 1000"
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector(".message.author-seller .delivery, #reply-error:not(:empty)")
    assert page.locator("#reply-error").inner_text() == ""
    assert replies_sent(chat) == [text]


def test_escape_closes_the_templates_list_and_leaves_the_caret_in_the_reply(page, live_server, chat):
    chat_open(page, live_server, chat)
    page.click("#reply-text")
    page.keyboard.type("Добрый день! /dost")
    page.wait_for_selector(".template-row:has-text('Где заказ')")
    page.keyboard.press("Escape")
    assert page.locator(".template-popup").is_hidden()
    assert page.evaluate("document.activeElement.id") == "reply-text"
    # Typing goes on in the reply: "e" is a letter here, not the resolve key.
    page.keyboard.type("e")
    assert page.locator("#reply-text").input_value() == "Добрый день! /doste"
    page.wait_for_timeout(300)
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN


def test_enter_under_a_templates_search_that_found_nothing_sends_nothing(page, live_server, chat):
    chat_open(page, live_server, chat)
    page.click("#reply-text")
    page.keyboard.type("/vozrat")
    page.wait_for_selector(".template-popup .template-empty")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert replies_sent(chat) == []
    assert page.locator("#reply-text").input_value() == "/vozrat"
    # Closed, the list no longer stands in the way: Enter sends what the box holds.
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_selector(".message.author-seller:has-text('/vozrat')")
    assert replies_sent(chat) == ["/vozrat"]


@pytest.fixture
def template_with_a_file(chat):
    template = ReplyTemplate.objects.create(
        title="Инструкция", shortcut="instr", text="Инструкция во вложении."
    )
    template.file.save("instrukciya.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    template.file_name = "инструкция.pdf"
    template.file_content_type = "application/pdf"
    template.save()
    return template


def test_a_suggestion_chosen_over_a_templates_text_leaves_the_templates_file_behind(
    page, live_server, chat, template_with_a_file
):
    chat_open(page, live_server, chat)
    page.click("#reply-text")
    page.keyboard.type("/instr")
    page.wait_for_selector(".template-row:has-text('Инструкция')")
    page.keyboard.press("Enter")
    note = page.locator(".assist-notes p.muted:has-text('инструкция.pdf')")
    note.wait_for()
    # Asking for suggestions does not hide that the template's file is still attached.
    page.click("button[data-suggestions-url]")
    page.wait_for_selector(".suggestion")
    assert note.is_visible()
    card = page.locator(".suggestion").first  # the other template, "Где заказ"
    chosen = card.locator(".suggestion-text").inner_text()
    card.click()
    assert note.count() == 0
    page.press("#reply-text", "Enter")
    page.wait_for_selector(".message.author-seller .delivery")
    sent = Message.objects.get(chat=chat, direction="out")
    assert (sent.text, sent.attachments) == (chosen, [])


def test_a_blocked_reply_stays_unsendable_when_the_list_refreshes(page, live_server, chat):
    other = chat_create(chat.account, "Борис", ["Здравствуйте"], 30)
    chat_open(page, live_server, chat)
    page.fill("#reply-text", "Позвоните нам: +7 916 123-45-67")
    page.wait_for_selector(".compliance-reason.compliance-block")
    assert page.locator("#reply-form button[type=submit]").is_disabled()
    # Another buyer writes: the list refreshes while the reply box still holds the blocked text.
    Message.objects.create(
        chat=other, external_id="new", direction="in", author="buyer", text="Ау?", created_at=timezone.now()
    )
    chat_aggregates_refresh(chats=[other])
    page.wait_for_selector(f"#chat-row-{other.pk} .unread-badge:text-is('2')")
    page.wait_for_timeout(100)
    assert page.locator(".compliance-reason.compliance-block").count() == 1
    assert page.locator("#reply-form button[type=submit]").is_disabled()
    page.fill("#reply-text", "Напишите нам здесь, в чате")
    page.wait_for_timeout(500)  # past the check's debounce
    assert page.locator("#reply-form button[type=submit]").is_enabled()
