import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import SyncState

pytestmark = pytest.mark.django_db

OZON_NEW_MESSAGE = {
    "message_type": "TYPE_NEW_MESSAGE",
    "chat_id": "b646d975-0c9c-4872-9f41-8b1e57181063",
    "chat_type": "Buyer_Seller",
    "message_id": "3000000000817031942",
    "created_at": "2022-07-18T20:58:04.528Z",
    "user": {"id": "115568", "type": "Customer"},
    "data": ["Текст сообщения"],
    "seller_id": "7",
}
YANDEX_MARKET_MESSAGE = {
    "notificationType": "CHAT_MESSAGE_SENT",
    "businessId": 7654321,
    "chatId": 456,
    "messageId": "789",
    "sentAt": "2017-11-21T00:00:00.213Z",
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """A push must never build a connector, let alone call the marketplace."""

    def refuse(*args, **kwargs):
        raise AssertionError("the push receiver tried to reach the marketplace")

    monkeypatch.setattr("marketplaces.registry.get_connector", refuse)
    monkeypatch.setattr("marketplaces.registry.build_connector", refuse)


@pytest.fixture
def ozon(make_account):
    account = make_account("ozon")
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=timezone.now() + timedelta(minutes=1))
    return account


@pytest.fixture
def yandex_market(make_account):
    account = make_account("yandex_market")
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=timezone.now() + timedelta(minutes=1))
    return account


def post(client, url: str, payload, **extra):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, data=body, content_type=extra.pop("content_type", "application/json"), **extra)


def ozon_url(account) -> str:
    return reverse("inbox:webhook-ozon", kwargs={"secret": account.webhook_secret})


def yandex_market_url(account) -> str:
    return reverse("inbox:webhook-yandex-market", kwargs={"secret": account.webhook_secret})


def assert_identity(response, before: datetime) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"version", "name", "time"}
    assert body["name"] == "Chat Center" and body["version"] == "1.0.0"
    assert body["time"].endswith("Z")
    moment = datetime.fromisoformat(body["time"].replace("Z", "+00:00"))
    assert before - timedelta(milliseconds=1) <= moment <= datetime.now(UTC)


def test_urls_are_the_documented_ones(ozon, yandex_market):
    assert ozon_url(ozon) == f"/hooks/ozon/{ozon.webhook_secret}/"
    assert yandex_market_url(yandex_market) == f"/hooks/yandex-market/{yandex_market.webhook_secret}/"


def test_ozon_ping_answers_version_name_time_and_changes_nothing(client, ozon, enqueued):
    before = datetime.now(UTC)
    response = post(client, ozon_url(ozon), {"message_type": "TYPE_PING", "time": "2019-08-24T14:15:22Z"})
    assert_identity(response, before)
    assert SyncState.objects.get(pk=ozon.pk).next_sync_at > timezone.now()
    assert enqueued == []


def test_ozon_new_message_marks_the_account_due_once(
    client, ozon, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, ozon_url(ozon), OZON_NEW_MESSAGE)
    state = SyncState.objects.get(pk=ozon.pk)
    assert first.status_code == 200 and first.json() == {"result": True}
    assert state.next_sync_at <= timezone.now()
    # Handed to the queue with the reservation the task takes over.
    assert enqueued == [("inbox.tasks.sync_account", (ozon.pk, state.lease_owner))]
    assert state.lease_until > timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        duplicate = post(client, ozon_url(ozon), OZON_NEW_MESSAGE)

    assert duplicate.json() == {"result": True}
    assert SyncState.objects.get(pk=ozon.pk).next_sync_at == state.next_sync_at
    assert len(enqueued) == 1


def test_ozon_push_for_a_non_buyer_chat_is_acknowledged_and_ignored(client, ozon, enqueued):
    response = post(client, ozon_url(ozon), {**OZON_NEW_MESSAGE, "chat_type": "Seller_Support"})
    assert response.json() == {"result": True}
    assert SyncState.objects.get(pk=ozon.pk).next_sync_at > timezone.now()


def test_ozon_errors_use_the_documented_shape(client, ozon):
    missing = post(client, ozon_url(ozon), {"chat_id": "x"})
    assert missing.status_code == 400
    assert missing.json() == {
        "error": {"code": "ERROR_PARAMETER_VALUE_MISSED", "message": "Нет поля message_type", "details": None}
    }
    broken = post(client, ozon_url(ozon), "{not json")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "ERROR_UNKNOWN"
    not_json = post(client, ozon_url(ozon), "message_type=TYPE_PING", content_type="text/plain")
    assert not_json.status_code == 415
    assert client.get(ozon_url(ozon)).status_code == 405
    unknown = post(client, reverse("inbox:webhook-ozon", kwargs={"secret": "nope"}), OZON_NEW_MESSAGE)
    assert unknown.status_code == 404


