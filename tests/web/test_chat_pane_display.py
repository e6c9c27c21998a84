"""What the chat pane and the list show: closed chats, resolve -> next, Russian dates, attachments."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from inbox.models import Chat, Message
from inbox.selectors import chat_reply_block
from inbox.templatetags.inbox_extras import (
    compact_age,
    day_label,
    files_preview,
    synced_label,
    waiting_label,
    with_query,
)
from service.deadlines import chat_deadlines_refresh

HTMX = {"HTTP_HX_REQUEST": "true"}
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def logged_in(client, agent):
    client.force_login(agent)
    return client


# --- Closed chats ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_finished_yandex_market_chat_shows_closed_without_reply_box_and_refuses_replies(
    logged_in, agent, make_account, make_active_chat
):
    market = make_account("yandex_market", members=[agent])
    finished = make_active_chat(market, marketplace_status="FINISHED")
    chat_url = reverse("inbox:chat", args=[finished.pk])
    body = logged_in.get(chat_url).content.decode()
    assert 'id="reply-closed-pill"' in body
    assert "Закрыт маркетплейсом" in body
    assert "Маркетплейс не принимает ответы в этом чате." in body
    assert "Яндекс Маркет: чат завершён, новые сообщения в нём не принимаются." in body
    assert 'id="reply-text"' not in body

    refused = logged_in.post(
        reverse("inbox:chat_reply", args=[finished.pk]), {"text": "Добрый день!"}, **HTMX
    )
    assert refused.status_code == 422
    assert "Яндекс Маркет: чат завершён" in refused.content.decode()
    assert not Message.objects.filter(chat=finished, direction=Message.Direction.OUT).exists()

    opened = make_active_chat(market, marketplace_status="NEW")
    body = logged_in.get(reverse("inbox:chat", args=[opened.pk])).content.decode()
    assert 'id="reply-text"' in body
    assert 'id="reply-closed-pill"' not in body


@pytest.mark.django_db
def test_reply_block_reads_the_marketplace_spec(make_account, make_chat, make_message):
    now = timezone.now()
    market = make_account("yandex_market")
    ozon = make_account("ozon")
    wildberries = make_account("wildberries")
    with translation.override("en"):
        assert chat_reply_block(chat=make_chat(market, marketplace_status="FINISHED")) == (
            "Yandex Market: the chat is finished"
        )
        assert chat_reply_block(chat=make_chat(market, marketplace_status="finished")) == (
            "Yandex Market: the chat is finished"
        )
        assert chat_reply_block(chat=make_chat(market, marketplace_status="WAITING_FOR_PARTNER")) is None
        # Ozon: 48 hours after the buyer's last message (a later seller reply does not reopen it).
        quiet = make_chat(ozon)
        make_message(quiet, created_at=now - timedelta(hours=49))
        make_message(
            quiet,
            direction=Message.Direction.OUT,
            author=Message.Author.SELLER,
            created_at=now - timedelta(hours=1),
        )
        # The window is stored by the deadlines service as messages arrive (and every minute).
        chat_deadlines_refresh(chat_ids=[quiet.pk], now=now)
        quiet.refresh_from_db()
        assert chat_reply_block(chat=quiet, now=now) == "Ozon: 48 h after the buyer's last message"
        recent = make_chat(ozon)
        make_message(recent, created_at=now - timedelta(hours=49))
        make_message(recent, created_at=now - timedelta(hours=47))
        chat_deadlines_refresh(chat_ids=[recent.pk], now=now)
        recent.refresh_from_db()
        assert chat_reply_block(chat=recent, now=now) is None
        assert chat_reply_block(chat=make_chat(ozon), now=now) is None  # no buyer message yet
        old_wildberries = make_chat(wildberries, marketplace_status="FINISHED")
        make_message(old_wildberries, created_at=now - timedelta(days=30))
        assert chat_reply_block(chat=old_wildberries, now=now) is None


# --- Resolve opens the next chat --------------------------------------------------------------------


@pytest.fixture
def three_chats(agent, make_account, make_active_chat):
    ozon = make_account("ozon", members=[agent])
    return [
        make_active_chat(ozon, text="первый", minutes_ago=1),
        make_active_chat(ozon, text="второй", minutes_ago=2),
        make_active_chat(ozon, text="третий", minutes_ago=3),
    ]


@pytest.mark.django_db
def test_resolving_opens_the_chat_below_it(logged_in, three_chats):
    first, second, _third = three_chats
    response = logged_in.post(
        reverse("inbox:chat_status", args=[first.pk]) + "?tab=ozon", {"status": "resolved"}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#chat-pane"
    assert response["HX-Reswap"] == "innerHTML"
    assert response["HX-Push-Url"] == reverse("inbox:chat", args=[second.pk]) + "?tab=ozon"
    assert response["HX-Trigger"] == "chats-changed"
    assert response.context["chat"].pk == second.pk
    assert 'id="reply-form"' in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Chat.Status.RESOLVED
    assert second.unread_count == 1  # opening the next chat does not read it


@pytest.mark.django_db
def test_resolving_the_last_chat_opens_the_one_above_then_the_empty_pane(logged_in, three_chats):
    first, second, third = three_chats
    status_url = reverse("inbox:chat_status", args=[third.pk])
    above = logged_in.post(status_url, {"status": "resolved"}, **HTMX)
    assert above["HX-Push-Url"] == reverse("inbox:chat", args=[second.pk])
    logged_in.post(reverse("inbox:chat_status", args=[second.pk]), {"status": "resolved"}, **HTMX)
    last = logged_in.post(reverse("inbox:chat_status", args=[first.pk]), {"status": "resolved"}, **HTMX)
    assert last["HX-Push-Url"] == reverse("inbox:index")
    assert last["HX-Retarget"] == "#chat-pane"
    assert "pane-empty" in last.content.decode()


@pytest.mark.django_db
def test_resolving_without_js_redirects_to_the_next_chat(logged_in, three_chats):
    first, second, _third = three_chats
    response = logged_in.post(reverse("inbox:chat_status", args=[first.pk]), {"status": "resolved"})
    assert (response.status_code, response["Location"]) == (302, reverse("inbox:chat", args=[second.pk]))


@pytest.mark.django_db
def test_resolving_a_chat_that_stays_listed_keeps_it_open(logged_in, three_chats):
    first = three_chats[0]
    response = logged_in.post(
        reverse("inbox:chat_status", args=[first.pk]) + "?status=all", {"status": "resolved"}, **HTMX
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert response.context["chat"].pk == first.pk
    reopened = logged_in.post(reverse("inbox:chat_status", args=[first.pk]), {"status": "open"}, **HTMX)
    assert "HX-Retarget" not in reopened
    assert reopened.context["chat"].pk == first.pk


# --- Russian dates ----------------------------------------------------------------------------------


def test_russian_day_separators_use_the_genitive_and_abbreviations(settings):
    now = timezone.now()
    this_year = timezone.localdate().year
    with translation.override("ru"):
        assert day_label(datetime(this_year, 11, 28, 12, tzinfo=MOSCOW)) in ("28 ноября", "Сегодня", "Вчера")
        assert day_label(datetime(this_year, 5, 3, 12, tzinfo=MOSCOW)) in ("3 мая", "Сегодня", "Вчера")
        assert day_label(datetime(2019, 3, 8, 12, tzinfo=MOSCOW)) == "8 марта 2019\u202fг."
        assert day_label(now) == "Сегодня"
        assert compact_age(datetime(2019, 11, 22, 12, tzinfo=MOSCOW)) == "22 нояб. 2019\u202fг."
        assert compact_age(now - timedelta(seconds=20)) == "только что"
        assert compact_age(now - timedelta(minutes=5)) == "5 мин"
        assert waiting_label(now - timedelta(seconds=20)) == "ждёт меньше минуты"
        assert waiting_label(now - timedelta(minutes=5)) == "ждёт 5 мин"
        assert synced_label(now - timedelta(seconds=5)) == "синхронизирован только что"
        assert synced_label(None) == "ещё не синхронизирован"
    with translation.override("en"):
        assert day_label(datetime(2019, 3, 8, 12, tzinfo=MOSCOW)) == "March 8, 2019"
        assert compact_age(datetime(2019, 11, 22, 12, tzinfo=MOSCOW)) == "Nov 22, 2019"


@pytest.mark.django_db
def test_list_badge_and_day_separator_render_in_russian(logged_in, agent, make_account, make_active_chat):
    ozon = make_account("ozon", members=[agent])
    eight_days = make_active_chat(ozon, minutes_ago=8 * 24 * 60)
    fresh = make_active_chat(ozon, minutes_ago=0)
    page = logged_in.get(reverse("inbox:index")).content.decode()
    moment = timezone.localtime(eight_days.awaiting_reply_since)
    with translation.override("ru"):
        expected = waiting_label(moment)
    assert expected.startswith("ждёт ")
    assert expected.split(" ")[2].islower()  # "ждёт 22 нояб.", never "22 Ноя"
    assert expected in page
    assert "ждёт меньше минуты" in page
    assert "ждёт сейчас" not in page
    thread = logged_in.get(reverse("inbox:chat", args=[eight_days.pk])).content.decode()
    with translation.override("ru"):
        assert f"<span>{day_label(moment)}</span>" in thread
    assert fresh.pk


# --- Attachments ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_attachments_show_images_inline_files_as_links_and_moderation_as_placeholders(
    logged_in, agent, make_account, make_active_chat, make_message
):
    wildberries = make_account("wildberries", members=[agent])
    chat = make_active_chat(wildberries, last_message_preview="📎 %D1%84%D0%BE%D1%82%D0%BE.png")
    message = make_message(
        chat,
        text="",
        attachments=[
            {"kind": "image", "name": "%D1%84%D0%BE%D1%82%D0%BE.png", "content_type": "image/png"},
            {"kind": "file", "name": "чек <b>.pdf", "content_type": "application/pdf", "size": 2048},
            {"kind": "image", "name": "скрин.jpg", "moderation": "pending"},
            {"kind": "file", "name": "акт.pdf", "moderation": "rejected"},
            {
                "kind": "product",
                "name": "Футболка хлопковая",
                "remote_id": "12345678",
                "price": 1290,
                "url": "https://www.wildberries.ru/catalog/12345678/detail.aspx",
            },
        ],
    )
    body = logged_in.get(reverse("inbox:chat", args=[chat.pk])).content.decode()

    def download(index: int) -> str:
        return reverse("inbox:attachment", args=[chat.pk, message.pk, index])

    assert f'<img src="{download(0)}?inline=1" alt="фото.png" loading="lazy"' in body
    assert "data-fallback-next" in body
    icon = r'<svg class="icon"[^>]*>.*?</svg>'
    assert re.search(rf'<a href="{re.escape(download(1))}" download>{icon} чек &lt;b&gt;.pdf</a>', body)
    # Drawn icons, never emoji: a browser without an emoji font draws those as empty boxes.
    assert not any(emoji in body for emoji in "📎🖼🛍🔗")
    assert "2,0\xa0КБ" in body
    assert '<span class="file-name">скрин.jpg</span>' in body
    assert '<span class="moderation-state">на модерации</span>' in body
    assert '<span class="file-name">акт.pdf</span>' in body
    assert '<span class="moderation-state">отклонён модерацией</span>' in body
    assert download(2) not in body and download(3) not in body  # never a broken image or link
    assert 'href="https://www.wildberries.ru/catalog/12345678/detail.aspx"' in body
    assert ">Футболка хлопковая</a>" in body
    assert 'Артикул <span class="copyable">12345678</span>' in body
    assert '<span class="product-price">1\xa0290 ₽</span>' in body
    assert "%D1%84" not in body

    listing = logged_in.get(reverse("inbox:index")).content.decode()
    assert re.search(r'<div class="row-preview"><svg class="icon"[^>]*>.*?</svg> фото.png</div>', listing)
    assert "📎" not in listing


def test_preview_decodes_only_file_previews():
    assert files_preview("📎 %D1%84.png, a.pdf") == "ф.png, a.pdf"
    assert files_preview("📎") == ""
    assert files_preview("скидка 50%20 сегодня") is None


# --- Template tags ----------------------------------------------------------------------------------


def test_with_query_joins_the_filters_and_more_parameters():
    assert with_query("/inbox/", "") == "/inbox/"
    assert with_query("/inbox/", "", cursor="abc") == "/inbox/?cursor=abc"
    assert with_query("/inbox/", "?tab=ozon&q=x", signature="s 1") == "/inbox/?tab=ozon&q=x&signature=s+1"
    assert with_query("/inbox/", "?tab=ozon", cursor="") == "/inbox/?tab=ozon"


@pytest.mark.django_db
def test_status_filter_options_come_from_the_filter_choices(logged_in, agent, make_account):
    make_account("ozon", members=[agent])
    body = logged_in.get(reverse("inbox:index") + "?status=snoozed").content.decode()
    select = body[
        body.index('<select name="status"') : body.index("</select>", body.index('<select name="status"'))
    ]
    options = [line.strip() for line in select.splitlines() if line.strip().startswith("<option value=")]
    assert options == [
        '<option value="open">Открытые</option>',
        '<option value="snoozed" selected>Отложенные</option>',
        '<option value="resolved">Решённые</option>',
        '<option value="all">Все статусы</option>',
    ]


def test_every_url_keeps_its_name_and_path():
    assert reverse("inbox:index") == "/inbox/"
    assert reverse("inbox:chat", args=[7]) == "/inbox/chats/7/"
    assert reverse("inbox:chat_live", args=[7]) == "/inbox/chats/7/live/"
    assert reverse("inbox:chat_read", args=[7]) == "/inbox/chats/7/read/"
    assert reverse("inbox:chat_reply", args=[7]) == "/inbox/chats/7/reply/"
    assert reverse("inbox:chat_status", args=[7]) == "/inbox/chats/7/status/"
    assert reverse("inbox:chat_snooze", args=[7]) == "/inbox/chats/7/snooze/"
    assert reverse("inbox:chat_assignee", args=[7]) == "/inbox/chats/7/assignee/"
    assert reverse("inbox:chat_unread", args=[7]) == "/inbox/chats/7/unread/"
    assert reverse("inbox:message_retry", args=[7, 8]) == "/inbox/chats/7/messages/8/retry/"
    assert reverse("inbox:attachment", args=[7, 8, 0]) == "/inbox/chats/7/messages/8/attachments/0/"
    assert reverse("inbox:webhook-ozon", args=["s"]) == "/hooks/ozon/s/"
    assert reverse("inbox:webhook-yandex-market", args=["s"]) == "/hooks/yandex-market/s/"
    assert (
        reverse("inbox:webhook-yandex-market-notification", args=["s"])
        == "/hooks/yandex-market/s/notification"
    )
    assert reverse("api:accounts") == "/api/chat/accounts"
    assert reverse("api:chats") == "/api/chat/chats"
    assert reverse("api:chat", args=[7]) == "/api/chat/chats/7"
    assert reverse("api:chat-messages", args=[7]) == "/api/chat/chats/7/messages"
    assert reverse("api:chat-send", args=[7]) == "/api/chat/chats/7/send"
    assert reverse("api:chat-read", args=[7]) == "/api/chat/chats/7/read"


@pytest.mark.django_db
def test_header_action_forms_post_to_their_routes_and_swap_the_open_chat(logged_in, three_chats):
    chat = three_chats[0]
    body = logged_in.get(reverse("inbox:chat", args=[chat.pk]) + "?tab=ozon&q=a").content.decode()
    for route, extra in (
        ("chat_status", ""),
        ("chat_snooze", ""),
        ("chat_assignee", ' hx-trigger="change"'),
        ("chat_unread", ""),
    ):
        url = reverse(f"inbox:{route}", args=[chat.pk]) + "?tab=ozon&amp;q=a"
        expected = (
            f'method="post" action="{url}" hx-post="{url}" hx-target="#chat-live" hx-swap="outerHTML"{extra}'
        )
        assert expected in body, route
