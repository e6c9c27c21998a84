import uuid
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inbox.models import Chat, Message
from marketplaces.errors import AttachmentPendingError
from marketplaces.types import Download

HTMX = {"HTTP_HX_REQUEST": "true"}


def chat_ids_in(response) -> list[int]:
    return [chat.pk for chat in response.context["chats"]]


@pytest.fixture
def setup(make_account, make_active_chat, agent, other_agent):
    ozon = make_account("ozon", name="Ozon main", members=[agent, other_agent])
    wildberries = make_account("wildberries", name="WB main", members=[agent])
    foreign = make_account("yandex_market", name="Someone else", members=[other_agent])
    return {
        "ozon": ozon,
        "wildberries": wildberries,
        "foreign": foreign,
        "ozon_chat": make_active_chat(ozon, text="Где мой заказ?", order_number="0123456789-0001-1"),
        "wildberries_chat": make_active_chat(
            wildberries, text="Размер маломерит", product_sku="987654321", minutes_ago=10, unread_count=0
        ),
        "foreign_chat": make_active_chat(foreign, text="Чужой чат"),
    }


@pytest.fixture
def logged_in(client, agent):
    client.force_login(agent)
    return client


@pytest.mark.django_db
def test_inbox_lists_only_member_chats_newest_first_with_tab_counts(logged_in, setup):
    response = logged_in.get(reverse("inbox:index"))
    assert response.status_code == 200
    assert chat_ids_in(response) == [setup["ozon_chat"].pk, setup["wildberries_chat"].pk]
    tabs = {
        tab.marketplace: (tab.counts.open_chats, tab.counts.unread_chats) for tab in response.context["tabs"]
    }
    assert tabs == {"": (2, 1), "wildberries": (1, 0), "ozon": (1, 1)}
    assert response.context["unread_total"] == 1
    body = response.content.decode()
    assert "Чужой чат" not in body
    assert "<title>(1) " in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tab=ozon", ["ozon_chat"]),
        ("tab=wildberries", ["wildberries_chat"]),
        ("unread=1", ["ozon_chat"]),
        ("q=маломерит", ["wildberries_chat"]),
        ("q=0123456789", ["ozon_chat"]),
        ("q=987654321", ["wildberries_chat"]),
        ("q=Чужой", []),
        ("status=resolved", []),
        ("assigned=mine", []),
        ("assigned=unassigned", ["ozon_chat", "wildberries_chat"]),
        ("sort=waiting", ["wildberries_chat", "ozon_chat"]),
    ],
)
def test_filters_and_search(logged_in, setup, query, expected):
    response = logged_in.get(reverse("inbox:index") + "?" + query)
    assert chat_ids_in(response) == [setup[name].pk for name in expected]


@pytest.mark.django_db
def test_search_by_buyer_name_account_filter_and_awaiting(logged_in, setup):
    Chat.objects.filter(pk=setup["ozon_chat"].pk).update(buyer_name="Анна Петрова")
    Chat.objects.filter(pk=setup["wildberries_chat"].pk).update(awaiting_reply_since=None)
    assert chat_ids_in(logged_in.get(reverse("inbox:index") + "?q=петрова")) == [setup["ozon_chat"].pk]
    by_account = logged_in.get(reverse("inbox:index") + f"?account={setup['wildberries'].pk}")
    assert chat_ids_in(by_account) == [setup["wildberries_chat"].pk]
    assert chat_ids_in(logged_in.get(reverse("inbox:index") + "?awaiting=1")) == [setup["ozon_chat"].pk]


@pytest.mark.django_db
def test_keyset_pagination_is_stable_when_new_chats_arrive(logged_in, make_account, make_chat, agent):
    account = make_account("ozon", members=[agent])
    start = timezone.now() - timedelta(days=1)
    expected = [
        make_chat(account, last_message_at=start + timedelta(minutes=index)).pk for index in range(70)
    ]
    expected.reverse()
    first = logged_in.get(reverse("inbox:index"))
    assert chat_ids_in(first) == expected[:50]
    cursor = first.context["next_cursor"]
    assert cursor
    make_chat(account, last_message_at=timezone.now())  # arrives between the two pages
    second = logged_in.get(reverse("inbox:index") + f"?cursor={cursor}", HTTP_HX_TARGET="load-more", **HTMX)
    assert chat_ids_in(second) == expected[50:]
    assert second.context["next_cursor"] == ""
    assert "chat-list-region" not in second.content.decode()


