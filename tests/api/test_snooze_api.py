"""PATCH /api/chat/chats/{id} with status "snoozed", and the status filter of the chat list."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from inbox.models import Chat


@pytest.fixture
def chats(make_account, make_chat, agent, other_agent):
    now = timezone.now()
    mine = make_account("ozon", members=[agent, other_agent])
    theirs = make_account("wildberries", members=[other_agent])
    return {
        "chat": make_chat(mine, last_message_at=now),
        "other": make_chat(mine, last_message_at=now - timedelta(minutes=1)),
        "foreign": make_chat(theirs, last_message_at=now),
    }


def ids(response) -> list[int]:
    return [chat["id"] for chat in response.data["results"]]


@pytest.mark.django_db
def test_snooze_through_the_api_and_filter_by_status(api, chats):
    chat = chats["chat"]
    until = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)

    response = api.patch(
        f"/api/chat/chats/{chat.pk}", {"status": "snoozed", "snoozed_until": until.isoformat()}, format="json"
    )

    assert response.status_code == 200, response.data
    assert response.data["status"] == "snoozed"
    assert parse_datetime(response.data["snoozed_until"]) == until
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.SNOOZED, until)
    assert ids(api.get("/api/chat/chats?status=snoozed")) == [chat.pk]
    assert ids(api.get("/api/chat/chats?status=open")) == [chats["other"].pk]
    assert ids(api.get("/api/chat/chats")) == [chat.pk, chats["other"].pk]

    reopened = api.patch(f"/api/chat/chats/{chat.pk}", {"status": "open"}, format="json")
    assert (reopened.data["status"], reopened.data["snoozed_until"]) == ("open", None)
    chat.refresh_from_db()
    assert chat.snoozed_until is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "snoozed"}, "Укажите, когда вернуть чат."),
        ({"status": "snoozed", "snoozed_until": None}, "Укажите, когда вернуть чат."),
        (
            {"status": "snoozed", "snoozed_until": (timezone.now() - timedelta(minutes=5)).isoformat()},
            "Выберите время в будущем.",
        ),
        (
            {"status": "open", "snoozed_until": (timezone.now() + timedelta(hours=1)).isoformat()},
            "Передайте его вместе со статусом «snoozed».",
        ),
        (
            {"snoozed_until": (timezone.now() + timedelta(hours=1)).isoformat()},
            "Передайте его вместе со статусом «snoozed».",
        ),
    ],
)
def test_refused_snoozes_answer_400_with_the_field_and_change_nothing(api, chats, other_agent, body, message):
    chat = chats["chat"]

    response = api.patch(
        f"/api/chat/chats/{chat.pk}",
        {**body, "assignee": other_agent.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    assert response.status_code == 400
    assert response.data == {"snoozed_until": [message]}
    chat.refresh_from_db()
    # the assignee in the same request was not applied either
    assert (chat.status, chat.snoozed_until, chat.assignee_id) == (Chat.Status.OPEN, None, None)


@pytest.mark.django_db
def test_malformed_time_is_a_field_error(api, chats):
    chat = chats["chat"]
    response = api.patch(
        f"/api/chat/chats/{chat.pk}", {"status": "snoozed", "snoozed_until": "tomorrow"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.data) == ["snoozed_until"]


@pytest.mark.django_db
def test_another_accounts_chat_is_404(api, chats):
    chat = chats["foreign"]
    until = (timezone.now() + timedelta(hours=1)).isoformat()
    response = api.patch(
        f"/api/chat/chats/{chat.pk}", {"status": "snoozed", "snoozed_until": until}, format="json"
    )
    assert response.status_code == 404
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)


@pytest.mark.django_db
def test_a_passed_snooze_reads_open(api, chats):
    chat = chats["chat"]
    Chat.objects.filter(pk=chat.pk).update(
        status=Chat.Status.SNOOZED, snoozed_until=timezone.now() - timedelta(seconds=1)
    )
    detail = api.get(f"/api/chat/chats/{chat.pk}")
    assert (detail.data["status"], detail.data["snoozed_until"]) == ("open", None)
    assert chat.pk in ids(api.get("/api/chat/chats?status=open"))
    assert ids(api.get("/api/chat/chats?status=snoozed")) == []


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_snoozed_list_uses_a_constant_number_of_queries(make_account, agent, django_assert_num_queries, size):
    account = make_account("ozon", members=[agent])
    now = timezone.now()
    Chat.objects.bulk_create(
        Chat(
            account=account,
            external_id=str(index),
            last_message_at=now - timedelta(seconds=index),
            status=Chat.Status.SNOOZED,
            # every other snooze has already passed
            snoozed_until=now + timedelta(hours=1 if index % 2 else -1),
            assignee=agent,
        )
        for index in range(size)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    # token + user, permissions x2, one page of chats
    with django_assert_num_queries(4):
        snoozed = client.get("/api/chat/chats?status=snoozed&limit=200")
    with django_assert_num_queries(4):
        passed = client.get("/api/chat/chats?status=open&limit=200")
    assert len(snoozed.data["results"]) == len(passed.data["results"]) == size // 2
    assert {chat["status"] for chat in snoozed.data["results"]} == {"snoozed"}
    assert {chat["status"] for chat in passed.data["results"]} == {"open"}
