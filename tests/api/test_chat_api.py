import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import MarketplaceAccount
from inbox.models import Chat, Message
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.errors import AuthError
from marketplaces.types import Author, RemoteMessage, UpdatesPage


@pytest.fixture
def world(make_account, make_chat, agent, other_agent):
    now = timezone.now()
    mine = make_account("ozon", name="Ozon main", members=[agent, other_agent])
    wildberries = make_account("wildberries", name="WB", members=[agent])
    theirs = make_account("yandex_market", name="Not mine", members=[other_agent])
    ozon_chat = make_chat(
        mine,
        external_id="12345678901234567890",
        last_message_at=now,
        unread_count=2,
        order_number="0123-1",
        product_sku="1500000123",
        product_title="Чайник",
    )
    wildberries_chat = make_chat(wildberries, last_message_at=now - timedelta(minutes=1))
    their_chat = make_chat(theirs, last_message_at=now)
    for index in range(3):
        Message.objects.create(
            chat=ozon_chat,
            external_id=str(10**18 + index),
            direction="in",
            author="buyer",
            text=f"Вопрос {index}",
            created_at=now - timedelta(minutes=10 - index),
        )
    return {
        "mine": mine,
        "ozon_chat": ozon_chat,
        "wildberries_chat": wildberries_chat,
        "their_chat": their_chat,
    }


@pytest.mark.django_db
def test_chat_list_fields_filters_and_membership(api, world):
    response = api.get("/api/chat/chats")
    assert response.status_code == 200
    assert [chat["id"] for chat in response.data["results"]] == [
        world["ozon_chat"].pk,
        world["wildberries_chat"].pk,
    ]
    first = response.data["results"][0]
    assert first["marketplace"] == "ozon"
    assert first["account"] == world["mine"].pk
    assert first["external_id"] == "12345678901234567890"
    assert first["product"] == {"sku": "1500000123", "title": "Чайник", "url": ""}
    assert first["unread_count"] == 2
    assert first["reply_length_limit"] == 1000
    for field in (
        "kind",
        "buyer_name",
        "order_number",
        "status",
        "last_message_at",
        "awaiting_reply_since",
        "assignee",
    ):
        assert field in first
    assert response.data["next"] is None

    def ids(query: str) -> list[int]:
        return [chat["id"] for chat in api.get("/api/chat/chats" + query).data["results"]]

    assert ids("?marketplace=wildberries") == [world["wildberries_chat"].pk]
    assert ids(f"?account={world['mine'].pk}") == [world["ozon_chat"].pk]
    assert ids("?unread=true") == [world["ozon_chat"].pk]
    assert ids("?q=Вопрос 2") == [world["ozon_chat"].pk]
    assert ids("?q=0123") == [world["ozon_chat"].pk]
    assert ids("?status=resolved") == []
    assert ids("?marketplace=yandex_market") == []


@pytest.mark.django_db
def test_chat_list_cursor_pagination_is_stable(api, make_account, make_chat, agent):
    account = make_account("ozon", members=[agent])
    start = timezone.now() - timedelta(hours=1)
    expected = [make_chat(account, last_message_at=start + timedelta(seconds=index)).pk for index in range(7)]
    expected.reverse()
    first = api.get("/api/chat/chats?limit=3")
    assert [chat["id"] for chat in first.data["results"]] == expected[:3]
    make_chat(account, last_message_at=timezone.now())
    second = api.get(first.data["next"])
    third = api.get(second.data["next"])
    assert [chat["id"] for chat in second.data["results"]] == expected[3:6]
    assert [chat["id"] for chat in third.data["results"]] == expected[6:]
    assert third.data["next"] is None


@pytest.mark.django_db
def test_messages_oldest_first_and_paginated(api, world):
    chat = world["ozon_chat"]
    first = api.get(f"/api/chat/chats/{chat.pk}/messages?limit=2")
    assert [message["text"] for message in first.data["results"]] == ["Вопрос 0", "Вопрос 1"]
    assert set(first.data["results"][0]) >= {
        "id",
        "external_id",
        "direction",
        "author",
        "text",
        "attachments",
        "created_at",
        "is_read",
        "delivery_status",
    }
    assert first.data["results"][0]["external_id"] == str(10**18)
    second = api.get(first.data["next"])
    assert [message["text"] for message in second.data["results"]] == ["Вопрос 2"]
    assert second.data["next"] is None