@pytest.mark.django_db
def test_garbage_cursor_starts_from_the_top(logged_in, setup):
    response = logged_in.get(reverse("inbox:index") + "?cursor=%%%not-a-cursor")
    assert chat_ids_in(response) == [setup["ozon_chat"].pk, setup["wildberries_chat"].pk]


@pytest.mark.django_db
def test_list_poll_answers_204_while_nothing_changed(logged_in, setup, make_message):
    headers = {"HTTP_HX_TARGET": "chat-list-region", **HTMX}
    first = logged_in.get(reverse("inbox:index"), **headers)
    signature = first.context["list_signature"]
    assert logged_in.get(reverse("inbox:index") + f"?signature={signature}", **headers).status_code == 204
    Chat.objects.filter(pk=setup["wildberries_chat"].pk).update(
        unread_count=3, last_message_at=timezone.now()
    )
    changed = logged_in.get(reverse("inbox:index") + f"?signature={signature}", **headers)
    assert changed.status_code == 200
    assert chat_ids_in(changed)[0] == setup["wildberries_chat"].pk


@pytest.mark.django_db
def test_a_sync_within_the_same_minute_does_not_re_render_the_list(logged_in, setup, monkeypatch):
    from datetime import datetime

    from accounts.models import SyncState

    moment = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)
    monkeypatch.setattr("inbox.views.context.timezone.now", lambda: moment)
    SyncState.objects.update(last_success_at=moment)
    headers = {"HTTP_HX_TARGET": "chat-list-region", **HTMX}
    signature = logged_in.get(reverse("inbox:index"), **headers).context["list_signature"]
    # Wildberries syncs every 10 s: the footer still says "synced just now", so the poll finds nothing new.
    SyncState.objects.update(last_success_at=moment.replace(second=45))
    assert logged_in.get(reverse("inbox:index") + f"?signature={signature}", **headers).status_code == 204
    # A minute later the footer's wording changes: the list is sent again.
    monkeypatch.setattr("inbox.views.context.timezone.now", lambda: moment.replace(minute=1))
    assert logged_in.get(reverse("inbox:index") + f"?signature={signature}", **headers).status_code == 200


@pytest.mark.django_db
def test_opening_and_polling_a_chat_leave_it_unread(logged_in, setup, monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        "inbox.services.chats.chat_remote_read_enqueue", lambda *, chat: enqueued.append(chat.pk)
    )
    chat = setup["ozon_chat"]
    full = logged_in.get(reverse("inbox:chat", args=[chat.pk]))
    pane = logged_in.get(reverse("inbox:chat", args=[chat.pk]), HTTP_HX_TARGET="chat-pane", **HTMX)
    poll = logged_in.get(reverse("inbox:chat_live", args=[chat.pk]), **HTMX)
    assert (full.status_code, pane.status_code, poll.status_code) == (200, 200, 200)
    chat.refresh_from_db()
    assert chat.unread_count == 1
    assert Message.objects.filter(chat=chat, is_read=False).count() == 1
    assert enqueued == []
    # The pane asks for the read itself (htmx on load; a plain button without JS).
    read_url = reverse("inbox:chat_read", args=[chat.pk])
    body = pane.content.decode()
    assert f'hx-post="{read_url}" hx-target="#chat-live" hx-swap="none" hx-trigger="load"' in body
    assert 'id="mark-read-button"' in body