def test_secret_of_another_marketplace_is_unknown(client, ozon, yandex_market):
    response = post(
        client,
        reverse("inbox:webhook-ozon", kwargs={"secret": yandex_market.webhook_secret}),
        {"message_type": "TYPE_PING"},
    )
    assert response.status_code == 404


def test_pushes_need_no_csrf_token(ozon):
    from django.test import Client

    response = post(Client(enforce_csrf_checks=True), ozon_url(ozon), {"message_type": "TYPE_PING"})
    assert response.status_code == 200


@pytest.mark.parametrize("suffix", ["", "notification", "notification/"])
def test_yandex_market_ping_on_both_documented_urls(client, yandex_market, suffix):
    before = datetime.now(UTC)
    response = post(
        client,
        yandex_market_url(yandex_market) + suffix,
        {"notificationType": "PING", "time": "2025-01-16T10:09:49.759084017Z"},
    )
    assert_identity(response, before)


def test_yandex_market_chat_notification_marks_due_and_answers_identity(
    client, yandex_market, enqueued, django_capture_on_commit_callbacks
):
    before = datetime.now(UTC)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, yandex_market_url(yandex_market) + "notification", YANDEX_MARKET_MESSAGE)
        post(client, yandex_market_url(yandex_market) + "notification", YANDEX_MARKET_MESSAGE)
    assert_identity(response, before)
    state = SyncState.objects.get(pk=yandex_market.pk)
    assert state.next_sync_at <= timezone.now()
    assert enqueued == [("inbox.tasks.sync_account", (yandex_market.pk, state.lease_owner))]


def test_yandex_market_order_notification_is_acknowledged_without_sync(client, yandex_market, enqueued):
    response = post(client, yandex_market_url(yandex_market), {"notificationType": "ORDER_CREATED"})
    assert response.status_code == 200
    assert SyncState.objects.get(pk=yandex_market.pk).next_sync_at > timezone.now()


def test_yandex_market_errors_use_the_documented_shape(client, yandex_market):
    broken = post(client, yandex_market_url(yandex_market), "[1, 2")
    assert broken.status_code == 400
    assert broken.json()["error"]["type"] == "WRONG_EVENT_FORMAT"
    missing = post(client, yandex_market_url(yandex_market), {"chatId": 1})
    assert missing.status_code == 400
    assert missing.json() == {"error": {"type": "WRONG_EVENT_FORMAT", "message": "Нет поля notificationType"}}


@override_settings(WEBHOOK_ALLOWED_NETWORKS=["195.34.21.0/24", "185.73.192.0/22", "5.45.207.0/25"])
def test_allow_list_refuses_other_sources(client, ozon, yandex_market):
    outside = post(client, ozon_url(ozon), OZON_NEW_MESSAGE, REMOTE_ADDR="203.0.113.9")
    assert outside.status_code == 403
    assert outside.json()["error"]["code"] == "ERROR_UNKNOWN"
    assert SyncState.objects.get(pk=ozon.pk).next_sync_at > timezone.now()
    inside = post(client, ozon_url(ozon), {"message_type": "TYPE_PING"}, REMOTE_ADDR="185.73.195.10")
    assert inside.status_code == 200
    refused = post(
        client, yandex_market_url(yandex_market), {"notificationType": "PING"}, REMOTE_ADDR="10.1.1.1"
    )
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "UNKNOWN"
    allowed = post(
        client, yandex_market_url(yandex_market), {"notificationType": "PING"}, REMOTE_ADDR="5.45.207.5"
    )
    assert allowed.status_code == 200


def test_inactive_account_is_answered_politely_and_ignored(client, make_account, enqueued):
    account = make_account("ozon", is_active=False)
    response = post(client, ozon_url(account), OZON_NEW_MESSAGE)
    assert response.json() == {"result": True}
    assert SyncState.objects.get(pk=account.pk).next_sync_at is None
    assert enqueued == []


def test_failing_account_keeps_its_backoff(client, ozon, enqueued):
    later = timezone.now() + timedelta(minutes=30)
    SyncState.objects.filter(pk=ozon.pk).update(consecutive_failures=3, next_sync_at=later)
    post(client, ozon_url(ozon), OZON_NEW_MESSAGE)
    assert SyncState.objects.get(pk=ozon.pk).next_sync_at == later
