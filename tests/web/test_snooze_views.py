"""Snoozing from the chat header: presets, a custom time, refusals, the "Snoozed" filter, membership."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inbox import tasks
from inbox.models import Chat
from inbox.snooze import snooze_until_for_preset

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(make_account, make_active_chat, agent, other_agent):
    ozon = make_account("ozon", name="Ozon main", members=[agent])
    foreign = make_account("yandex_market", name="Someone else", members=[other_agent])
    return {
        "chat": make_active_chat(ozon, text="Где мой заказ?"),
        "other_chat": make_active_chat(ozon, text="Есть размер M?", minutes_ago=20),
        "foreign_chat": make_active_chat(foreign, text="Чужой чат"),
    }


@pytest.fixture
def logged_in(client, agent):
    client.force_login(agent)
    return client


def snooze_url(chat: Chat, query: str = "") -> str:
    return reverse("inbox:chat_snooze", args=[chat.pk]) + query


def listed(client: Client, query: str = "") -> list[int]:
    return [chat.pk for chat in client.get(reverse("inbox:index") + query).context["chats"]]


@pytest.mark.django_db
def test_the_header_offers_presets_a_custom_time_and_the_shortcut(logged_in, setup):
    chat = setup["chat"]
    page = logged_in.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert 'id="snooze-menu"' in page
    for label in ("На 1 час", "До завтра 9:00", "До понедельника 9:00"):
        assert label in page
    for preset in ("hour", "tomorrow", "monday"):
        assert f'name="preset" value="{preset}"' in page
    assert 'type="datetime-local" id="snooze-until" name="until"' in page
    assert f'action="{snooze_url(chat)}"' in page
    assert f'hx-post="{snooze_url(chat)}"' in page
    assert "Отложить (s)" in page
    empty = logged_in.get(reverse("inbox:index")).content.decode()
    assert "<kbd>s</kbd></dt><dd>отложить" in empty


@pytest.mark.django_db
def test_a_preset_snoozes_and_the_chat_moves_to_the_snoozed_filter(logged_in, setup):
    chat = setup["chat"]
    assert listed(logged_in) == [chat.pk, setup["other_chat"].pk]
    expected = snooze_until_for_preset(preset="tomorrow")

    response = logged_in.post(snooze_url(chat, "?tab=ozon"), {"preset": "tomorrow"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "chats-changed"
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.SNOOZED, expected)
    assert timezone.localtime(chat.snoozed_until).strftime("%H:%M") == "09:00"
    body = response.content.decode()
    assert "Отложен до завтра 09:00" in body
    assert 'id="unsnooze-button"' in body
    # the filters of the list travel with the refreshed header
    assert f'action="{snooze_url(chat, "?tab=ozon")}"' in body

    assert listed(logged_in) == [setup["other_chat"].pk]
    assert listed(logged_in, "?status=snoozed") == [chat.pk]
    snoozed_list = logged_in.get(reverse("inbox:index") + "?status=snoozed").content.decode()
    assert '<option value="snoozed" selected>Отложенные</option>' in snoozed_list
    assert "до завтра 09:00" in snoozed_list
    assert set(listed(logged_in, "?status=all")) == {chat.pk, setup["other_chat"].pk}
    tabs = logged_in.get(reverse("inbox:index")).context["tabs"]
    assert tabs[0].counts.open_chats == 1


@pytest.mark.django_db
def test_one_hour_preset(logged_in, setup):
    chat = setup["chat"]
    before = timezone.now()
    logged_in.post(snooze_url(chat), {"preset": "hour"}, **HTMX)
    after = timezone.now()
    chat.refresh_from_db()
    assert before + timedelta(hours=1) <= chat.snoozed_until <= after + timedelta(hours=1)


@pytest.mark.django_db
def test_a_custom_time_without_javascript_redirects_back_to_the_chat(logged_in, setup):
    chat = setup["chat"]
    day = timezone.localdate() + timedelta(days=3)

    response = logged_in.post(
        snooze_url(chat, "?status=all"), {"preset": "custom", "until": f"{day.isoformat()}T14:45"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:chat", args=[chat.pk]) + "?status=all"
    chat.refresh_from_db()
    local = timezone.localtime(chat.snoozed_until)
    assert (local.date(), local.strftime("%H:%M"), local.utcoffset()) == (day, "14:45", timedelta(hours=3))
    assert chat.status == Chat.Status.SNOOZED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ((timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "Выберите время в будущем."),
        ("", "Укажите, когда вернуть чат."),
        ("послезавтра", "Укажите, когда вернуть чат."),
    ],
)
def test_a_past_or_missing_time_is_refused_in_russian_and_nothing_changes(logged_in, setup, typed, message):
    chat = setup["chat"]

    refused = logged_in.post(snooze_url(chat), {"preset": "custom", "until": typed}, **HTMX)

    assert refused.status_code == 422
    body = refused.content.decode()
    assert f'<p class="error" id="snooze-error" role="alert">{message}</p>' in body
    assert '<details class="snooze-menu" id="snooze-menu" open>' in body
    assert f'value="{typed}"' in body
    assert "HX-Trigger" not in refused
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)

    plain = logged_in.post(snooze_url(chat), {"preset": "custom", "until": typed})
    assert plain.status_code == 400
    assert message in plain.content.decode()
    assert "chat-list-region" in plain.content.decode()
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN


@pytest.mark.django_db
def test_unknown_preset_is_a_bad_request(logged_in, setup):
    chat = setup["chat"]
    assert logged_in.post(snooze_url(chat), {"preset": "someday"}, **HTMX).status_code == 400
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN


@pytest.mark.django_db
def test_another_accounts_chat_cannot_be_snoozed(logged_in, setup):
    chat = setup["foreign_chat"]
    assert logged_in.post(snooze_url(chat), {"preset": "hour"}, **HTMX).status_code == 404
    assert (
        logged_in.post(snooze_url(chat), {"preset": "custom", "until": "2099-01-01T09:00"}).status_code == 404
    )
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)
    assert chat.pk not in listed(logged_in, "?status=snoozed")


@pytest.mark.django_db
def test_snooze_needs_login_post_and_csrf(client, setup, agent):
    chat = setup["chat"]
    anonymous = client.post(snooze_url(chat), {"preset": "hour"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(snooze_url(chat), {"preset": "hour"}, **HTMX).status_code == 403
    assert strict.get(snooze_url(chat)).status_code == 405
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN


@pytest.mark.django_db
def test_back_to_open_ends_the_snooze(logged_in, setup):
    chat = setup["chat"]
    logged_in.post(snooze_url(chat), {"preset": "monday"}, **HTMX)
    response = logged_in.post(reverse("inbox:chat_status", args=[chat.pk]), {"status": "open"}, **HTMX)
    assert response.status_code == 200
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)
    assert 'id="unsnooze-button"' not in response.content.decode()
    assert chat.pk in listed(logged_in)


@pytest.mark.django_db
def test_when_the_time_passes_the_chat_is_open_again_before_and_after_the_wake_up(
    logged_in, setup, monkeypatch
):
    chat = setup["chat"]
    logged_in.post(snooze_url(chat), {"preset": "hour"}, **HTMX)
    live = reverse("inbox:chat_live", args=[chat.pk])
    signature = logged_in.get(live + "?signature=stale", **HTMX).context["thread_signature"]
    assert chat.pk not in listed(logged_in)

    later = timezone.now() + timedelta(minutes=61)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert chat.pk in listed(logged_in)
    assert chat.pk not in listed(logged_in, "?status=snoozed")
    # The open thread notices without a new message: its header drops "snoozed until".
    refreshed = logged_in.get(live, {"signature": signature}, **HTMX)
    assert refreshed.status_code == 200
    body = refreshed.content.decode()
    assert '<span class="status-pill status-open">Открыт</span>' in body
    assert "Отложен до" not in body

    assert tasks.wake_snoozed_chats() == 1
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)
    assert chat.pk in listed(logged_in)