@pytest.mark.django_db
def test_posting_read_marks_the_chat_read_once_and_enqueues_the_remote_read(logged_in, setup, monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        "inbox.services.chats.chat_remote_read_enqueue", lambda *, chat: enqueued.append(chat.pk)
    )
    chat = setup["ozon_chat"]
    read_url = reverse("inbox:chat_read", args=[chat.pk])
    response = logged_in.post(read_url, **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert response["HX-Trigger"] == "chats-changed"
    chat.refresh_from_db()
    assert chat.unread_count == 0
    assert not Message.objects.filter(chat=chat, is_read=False).exists()
    assert enqueued == [chat.pk]
    # Without JS: the form posts and comes back to the chat, keeping the list's filters.
    again = logged_in.post(read_url + "?tab=ozon")
    chat_url = reverse("inbox:chat", args=[chat.pk])
    assert (again.status_code, again["Location"]) == (302, chat_url + "?tab=ozon")
    assert enqueued == [chat.pk]  # nothing new to read: no second remote call
    # A read chat's pane has nothing to post.
    pane = logged_in.get(reverse("inbox:chat", args=[chat.pk]), HTTP_HX_TARGET="chat-pane", **HTMX)
    assert read_url not in pane.content.decode()


@pytest.mark.django_db
def test_read_is_post_only_and_foreign_chats_are_404(logged_in, setup):
    assert logged_in.get(reverse("inbox:chat_read", args=[setup["ozon_chat"].pk])).status_code == 405
    assert logged_in.post(reverse("inbox:chat_read", args=[setup["foreign_chat"].pk])).status_code == 404
    setup["foreign_chat"].refresh_from_db()
    assert setup["foreign_chat"].unread_count == 1


@pytest.mark.django_db
def test_chat_pane_shows_context_and_htmx_gets_only_the_pane(logged_in, setup):
    chat = setup["ozon_chat"]
    full = logged_in.get(reverse("inbox:chat", args=[chat.pk]) + "?tab=ozon")
    body = full.content.decode()
    assert "0123456789-0001-1" in body
    assert 'id="chat-list-region"' in body
    assert f'action="/inbox/chats/{chat.pk}/reply/?tab=ozon"' in body
    pane = logged_in.get(reverse("inbox:chat", args=[chat.pk]), HTTP_HX_TARGET="chat-pane", **HTMX)
    assert 'id="chat-list-region"' not in pane.content.decode()
    assert 'id="reply-form"' in pane.content.decode()
    assert 'data-limit="1000"' in pane.content.decode()


@pytest.mark.django_db
def test_thread_poll_answers_204_until_a_message_arrives(logged_in, setup, make_message):
    chat = setup["ozon_chat"]
    url = reverse("inbox:chat_live", args=[chat.pk])
    first = logged_in.get(url, **HTMX)
    signature = first.context["thread_signature"]
    assert logged_in.get(url, {"signature": signature}, **HTMX).status_code == 204
    make_message(chat, text="Ау, вы тут?")
    changed = logged_in.get(url, {"signature": signature}, **HTMX)
    assert changed.status_code == 200
    assert "Ау, вы тут?" in changed.content.decode()


@pytest.mark.django_db
def test_buyer_html_is_shown_as_text(logged_in, make_account, make_active_chat, agent):
    account = make_account("ozon", members=[agent])
    chat = make_active_chat(
        account, text="<script>alert('x')</script>", buyer_name="<img src=x onerror=alert(1)>"
    )
    Message.objects.filter(chat=chat).update(
        attachments=[{"kind": "file", "name": '"><script>alert(2)</script>.pdf', "size": 10}]
    )
    for url in (reverse("inbox:index"), reverse("inbox:chat", args=[chat.pk])):
        body = logged_in.get(url).content.decode()
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body


@pytest.mark.django_db
def test_reply_creates_one_pending_message_even_when_submitted_twice(logged_in, setup):
    chat = setup["ozon_chat"]
    key = str(uuid.uuid4())
    url = reverse("inbox:chat_reply", args=[chat.pk])
    first = logged_in.post(url, {"text": "Добрый день! Заказ в пути.", "idempotency_key": key}, **HTMX)
    second = logged_in.post(url, {"text": "Добрый день! Заказ в пути.", "idempotency_key": key}, **HTMX)
    assert first.status_code == second.status_code == 200
    replies = Message.objects.filter(chat=chat, direction=Message.Direction.OUT)
    assert replies.count() == 1
    reply = replies.get()
    assert reply.delivery_status == Message.DeliveryStatus.PENDING
    assert str(reply.idempotency_key) == key
    body = first.content.decode()
    assert "Добрый день! Заказ в пути." in body
    assert "delivery-pending" in body
    assert 'hx-swap-oob="true"' in body  # a clean reply form with a fresh key


@pytest.mark.django_db
def test_plain_form_reply_redirects_back_to_the_chat(logged_in, setup):
    chat = setup["ozon_chat"]
    response = logged_in.post(
        reverse("inbox:chat_reply", args=[chat.pk]) + "?tab=ozon",
        {"text": "Ответ", "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:chat", args=[chat.pk]) + "?tab=ozon"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("marketplace", "limit"), [("wildberries", 1000), ("ozon", 1000), ("yandex_market", 4096)]
)
def test_over_long_reply_is_refused_and_nothing_is_created(
    logged_in, make_account, make_active_chat, agent, marketplace, limit
):
    chat = make_active_chat(make_account(marketplace, members=[agent]))
    url = reverse("inbox:chat_reply", args=[chat.pk])
    refused = logged_in.post(url, {"text": "я" * (limit + 1), "idempotency_key": str(uuid.uuid4())}, **HTMX)
    assert refused.status_code == 422
    assert refused["HX-Retarget"] == "#reply-form"
    assert str(limit) in refused.content.decode()
    plain = logged_in.post(url, {"text": "я" * (limit + 1), "idempotency_key": str(uuid.uuid4())})
    assert plain.status_code == 400
    assert not Message.objects.filter(chat=chat, direction=Message.Direction.OUT).exists()
    # Words, not one long word: Wildberries forbids one-word answers (a warning of the pre-send check).
    accepted = logged_in.post(
        url, {"text": ("я " * limit)[:limit], "idempotency_key": str(uuid.uuid4())}, **HTMX
    )
    assert accepted.status_code == 200
    assert Message.objects.filter(chat=chat, direction=Message.Direction.OUT).count() == 1


@pytest.mark.django_db
def test_empty_reply_is_refused(logged_in, setup):
    chat = setup["ozon_chat"]
    response = logged_in.post(reverse("inbox:chat_reply", args=[chat.pk]), {"text": "   "}, **HTMX)
    assert response.status_code == 422
    assert not Message.objects.filter(chat=chat, direction=Message.Direction.OUT).exists()


@pytest.mark.django_db
def test_resolve_reopen_assign_and_mark_unread(logged_in, setup, agent, other_agent):
    chat = setup["ozon_chat"]
    resolved = logged_in.post(reverse("inbox:chat_status", args=[chat.pk]), {"status": "resolved"}, **HTMX)
    assert resolved.status_code == 200
    assert resolved["HX-Trigger"] == "chats-changed"
    chat.refresh_from_db()
    assert chat.status == Chat.Status.RESOLVED
    logged_in.post(reverse("inbox:chat_status", args=[chat.pk]), {"status": "open"}, **HTMX)
    assert logged_in.post(reverse("inbox:chat_status", args=[chat.pk]), {"status": "x"}).status_code == 400
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN

    logged_in.post(reverse("inbox:chat_assignee", args=[chat.pk]), {"assignee": "me"}, **HTMX)
    chat.refresh_from_db()
    assert chat.assignee == agent
    logged_in.post(reverse("inbox:chat_assignee", args=[chat.pk]), {"assignee": str(other_agent.pk)}, **HTMX)
    chat.refresh_from_db()
    assert chat.assignee == other_agent
    outsider = type(agent).objects.create_user("outsider", password="x-password-123")
    refused = logged_in.post(reverse("inbox:chat_assignee", args=[chat.pk]), {"assignee": str(outsider.pk)})
    assert refused.status_code == 400
    chat.refresh_from_db()
    assert chat.assignee == other_agent
    logged_in.post(reverse("inbox:chat_assignee", args=[chat.pk]), {"assignee": ""}, **HTMX)
    chat.refresh_from_db()
    assert chat.assignee is None

    chat_read = logged_in.get(reverse("inbox:chat", args=[chat.pk]))
    assert chat_read.status_code == 200
    unread = logged_in.post(reverse("inbox:chat_unread", args=[chat.pk]) + "?tab=ozon", **HTMX)
    assert unread["HX-Push-Url"] == reverse("inbox:index") + "?tab=ozon"
    chat.refresh_from_db()
    assert chat.unread_count == 1


def failed_reply(make_message, chat: Chat, *, last_error: str) -> Message:
    return make_message(
        chat,
        text="Ответ",
        direction=Message.Direction.OUT,
        author=Message.Author.SELLER,
        delivery_status=Message.DeliveryStatus.FAILED,
        last_error=last_error,
    )


@pytest.mark.django_db
def test_retry_puts_a_failed_reply_back_in_the_queue(logged_in, setup, make_message):
    chat = setup["ozon_chat"]
    failed = failed_reply(make_message, chat, last_error="Чат закрыт для ответов")
    pane = logged_in.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert "Чат закрыт для ответов" in pane
    assert reverse("inbox:message_retry", args=[chat.pk, failed.pk]) in pane
    logged_in.post(reverse("inbox:message_retry", args=[chat.pk, failed.pk]), **HTMX)
    failed.refresh_from_db()
    assert failed.delivery_status == Message.DeliveryStatus.PENDING
    assert failed.last_error == ""


@pytest.mark.django_db
def test_a_failed_reply_in_a_chat_the_marketplace_closed_offers_no_retry(
    logged_in, agent, make_account, make_active_chat, make_message, django_capture_on_commit_callbacks
):
    chat = make_active_chat(make_account("yandex_market", members=[agent]), marketplace_status="FINISHED")
    failed = failed_reply(
        make_message, chat, last_error="Маркетплейс недоступен. Попробуйте отправить ответ позже."
    )
    retry_url = reverse("inbox:message_retry", args=[chat.pk, failed.pk])
    pane = logged_in.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert "Маркетплейс недоступен. Попробуйте отправить ответ позже." in pane
    assert retry_url not in pane

    # A retry posted anyway (a page opened before the chat finished) is refused; the pane says why.
    with django_capture_on_commit_callbacks() as queued:
        response = logged_in.post(retry_url, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert retry_url not in body
    assert "Яндекс Маркет: чат завершён" in body
    failed.refresh_from_db()
    assert failed.delivery_status == Message.DeliveryStatus.FAILED
    assert queued == []


@pytest.fixture
def chat_with_files(setup, make_message):
    return make_message(
        setup["ozon_chat"],
        text="",
        attachments=[
            {"kind": "image", "name": "photo.png", "content_type": "image/png", "remote_id": "1"},
            {"kind": "file", "name": '../../etc/"evil";\r\nname.html', "content_type": "text/html"},
            {"kind": "file", "name": "check.pdf", "moderation": "pending"},
        ],
    )


@pytest.mark.django_db
def test_attachment_download_goes_through_our_server_with_safe_headers(
    logged_in, setup, chat_with_files, monkeypatch
):
    calls = []

    def fake_fetch(*, message, index):
        calls.append((message.pk, index))
        return Download(
            content=b"<html>x</html>" if index == 1 else b"\x89PNG", content_type="text/html", name=""
        )

    monkeypatch.setattr("inbox.attachments.attachment_fetch", fake_fetch)
    chat = setup["ozon_chat"]
    html = logged_in.get(reverse("inbox:attachment", args=[chat.pk, chat_with_files.pk, 1]) + "?inline=1")
    assert html.status_code == 200
    assert html["Content-Disposition"] == 'attachment; filename="etc_evil_name.html"'
    assert html["X-Content-Type-Options"] == "nosniff"
    assert calls == [(chat_with_files.pk, 1)]
    missing = logged_in.get(reverse("inbox:attachment", args=[chat.pk, chat_with_files.pk, 7]))
    assert missing.status_code == 404

    monkeypatch.setattr(
        "inbox.attachments.attachment_fetch",
        lambda *, message, index: Download(content=b"\x89PNG", content_type="image/png", name="x.png"),
    )
    image = logged_in.get(reverse("inbox:attachment", args=[chat.pk, chat_with_files.pk, 0]) + "?inline=1")
    assert image["Content-Disposition"] == 'inline; filename="photo.png"'
    assert image["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_attachment_in_moderation(logged_in, setup, chat_with_files, monkeypatch):
    def pending(*, message, index):
        raise AttachmentPendingError("moderation", retry_after=60)

    monkeypatch.setattr("inbox.attachments.attachment_fetch", pending)
    chat = setup["ozon_chat"]
    response = logged_in.get(reverse("inbox:attachment", args=[chat.pk, chat_with_files.pk, 2]))
    assert response.status_code == 202
    pane = logged_in.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert "check.pdf" in pane
    assert 'class="file-placeholder moderation-pending"' in pane
    assert reverse("inbox:attachment", args=[chat.pk, chat_with_files.pk, 2]) not in pane
    assert reverse("inbox:attachment", args=[chat.pk, chat_with_files.pk, 0]) + "?inline=1" in pane


@pytest.mark.django_db
def test_other_accounts_chats_are_404_everywhere(logged_in, setup, make_message, monkeypatch):
    monkeypatch.setattr("inbox.attachments.attachment_fetch", lambda **kwargs: pytest.fail("must not fetch"))
    chat = setup["foreign_chat"]
    message = make_message(
        chat,
        direction=Message.Direction.OUT,
        author=Message.Author.SELLER,
        delivery_status=Message.DeliveryStatus.FAILED,
        attachments=[{"kind": "file", "name": "a.pdf"}],
    )
    gets = [
        reverse("inbox:chat", args=[chat.pk]),
        reverse("inbox:chat_live", args=[chat.pk]),
        reverse("inbox:attachment", args=[chat.pk, message.pk, 0]),
        # someone else's message addressed through my own chat
        reverse("inbox:attachment", args=[setup["ozon_chat"].pk, message.pk, 0]),
    ]
    for url in gets:
        assert logged_in.get(url).status_code == 404, url
    posts = [
        (reverse("inbox:chat_reply", args=[chat.pk]), {"text": "hi", "idempotency_key": str(uuid.uuid4())}),
        (reverse("inbox:chat_status", args=[chat.pk]), {"status": "resolved"}),
        (reverse("inbox:chat_assignee", args=[chat.pk]), {"assignee": "me"}),
        (reverse("inbox:chat_unread", args=[chat.pk]), {}),
        (reverse("inbox:message_retry", args=[chat.pk, message.pk]), {}),
        (reverse("inbox:message_retry", args=[setup["ozon_chat"].pk, message.pk]), {}),
    ]
    for url, data in posts:
        assert logged_in.post(url, data).status_code == 404, url
    chat.refresh_from_db()
    message.refresh_from_db()
    assert (chat.status, chat.assignee_id, chat.unread_count) == (Chat.Status.OPEN, None, 1)
    assert message.delivery_status == Message.DeliveryStatus.FAILED
    assert Message.objects.filter(chat=chat).count() == 2


@pytest.mark.django_db
def test_csrf_is_enforced_on_posts_including_htmx(setup, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    chat = setup["ozon_chat"]
    url = reverse("inbox:chat_reply", args=[chat.pk])
    data = {"text": "Ответ", "idempotency_key": str(uuid.uuid4())}
    assert client.post(url, data, **HTMX).status_code == 403
    assert (
        client.post(reverse("inbox:chat_status", args=[chat.pk]), {"status": "resolved"}).status_code == 403
    )
    assert not Message.objects.filter(chat=chat, direction=Message.Direction.OUT).exists()
    page = client.get(reverse("inbox:chat", args=[chat.pk]))
    token = page.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page.content.decode()
    assert client.post(url, data, HTTP_X_CSRFTOKEN=str(token), **HTMX).status_code == 200
    assert Message.objects.filter(chat=chat, direction=Message.Direction.OUT).count() == 1


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, setup):
    chat = setup["ozon_chat"]
    for url in (reverse("inbox:index"), reverse("inbox:chat", args=[chat.pk])):
        assert client.get(url)["Location"].startswith(reverse("login"))
    assert client.post(reverse("inbox:chat_reply", args=[chat.pk]), {"text": "x"}).status_code == 302
    assert not Message.objects.filter(chat=chat, direction=Message.Direction.OUT).exists()


@pytest.mark.django_db
def test_sync_health_is_visible(logged_in, setup):
    state = setup["ozon"].sync_state
    state.consecutive_failures = 3
    state.last_error = "Ozon ответил 503"
    state.last_success_at = timezone.now() - timedelta(minutes=20)
    state.save()
    body = logged_in.get(reverse("inbox:index")).content.decode()
    assert "sync-warning" in body
    assert "Ozon ответил 503" in body
    assert "20 мин" in body
