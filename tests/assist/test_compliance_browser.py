"""static/assist/compliance.js in headless Chromium: underlines, reasons, blocked send, one question."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE_REASON = "«8 916 123-45-67» — Номера телефонов нельзя отправлять покупателям"
# Playwright's sync API runs an event loop in this thread; ORM calls between browser steps are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.assist.demo_urls")]


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def reply_page(chromium, live_server, transactional_db):
    user = User.objects.create_user("typist", password="typist-password-123")
    client = Client()
    client.force_login(user)
    context = chromium.new_context(locale="ru-RU")
    context.set_default_timeout(8000)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/assist-demo/")
    yield page
    context.close()
    assert errors == []


def test_a_phone_is_underlined_explained_and_blocks_sending(reply_page) -> None:
    page = reply_page
    page.fill("textarea", "😀 Звоните 8 916 123-45-67")
    page.wait_for_selector(".compliance-reason.compliance-block")
    assert page.inner_text(".compliance-mark.compliance-block") == "8 916 123-45-67"
    assert (
        page.inner_text(".compliance-reason")
        == "«8 916 123-45-67» — Номера телефонов нельзя отправлять покупателям"
    )
    assert page.is_disabled("button[type=submit]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compliance-reply-box.png"))
    page.fill("textarea", "Заказ 4823991057 передан в доставку")
    page.wait_for_function("!document.querySelector('.compliance-reason')")
    assert page.is_enabled("button[type=submit]")
    assert page.query_selector(".compliance-mark") is None


def test_a_warning_asks_once_and_sends_with_the_override(reply_page) -> None:
    page = reply_page
    questions: list[str] = []

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.fill("textarea", "Спасибо!")
    page.wait_for_selector(".compliance-reason.compliance-warn")
    assert page.is_enabled("button[type=submit]")
    page.click("button[type=submit]")
    page.wait_for_url("**/assist-demo/sent/")
    assert questions == ["В ответе есть предупреждения. Всё равно отправить?"]
    assert '"override_warnings": "true"' in page.content()