@pytest.mark.django_db
def test_send_returns_202_pending_and_is_idempotent(api, world):
    chat = world["ozon_chat"]
    key = str(uuid.uuid4())
    first = api.post(
        f"/api/chat/chats/{chat.pk}/send", {"text": " Добрый день "}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == 202
    assert first.data["delivery_status"] == "pending"
    assert first.data["direction"] == "out"
    assert first.data["text"] == "Добрый день"
    again = api.post(
        f"/api/chat/chats/{chat.pk}/send", {"text": "Добрый день", "idempotency_key": key}, format="json"
    )
    assert again.status_code == 202
    assert again.data["id"] == first.data["id"]
    assert Message.objects.filter(chat=chat, direction="out").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "rule"), [("", "empty"), ("   ", "empty"), ("я " * 500 + "я", "too_long")])
def test_send_refuses_empty_and_over_long_text(api, world, text, rule):
    chat = world["ozon_chat"]
    response = api.post(f"/api/chat/chats/{chat.pk}/send", {"text": text}, format="json")
    assert response.status_code == 400
    # DESIGN.md §14: empty and too long are compliance violations spanning the whole text as given.
    assert response.data == {
        "compliance": [
            {
                "rule": rule,
                "severity": "block",
                "message": response.data["compliance"][0]["message"],
                "start": 0,
                "end": len(text),
            }
        ]
    }
    assert not Message.objects.filter(chat=chat, direction="out").exists()


