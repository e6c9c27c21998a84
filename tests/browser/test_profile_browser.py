"""The profile page (Telegram, alerts, quiet hours) and the way to it, on a phone and a desktop."""

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from notify.models import NotificationSettings, TelegramLink
from tests.browser.test_inbox_browser import log_in
from tests.browser.test_inbox_phone import NO_HORIZONTAL_SCROLL, PHONE

pytestmark = pytest.mark.browser

CHANNEL_LABELS = {
    "Telegram": [
        "Новые сообщения покупателей",
        "Сроки ответа",
        "Мой ответ не доставлен",
        "Синхронизация кабинета не работает",
    ],
    "Почта": [
        "Новые сообщения покупателей",
        "Сроки ответа",
        "Мой ответ не доставлен",
        "Синхронизация кабинета не работает",
        "Ежедневная сводка",
    ],
    "Браузер": ["Уведомления на рабочем столе", "Звук"],
}


@pytest.fixture
def agent(transactional_db) -> Iterator[User]:
    # A long name and no email address: the widest top bar an agent gets, and the email notice shown.
    user = User.objects.create_user(
        "agent", password="agent-password-123", first_name="Мария", last_name="Константинопольская"
    )
    TelegramLink.objects.create(user=user, telegram_chat_id=77, telegram_name="Мария К")
    with override_settings(TELEGRAM_BOT_TOKEN="1:profile-page-test"):
        yield user


@pytest.fixture
def phone(browser) -> Iterator:
    context = browser.new_context(
        viewport=PHONE, locale="ru-RU", is_mobile=True, has_touch=True, bypass_csp=True
    )
    context.set_default_timeout(8000)
    yield context.new_page()
    context.close()


def box_of(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, locator
    return box


def assert_inside(inner: dict, outer: dict, what: str) -> None:
    assert inner["x"] >= outer["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"], what


def test_a_phone_reaches_the_profile_from_the_top_bar(phone, live_server, agent):
    log_in(phone, live_server)
    screen = {"x": 0, "width": PHONE["width"]}
    for path in ("/reports/", "/profile/", "/inbox/"):
        phone.goto(f"{live_server.url}{path}")
        link = phone.locator(".topbar a[href='/profile/']")
        assert link.is_visible(), path
        assert link.inner_text() == "Профиль"
        assert_inside(box_of(link), screen, f"profile link on {path}")
        # Nothing of the bar is pushed out of sight (it would swipe inside the bar, unseen).
        assert phone.locator(".topbar-user").evaluate("bar => bar.scrollWidth <= bar.clientWidth"), path
        assert_inside(box_of(phone.locator(".lang select")), screen, f"language on {path}")
        assert phone.evaluate(NO_HORIZONTAL_SCROLL), path
    phone.locator(".topbar a[href='/profile/']").tap()
    phone.wait_for_url(f"{live_server.url}/profile/")


def test_a_desktop_top_bar_keeps_the_full_name(page, live_server, agent):
    log_in(page, live_server)
    assert page.locator(".topbar a[href='/profile/']").inner_text() == "Мария Константинопольская"


def test_the_profile_fits_a_phone_and_leads_back_to_the_inbox(phone, live_server, agent, artifacts):
    log_in(phone, live_server)
    phone.goto(f"{live_server.url}/profile/")
    assert phone.evaluate(NO_HORIZONTAL_SCROLL)
    back = phone.get_by_role("link", name="Входящие", exact=True)  # the arrow is drawn, not read out
    assert back.is_visible()
    assert back.inner_text() == "← Входящие"
    assert back.get_attribute("href") == "/inbox/"
    assert box_of(back)["y"] < box_of(phone.locator("h1"))["y"]
    for card in phone.locator(".profile-card").all():
        card_box = box_of(card)
        assert_inside(card_box, {"x": 0, "width": PHONE["width"]}, "card")
        for control in card.locator("select, input:visible, button:visible").all():
            assert_inside(box_of(control), card_box, control.evaluate("node => node.outerHTML"))
    email = phone.get_by_role("group", name="Почта", exact=True)
    assert "Попросите администратора указать адрес" in email.inner_text()
    phone.screenshot(path=str(artifacts / "profile-phone.png"), full_page=True)
    back.tap()
    phone.wait_for_url(f"{live_server.url}/inbox/")


def test_each_channel_is_a_fieldset_whose_labels_leave_the_channel_out(page, live_server, agent):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/profile/")
    for legend, labels in CHANNEL_LABELS.items():
        group = page.get_by_role("group", name=legend, exact=True)
        assert group.locator("legend").inner_text() == legend
        assert [text.strip() for text in group.locator("label").all_inner_texts()] == labels
        checks = group.locator(".field-check label").all()
        assert checks
        lefts = set()
        for check in checks:
            box, text = box_of(check.locator("input[type=checkbox]")), box_of(check.locator("span"))
            assert box["x"] + box["width"] <= text["x"]  # the box comes before its text
            lefts.add(round(box["x"]))
        assert len(lefts) == 1  # one column of boxes
    # The legend tells the two "Сроки ответа" apart, and saving works through the new labels.
    email_deadlines = page.get_by_role("group", name="Почта", exact=True).get_by_label("Сроки ответа")
    assert email_deadlines.get_attribute("name") == "email_sla"
    email_deadlines.check()
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_selector("text=Настройки уведомлений сохранены")
    saved = NotificationSettings.objects.get(user=agent)
    assert saved.email_sla is True and saved.telegram_sla is True
