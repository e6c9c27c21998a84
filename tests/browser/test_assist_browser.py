"""The reply box's helpers in headless Chromium: "Черновик" offers the team's earlier answer to the
buyer's question (found through the answers' text index, never a buyer's words), and a template with a
file says so with a drawn paperclip, not an emoji."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from assist.models import ReplyTemplate
from inbox.models import Message
from tests.browser.test_inbox_browser import account_create, chat_create, chat_open

pytestmark = pytest.mark.browser


@pytest.fixture
def questions(transactional_db, django_user_model):
    agent = django_user_model.objects.create_user("agent", password="agent-password-123", first_name="Мария")
    ozon = account_create("ozon", "Ozon · Дом и сад", agent, last_success_at=timezone.now())
    asking = chat_create(ozon, "Анна", ["Пришёл брак, как оформить возврат?"], 3)
    earlier = chat_create(ozon, "Борис", ["Чашка треснула, нужен возврат брака"], 60)
    Message.objects.create(
        chat=earlier,
        external_id="answer-1",
        direction="out",
        author="seller",
        text="Возврат брака оформляется в приложении, деньги вернутся за три дня.",
        created_at=timezone.now() - timedelta(minutes=50),
    )
    template = ReplyTemplate.objects.create(
        title="Инструкция по возврату", shortcut="vozvrat", text="Инструкция во вложении, {{ покупатель }}."
    )
    template.file.save("instrukciya.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    template.file_name = "инструкция.pdf"
    template.file_content_type = "application/pdf"
    template.save()
    return {"asking": asking}


def test_draft_offers_the_teams_earlier_answer_never_a_buyers_words(page, live_server, questions):
    chat_open(page, live_server, questions["asking"])
    page.click("button[data-suggestions-url]")
    page.wait_for_selector(".suggestion")
    cards = {
        card.locator(".suggestion-source").inner_text().strip().lower(): (
            card.locator(".suggestion-text").inner_text()
        )
        for card in page.locator(".suggestion").all()
    }
    assert cards["наш прошлый ответ"] == "Возврат брака оформляется в приложении, деньги вернутся за три дня."
    # The other chat's buyer shares the words, but a buyer's message is never offered as our answer.
    assert "Чашка треснула, нужен возврат брака" not in cards.values()


def test_a_template_with_a_file_says_so_with_a_drawn_paperclip(page, live_server, questions):
    chat_open(page, live_server, questions["asking"])
    page.click("#reply-text")
    page.keyboard.type("/vozvrat", delay=40)
    page.wait_for_selector(".template-row:has-text('Инструкция по возврату')")
    page.keyboard.press("Enter")
    note = page.locator(".assist-notes p.muted")
    note.wait_for()
    assert page.locator("#reply-text").input_value() == "Инструкция во вложении, Анна."
    assert note.inner_text().strip() == "инструкция.pdf — файл шаблона будет приложен"
    assert note.locator("svg.icon").count() == 1
    assert "📎" not in page.locator("#chat-pane").inner_text()


def test_templates_open_when_the_box_is_left_and_entered_again_at_once(page, live_server, questions):
    """A click elsewhere and straight back (a button, the thread) must not close the list that a "/"
    typed right after it opens: the close that the first blur scheduled is called off."""
    chat_open(page, live_server, questions["asking"])
    page.evaluate(
        """() => {
            const box = document.querySelector('#reply-text');
            box.focus();
            box.blur();
            box.focus();
            box.value = '/vozvrat';
            box.setSelectionRange(box.value.length, box.value.length);
            box.dispatchEvent(new Event('input', { bubbles: true }));
        }"""
    )
    page.wait_for_selector(".template-row:has-text('Инструкция по возврату')")
    page.wait_for_timeout(400)  # past the blur's 150 ms: the list stays
    assert page.locator(".template-popup").is_visible()


def test_the_draft_button_looks_like_the_chat_headers_buttons(page, live_server, questions):
    """'Черновик' was a grey native button: its class had no rule."""
    chat_open(page, live_server, questions["asking"])
    looks = page.evaluate(
        """() => ['button[data-suggestions-url]', '.snooze-menu summary.action'].map((selector) => {
            const style = getComputedStyle(document.querySelector(selector));
            return [style.backgroundColor, style.borderTopColor, style.borderTopLeftRadius];
        })"""
    )
    assert looks[0] == looks[1]
    assert looks[0][0] == "rgb(255, 255, 255)"
