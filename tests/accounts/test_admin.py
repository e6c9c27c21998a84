import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.models import MarketplaceAccount
from tests.conftest import CREDENTIALS


@pytest.fixture
def admin_client_logged(client, db):
    # force_login: django-axes needs the request that Client.login does not pass to authenticate().
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-password-123"))
    return client


def all_admin_pages(client, account: MarketplaceAccount) -> str:
    pages = [
        reverse("admin:accounts_marketplaceaccount_changelist"),
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk]),
        reverse("admin:accounts_marketplaceaccount_add"),
        reverse("admin:accounts_marketplaceaccount_history", args=[account.pk]),
        reverse("admin:accounts_marketplaceaccount_delete", args=[account.pk]),
        reverse("admin:accounts_syncrun_changelist"),
        reverse("admin:inbox_chat_changelist"),
    ]
    html = []
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html.append(response.content.decode())
    return "\n".join(html)


@pytest.mark.django_db
@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_credential_values_never_appear_in_admin_html(admin_client_logged, make_account, marketplace):
    account = make_account(marketplace)
    html = all_admin_pages(admin_client_logged, account)
    secrets = {"wildberries": ["token"], "ozon": ["api_key"], "yandex_market": ["api_key"]}[marketplace]
    for key in secrets:
        value = CREDENTIALS[marketplace][key]
        for fragment in (value, value[:12], value[-12:]):
            assert fragment not in html


@pytest.mark.django_db
def test_admin_adds_an_account_end_to_end(admin_client_logged, agent):
    response = admin_client_logged.post(
        reverse("admin:accounts_marketplaceaccount_add"),
        {
            "name": "Озон основной",
            "marketplace": "ozon",
            "is_active": "on",
            "members": [agent.pk],
            "ozon_client_id": "123456",
            "ozon_api_key": CREDENTIALS["ozon"]["api_key"],
            "skip_check": "on",
        },
    )
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "error" in line.lower()
    ]
    account = MarketplaceAccount.objects.get()
    assert account.credentials == CREDENTIALS["ozon"]
    assert account.external_id == "123456"
    assert list(account.members.all()) == [agent]
    assert hasattr(account, "sync_state")


@pytest.mark.django_db
def test_admin_add_shows_field_errors_and_saves_nothing(admin_client_logged):
    response = admin_client_logged.post(
        reverse("admin:accounts_marketplaceaccount_add"),
        {
            "name": "Яндекс",
            "marketplace": "yandex_market",
            "yandex_market_api_key": "ACMA:secret-value-123",
            "yandex_market_business_id": "not-a-number",
            "skip_check": "on",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "ID кабинета Яндекс Маркета — это число" in html
    assert "secret-value-123" not in html
    assert MarketplaceAccount.objects.count() == 0


@pytest.mark.django_db
def test_saving_with_blank_secret_keeps_the_stored_one(admin_client_logged, make_account):
    account = make_account("ozon", name="Старое имя")
    response = admin_client_logged.post(
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk]),
        {
            "name": "Новое имя",
            "is_active": "on",
            "ozon_client_id": "123456",
            "ozon_api_key": "",
            "skip_check": "on",
            "sync_state-TOTAL_FORMS": "1",
            "sync_state-INITIAL_FORMS": "1",
            "sync_state-MIN_NUM_FORMS": "0",
            "sync_state-MAX_NUM_FORMS": "1",
            "sync_state-0-account": str(account.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    account.refresh_from_db()
    assert account.name == "Новое имя"
    assert account.credentials == CREDENTIALS["ozon"]


@pytest.mark.django_db
def test_typing_a_new_secret_replaces_the_stored_one(admin_client_logged, make_account):
    account = make_account("ozon")
    admin_client_logged.post(
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk]),
        {
            "name": account.name,
            "is_active": "on",
            "ozon_client_id": "123456",
            "ozon_api_key": "11111111-2222-3333-4444-555555555555",
            "skip_check": "on",
            "sync_state-TOTAL_FORMS": "1",
            "sync_state-INITIAL_FORMS": "1",
            "sync_state-MIN_NUM_FORMS": "0",
            "sync_state-MAX_NUM_FORMS": "1",
            "sync_state-0-account": str(account.pk),
        },
    )
    account.refresh_from_db()
    assert account.credentials == {"client_id": "123456", "api_key": "11111111-2222-3333-4444-555555555555"}