@pytest.mark.django_db
def test_send_refuses_a_chat_the_marketplace_closed(api, make_account, make_chat, agent):
    market = make_account("yandex_market", members=[agent])
    finished = make_chat(market, marketplace_status="FINISHED", last_message_at=timezone.now())
    response = api.post(
        f"/api/chat/chats/{finished.pk}/send",
        {"text": "Добрый день!"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.data == {"text": ["Yandex Market: the chat is finished"]}
    assert not Message.objects.filter(chat=finished).exists()


@pytest.mark.django_db
def test_read_and_patch(api, world, agent, other_agent, monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        "inbox.services.chats.chat_remote_read_enqueue", lambda *, chat: enqueued.append(chat.pk)
    )
    chat = world["ozon_chat"]
    read = api.post(f"/api/chat/chats/{chat.pk}/read")
    assert read.status_code == 200
    assert read.data["unread_count"] == 0
    assert enqueued == [chat.pk]
    assert not Message.objects.filter(chat=chat, is_read=False).exists()

    patched = api.patch(
        f"/api/chat/chats/{chat.pk}", {"status": "resolved", "assignee": other_agent.pk}, format="json"
    )
    assert patched.status_code == 200
    assert (patched.data["status"], patched.data["assignee"]) == ("resolved", other_agent.pk)
    chat.refresh_from_db()
    assert (chat.status, chat.assignee_id) == ("resolved", other_agent.pk)

    outsider = User.objects.create_user("outsider", password="x-password-123")
    refused = api.patch(f"/api/chat/chats/{chat.pk}", {"assignee": outsider.pk}, format="json")
    assert refused.status_code == 400
    assert "assignee" in refused.data
    assert api.patch(f"/api/chat/chats/{chat.pk}", {"status": "bogus"}, format="json").status_code == 400
    chat.refresh_from_db()
    assert (chat.status, chat.assignee_id) == ("resolved", other_agent.pk)
    cleared = api.patch(f"/api/chat/chats/{chat.pk}", {"assignee": None, "status": "open"}, format="json")
    assert (cleared.data["status"], cleared.data["assignee"]) == ("open", None)


@pytest.mark.django_db
def test_other_accounts_chat_is_404_everywhere(api, world):
    chat = world["their_chat"]
    assert api.get(f"/api/chat/chats/{chat.pk}").status_code == 404
    assert api.get(f"/api/chat/chats/{chat.pk}/messages").status_code == 404
    assert api.post(f"/api/chat/chats/{chat.pk}/send", {"text": "hi"}, format="json").status_code == 404
    assert api.post(f"/api/chat/chats/{chat.pk}/read").status_code == 404
    assert api.patch(f"/api/chat/chats/{chat.pk}", {"status": "resolved"}, format="json").status_code == 404
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN
    assert not Message.objects.filter(chat=chat).exists()


@pytest.mark.django_db
def test_token_auth_and_session_csrf(world, agent):
    anonymous = APIClient()
    assert anonymous.get("/api/chat/chats").status_code in (401, 403)
    token = Token.objects.create(user=agent)
    with_token = APIClient()
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert with_token.get("/api/chat/chats").status_code == 200
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(agent)
    chat = world["ozon_chat"]
    assert session.post(f"/api/chat/chats/{chat.pk}/send", {"text": "x"}, format="json").status_code == 403
    assert not Message.objects.filter(chat=chat, direction="out").exists()


@pytest.mark.django_db
def test_accounts_list_never_returns_credentials(api, world):
    response = api.get("/api/chat/accounts")
    assert response.status_code == 200
    assert [account["name"] for account in response.data] == ["Ozon main", "WB"]
    assert "credentials" not in response.data[0]
    assert "api_key" not in str(response.content)
    assert set(response.data[0]["sync"]) >= {"last_success_at", "consecutive_failures", "last_error"}


@pytest.fixture
def admin_api(db) -> tuple[APIClient, User]:
    user = User.objects.create_user("admin-agent", password="x-password-123")
    user.user_permissions.add(Permission.objects.get(codename="add_marketplaceaccount"))
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    return client, user


@pytest.mark.django_db
def test_create_account(admin_api, monkeypatch):
    monkeypatch.setattr("accounts.services.registry.credentials_check", lambda **kwargs: None)
    client, user = admin_api
    response = client.post(
        "/api/chat/accounts",
        {
            "marketplace": "ozon",
            "name": "New",
            "credentials": {"client_id": "42", "api_key": "5ecre7ke-0123-4567-89ab-cdef01234567"},
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert "credentials" not in response.data
    assert "5ecre7ke-0123-4567-89ab-cdef01234567" not in str(response.content)
    account = MarketplaceAccount.objects.get(pk=response.data["id"])
    assert list(account.members.all()) == [user]
    assert account.credentials["api_key"] == "5ecre7ke-0123-4567-89ab-cdef01234567"


@pytest.mark.django_db
def test_create_account_errors(admin_api, api, monkeypatch):
    client, _user = admin_api
    bad_shape = client.post(
        "/api/chat/accounts",
        {"marketplace": "ozon", "name": "X", "credentials": {"client_id": "42"}},
        format="json",
    )
    assert bad_shape.status_code == 400
    assert "api_key" in bad_shape.data

    def refuse(**kwargs):
        raise AuthError("Ozon не принял Client-Id и API-ключ.")

    monkeypatch.setattr("accounts.services.registry.credentials_check", refuse)
    refused = client.post(
        "/api/chat/accounts",
        {
            "marketplace": "ozon",
            "name": "X",
            "credentials": {"client_id": "42", "api_key": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.data == {"detail": "Ozon не принял Client-Id и API-ключ."}
    forbidden = api.post(
        "/api/chat/accounts",
        {
            "marketplace": "ozon",
            "name": "X",
            "credentials": {"client_id": "42", "api_key": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
        },
        format="json",
    )
    assert forbidden.status_code == 403
    assert not MarketplaceAccount.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_schema_and_docs_are_served_locally(client, agent):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/chat/chats/{chat_id}/send" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"static/drf_spectacular_sidecar/swagger-ui-dist" in docs.content
    assert b"cdn" not in docs.content.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_api_lists_use_a_constant_number_of_queries(make_account, agent, django_assert_num_queries, size):
    account = make_account("ozon", members=[agent])
    now = timezone.now()
    chats = Chat.objects.bulk_create(
        Chat(
            account=account,
            external_id=str(index),
            last_message_at=now - timedelta(seconds=index),
            assignee=agent,
        )
        for index in range(size)
    )
    Message.objects.bulk_create(
        Message(
            chat=chats[0], direction="in", author="buyer", text="x", created_at=now - timedelta(seconds=index)
        )
        for index in range(size)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    # token + user, permissions x2, one page of chats
    with django_assert_num_queries(4):
        assert client.get("/api/chat/chats?limit=200").status_code == 200
    # token + user, permissions x2, chat, one page of messages
    with django_assert_num_queries(5):
        assert client.get(f"/api/chat/chats/{chats[0].pk}/messages?limit=200").status_code == 200
    # token + user, permissions x2, accounts with sync state
    with django_assert_num_queries(4):
        assert client.get("/api/chat/accounts").status_code == 200


@pytest.mark.django_db
def test_send_refuses_a_phone_number_and_queues_nothing(api, world):
    chat = world["ozon_chat"]
    text = "Позвоните нам: 8 916 123-45-67"
    response = api.post(f"/api/chat/chats/{chat.pk}/send", {"text": text}, format="json")
    assert response.status_code == 400
    [violation] = response.data["compliance"]
    assert violation["rule"] == "contact_phone" and violation["severity"] == "block"
    assert text[violation["start"] : violation["end"]] == "8 916 123-45-67"
    overridden = api.post(
        f"/api/chat/chats/{chat.pk}/send", {"text": text, "override_warnings": True}, format="json"
    )
    assert overridden.status_code == 400  # the override never lifts a block
    assert not Message.objects.filter(chat=chat, direction="out").exists()


@pytest.mark.django_db
def test_a_warning_passes_only_with_override(api, world):
    chat = world["ozon_chat"]
    text = "Честно говоря, на Wildberries доставка ужасная, а у нас всё быстро."
    refused = api.post(f"/api/chat/chats/{chat.pk}/send", {"text": text}, format="json")
    assert refused.status_code == 400
    assert {v["severity"] for v in refused.data["compliance"]} == {"warn"}
    sent = api.post(
        f"/api/chat/chats/{chat.pk}/send", {"text": text, "override_warnings": True}, format="json"
    )
    assert sent.status_code == 202


@pytest.mark.django_db
def test_can_reply_and_sla_state_follow_the_clock_before_the_minute_task(
    api, agent, make_account, make_chat, monkeypatch
):
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start)
    chat = make_chat(make_account("ozon", members=[agent]), external_id="c1")
    buyer_wrote = start - timedelta(minutes=30)
    question = RemoteMessage(
        chat_external_id="c1", external_id="1", author=Author.BUYER, text="Где заказ?", created_at=buyer_wrote
    )
    with transaction.atomic():
        page_apply(account=chat.account, page=UpdatesPage(messages=(question,)), mode=IngestMode.INCREMENTAL)

    def window(shown: dict) -> tuple:
        closes_at = datetime.fromisoformat(shown["reply_window_closes_at"])
        return shown["can_reply"], shown["sla_state"], closes_at - buyer_wrote

    assert window(api.get(f"/api/chat/chats/{chat.pk}").json()) == (True, "ok", timedelta(hours=48))

    # The window closed a few seconds ago; the minute task has not stored it yet.
    monkeypatch.setattr(timezone, "now", lambda: buyer_wrote + timedelta(hours=48, seconds=5))
    assert Chat.objects.filter(pk=chat.pk, can_reply=True, sla_state="ok").exists()

    detail = api.get(f"/api/chat/chats/{chat.pk}").json()
    listed = api.get("/api/chat/chats").json()["results"][0]
    refused = api.post(f"/api/chat/chats/{chat.pk}/send", {"text": "Добрый день!"}, format="json")

    assert window(detail) == window(listed) == (False, "closed", timedelta(hours=48))
    assert refused.status_code == 400
