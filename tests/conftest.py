import pytest
from django.contrib.auth.models import User

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat

WILDBERRIES_TEST_TOKEN = (
    # JWT: header . payload (acc=3 personal, s=16126 = every category incl. chat and questions) . sig
    "eyJhbGciOiJFUzI1NiIsImtpZCI6InRlc3QifQ."
    "eyJhY2MiOjMsImV4cCI6MTk1NjUyODAwMCwiaWQiOiIwMTkyYjNhMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDEiLCJzIjoxNjEyNiwic2lkIjoiYTFiMmMzZDQtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAxIiwidCI6ZmFsc2V9."
    "c2lnbmF0dXJl"
)

CREDENTIALS = {
    "wildberries": {"token": WILDBERRIES_TEST_TOKEN},
    "ozon": {"client_id": "123456", "api_key": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
    "yandex_market": {"api_key": "ACMA:testkeytestkeytestkey:0123abcd", "business_id": "7654321"},
}


@pytest.fixture
def make_account(db):
    def factory(marketplace: str = "ozon", name: str = "", members=(), **fields) -> MarketplaceAccount:
        account = MarketplaceAccount.objects.create(
            marketplace=marketplace,
            name=name or f"{marketplace} cabinet",
            credentials=fields.pop("credentials", CREDENTIALS[marketplace]),
            **fields,
        )
        account.members.set(members)
        SyncState.objects.create(account=account)
        return account

    return factory


@pytest.fixture
def make_chat(db):
    counter = {"value": 0}

    def factory(account: MarketplaceAccount, **fields) -> Chat:
        counter["value"] += 1
        fields.setdefault("external_id", f"chat-{counter['value']}")
        fields.setdefault("buyer_name", f"Покупатель {counter['value']}")
        return Chat.objects.create(account=account, **fields)

    return factory


@pytest.fixture
def agent(db) -> User:
    return User.objects.create_user("agent", password="agent-password-123")


@pytest.fixture
def other_agent(db) -> User:
    return User.objects.create_user("other", password="other-password-123")
