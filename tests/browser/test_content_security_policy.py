"""The inbox works under its own Content-Security-Policy: nothing it needs is blocked (no bypass here)."""

import pytest

from tests.browser.test_inbox_browser import inbox_data, log_in  # noqa: F401  the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_inbox_runs_with_no_csp_violation(browser, live_server, inbox_data):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="ru-RU")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        log_in(page, live_server)
        page.click(f"#chat-row-{inbox_data['chats']['ozon'].pk}")
        page.wait_for_selector(".chat-header h1:has-text('Анна')")
        page.fill("#reply-text", "Позвоните нам: 8 916 123-45-67")
        page.wait_for_selector(
            ".compliance-issues li, .compliance-list li, [class*=compliance] li", timeout=5000
        )
        page.select_option("select[name=language]", "en")
        # The change handler in app.js submits the form; the next page comes back in English.
        page.wait_for_selector("html[lang='en']", state="attached")
    finally:
        context.close()
    assert violations == []
