"""/reports/ and the deadline badges in headless Chromium (screenshots go to test-artifacts/)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from tests.browser.test_inbox_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def report_data(transactional_db, make_account, make_chat, agent):
    """18 chats per marketplace over six days; three in four answered by a cabinet reply."""
    now = timezone.now()
    counter = 0
    for marketplace, offset in (("wildberries", 0), ("ozon", 1), ("yandex_market", 2)):
        account = make_account(marketplace, members=[agent])
        for day in range(6):
            for number in range(3):
                counter += 1
                chat = make_chat(account, last_message_at=now - timedelta(days=day))
                start = now - timedelta(days=day, hours=number + offset + 1)
                Message.objects.create(
                    chat=chat,
                    external_id=f"b{counter}",
                    direction="in",
                    author="buyer",
                    text="Где заказ?",
                    created_at=start,
                )
                if (day + number) % 4:
                    Message.objects.create(
                        chat=chat,
                        external_id=f"s{counter}",
                        direction="out",
                        author="seller",
                        text="Едет",
                        created_at=start + timedelta(minutes=7 * (number + 1) + 40 * offset),
                    )
    chat_deadlines_refresh(chat_ids=list(agent.marketplace_accounts.values_list("chats", flat=True)))


def test_reports_page_draws_its_charts_and_the_list_shows_deadlines(
    page,
    live_server,
    report_data,
    artifacts,
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server)

    page.goto(f"{live_server.url}/inbox/?sort=deadline")
    page.wait_for_selector(".deadline.sla-breached")
    page.screenshot(path=str(artifacts / "deadline-badges.png"))

    page.goto(f"{live_server.url}/reports/")
    page.wait_for_function(
        "['chart-times', 'chart-volume', 'chart-shares'].every(id => window.Chart.getChart(id))"
    )
    assert page.locator(".report-table").count() == 2
    page.screenshot(path=str(artifacts / "reports.png"), full_page=True)
    assert errors == []


def test_reports_fit_a_phone_screen_and_their_tables_scroll_inside(
    browser, live_server, report_data, artifacts
):
    from tests.browser.test_inbox_phone import NO_HORIZONTAL_SCROLL, PHONE

    context = browser.new_context(viewport=PHONE, locale="ru-RU", is_mobile=True, has_touch=True)
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        log_in(page, live_server)
        page.goto(f"{live_server.url}/reports/")
        page.wait_for_function("window.Chart.getChart('chart-times')")
        page.screenshot(path=str(artifacts / "reports-phone.png"), full_page=True)
        assert page.evaluate(NO_HORIZONTAL_SCROLL)
        # A table wider than the screen scrolls in its own box, which a keyboard can reach and scroll too.
        for table_box in page.locator(".table-scroll").all():
            assert table_box.get_attribute("tabindex") == "0"
            assert table_box.evaluate("box => box.scrollWidth > box.clientWidth")
        assert page.locator(".table-scroll .report-table").count() == 2
    finally:
        context.close()


def test_a_badge_counts_in_the_pages_time_zone_not_the_browsers(
    browser, live_server, make_account, make_chat, agent, transactional_db
):
    from django.utils import translation

    from service.templatetags.service_deadlines import deadline_text

    now = timezone.now()
    deadline = (now + timedelta(hours=5)).replace(second=0, microsecond=0)
    make_chat(
        make_account("ozon", members=[agent]), reply_deadline=deadline, sla_state="ok", last_message_at=now
    )
    with translation.override("ru"):
        expected = deadline_text(deadline=deadline, now=now)
    # Novosibirsk is four hours ahead of Moscow, where the page's other times are shown.
    context = browser.new_context(locale="ru-RU", timezone_id="Asia/Novosibirsk")
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        log_in(page, live_server)
        badge = page.locator(".chat-row .deadline[data-deadline]").first
        # The page's script rewrites every badge once the document is loaded.
        page.wait_for_load_state("load")
        assert badge.inner_text() == expected
    finally:
        context.close()


def _response_time_axis(page, live_server) -> dict:
    log_in(page, live_server)
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_function("window.Chart.getChart('chart-times')")
    return page.evaluate(
        """() => {
            const chart = window.Chart.getChart('chart-times');
            return {title: chart.options.scales.y.title.text, legend: chart.data.datasets[0].label,
                    values: chart.data.datasets[0].data.filter((value) => value !== null)};
        }"""
    )


def test_response_times_read_in_minutes_while_short(page, live_server, report_data):
    axis = _response_time_axis(page, live_server)
    assert (axis["title"], axis["legend"]) == ("минуты", "Медиана ответа, мин")
    assert max(axis["values"]) < 180


def test_response_times_read_in_hours_once_a_day_runs_long(
    page, live_server, make_account, make_chat, agent, transactional_db
):
    """An axis of "8 000 минут" (seen on the demo, whose buyers wait for days) has to be divided in the
    head: past three hours the chart counts in hours."""
    chat = make_chat(make_account("ozon", members=[agent]), last_message_at=timezone.now())
    start = timezone.now() - timedelta(hours=30)
    for external_id, author, direction, created_at in (
        ("b1", "buyer", "in", start),
        ("s1", "seller", "out", start + timedelta(hours=10, minutes=30)),
    ):
        Message.objects.create(
            chat=chat,
            external_id=external_id,
            direction=direction,
            author=author,
            text="Где заказ?",
            created_at=created_at,
        )
    chat_deadlines_refresh(chat_ids=[chat.pk])
    axis = _response_time_axis(page, live_server)
    assert (axis["title"], axis["legend"]) == ("часы", "Медиана ответа, ч")
    assert axis["values"] == [10.5]
