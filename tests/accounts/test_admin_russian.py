"""Admin in Russian: branding, plural forms, translated columns, only the chosen marketplace's fields."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncRun
from inbox.models import Message, StoredAttachment
from tests.conftest import CREDENTIALS

CREDENTIAL_INPUT_NAMES = {
    "wildberries": ["wildberries_token"],
    "ozon": ["ozon_client_id", "ozon_api_key"],
    "yandex_market": ["yandex_market_api_key", "yandex_market_business_id"],
}


@pytest.fixture
def root_client(client, db):
    User.objects.create_superuser("root", "root@example.com", "root-password-123")
    # force_login: django-axes needs the request that Client.login does not pass to authenticate().
    client.force_login(User.objects.get(username="root"))
    return client


def input_names(html: str) -> set[str]:
    return set(re.findall(r'<input[^>]*\bname="([a-z_]+)"', html))


def credential_inputs_in(html: str) -> list[str]:
    names = input_names(html)
    return sorted(name for names_ in CREDENTIAL_INPUT_NAMES.values() for name in names_ if name in names)


@pytest.mark.django_db
def test_admin_is_branded(root_client):
    html = root_client.get(reverse("admin:index")).content.decode()
    assert "<title>Администрирование | Chat Center — администрирование</title>" in html
    assert '<a href="/admin/">Chat Center — администрирование</a>' in html
    assert "Администрирование Django" not in html
    assert "Django administration" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("count", "text"),
    [
        (1, "1 кабинет маркетплейса"),
        (3, "3 кабинета маркетплейсов"),
        (5, "5 кабинетов маркетплейсов"),
        (21, "21 кабинет маркетплейса"),
    ],
)
def test_account_count_uses_russian_plural_forms(root_client, make_account, count, text):
    for number in range(count):
        make_account("ozon", name=f"Кабинет {number}")
    html = root_client.get(reverse("admin:accounts_marketplaceaccount_changelist")).content.decode()
    paginator = re.search(r'<p class="paginator">(.*?)</p>', html, re.S).group(1)
    assert " ".join(paginator.split()) == text


@pytest.mark.django_db
def test_chat_and_sync_run_counts_use_russian_plural_forms(root_client, make_account, make_chat):
    account = make_account("ozon")
    for _number in range(2):
        make_chat(account)
        SyncRun.objects.create(account=account)
    for name, text in (
        ("admin:inbox_chat_changelist", "2 чата"),
        ("admin:accounts_syncrun_changelist", "2 синхронизации"),
    ):
        html = root_client.get(reverse(name)).content.decode()
        paginator = re.search(r'<p class="paginator">(.*?)</p>', html, re.S).group(1)
        assert " ".join(paginator.split()) == text


@pytest.mark.django_db
def test_sync_runs_columns_and_filters_are_russian(root_client, make_account):
    account = make_account("ozon", name="Озон")
    SyncRun.objects.create(
        account=account, outcome="success", pages=3, messages_created=7, finished_at=timezone.now()
    )
    html = root_client.get(reverse("admin:accounts_syncrun_changelist")).content.decode()
    table_head = re.search(r'<table id="result_list">.*?</thead>', html, re.S).group(0)
    headers = [
        " ".join(re.sub(r"<[^>]+>", " ", header).split())
        for header in re.findall(r'<th scope="col".*?</th>', table_head, re.S)
    ]
    assert headers[1:] == [
        "Кабинет маркетплейса",
        "Тип",
        "Результат",
        "Начало",
        "Окончание",
        "Страниц",
        "Новых сообщений",
        "Ошибка",
    ]
    filters = re.findall(r'data-filter-title="([^"]+)"', html)
    assert filters == ["тип", "результат", "маркетплейс"]
    assert '<td class="field-outcome_column">успешно</td>' in html


@pytest.mark.django_db
def test_sync_state_inline_is_russian(root_client, make_account):
    account = make_account("ozon")
    html = root_client.get(
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk])
    ).content.decode()
    assert "Загрузка истории завершена" in html
    assert f"синхронизация кабинета {account.pk}" in html
    assert "Backfill" not in html
    assert "sync of" not in html


@pytest.mark.django_db
def test_add_page_asks_for_the_marketplace_first(root_client):
    html = root_client.get(reverse("admin:accounts_marketplaceaccount_add")).content.decode()
    links = re.findall(r'<a class="addlink" href="\?marketplace=([a-z_]+)">([^<]+)</a>', html)
    assert links == [("wildberries", "Wildberries"), ("ozon", "Ozon"), ("yandex_market", "Яндекс Маркет")]
    assert credential_inputs_in(html) == []


@pytest.mark.django_db
@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_add_form_shows_only_the_chosen_marketplaces_fields(root_client, marketplace):
    url = reverse("admin:accounts_marketplaceaccount_add") + f"?marketplace={marketplace}"
    html = root_client.get(url).content.decode()
    assert credential_inputs_in(html) == sorted(CREDENTIAL_INPUT_NAMES[marketplace])
    assert '<a href="?">Выбрать другой маркетплейс</a>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_change_form_shows_only_the_accounts_marketplace_fields(root_client, make_account, marketplace):
    account = make_account(marketplace)
    html = root_client.get(
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk])
    ).content.decode()
    assert credential_inputs_in(html) == sorted(CREDENTIAL_INPUT_NAMES[marketplace])


@pytest.mark.django_db
def test_the_second_step_validates_only_the_chosen_marketplace(root_client):
    url = reverse("admin:accounts_marketplaceaccount_add") + "?marketplace=ozon"
    response = root_client.post(
        url,
        {
            # A browser does not send the disabled marketplace select; a forged value is ignored.
            "marketplace": "wildberries",
            "name": "Озон",
            "is_active": "on",
            "ozon_client_id": "123456",
            "ozon_api_key": CREDENTIALS["ozon"]["api_key"],
            "wildberries_token": "ignored",
            "skip_check": "on",
        },
    )
    assert response.status_code == 302
    account = MarketplaceAccount.objects.get()
    assert (account.marketplace, account.credentials) == ("ozon", CREDENTIALS["ozon"])

    missing = root_client.post(
        url, {"name": "Без ключа", "is_active": "on", "ozon_client_id": "1", "skip_check": "on"}
    )
    assert missing.status_code == 200
    html = missing.content.decode()
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    assert [re.sub(r"<[^>]+>", "", error).strip() for error in errors] == ["Обязательное поле."]
    assert 'id="id_ozon_api_key_error"' in html
    assert MarketplaceAccount.objects.count() == 1


@pytest.mark.django_db
@override_settings(PUBLIC_BASE_URL="http://127.0.0.1:18677")
@pytest.mark.parametrize(("marketplace", "route"), [("ozon", "ozon"), ("yandex_market", "yandex-market")])
def test_push_url_is_built_from_public_base_url(root_client, make_account, marketplace, route):
    account = make_account(marketplace)
    html = root_client.get(
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk])
    ).content.decode()
    assert f"<code>http://127.0.0.1:18677/hooks/{route}/{account.webhook_secret}/</code>" in html


@pytest.mark.django_db
def test_wildberries_has_no_push_url(root_client, make_account):
    account = make_account("wildberries")
    html = root_client.get(
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk])
    ).content.decode()
    assert account.webhook_secret not in html


# Names and values that are the same in every language.
NOT_LABELS = {
    "Ozon",
    "Wildberries",
    "Django Q",
    "SHA-256:",
    "Api-Key:",
    "Client-Id:",
    "root",
    "ozon cabinet",
    "Ozon: ozon cabinet",
}


@pytest.mark.django_db
def test_admin_pages_have_no_english_labels(root_client, make_account, make_chat):
    account = make_account("ozon")
    chat = make_chat(account)
    message = Message.objects.create(
        chat=chat,
        external_id="m-1",
        direction="in",
        author="buyer",
        created_at=timezone.now(),
        text="Здравствуйте",
    )
    stored = StoredAttachment.objects.create(message=message, index=0, name="фото.png")
    run = SyncRun.objects.create(account=account, outcome="success")
    pages = [
        reverse("admin:index"),
        reverse("admin:accounts_marketplaceaccount_changelist"),
        reverse("admin:accounts_marketplaceaccount_change", args=[account.pk]),
        reverse("admin:accounts_marketplaceaccount_add"),
        reverse("admin:accounts_marketplaceaccount_add") + "?marketplace=ozon",
        reverse("admin:accounts_syncrun_changelist"),
        reverse("admin:accounts_syncrun_change", args=[run.pk]),
        reverse("admin:inbox_chat_changelist"),
        reverse("admin:inbox_chat_change", args=[chat.pk]),
        reverse("admin:inbox_message_changelist"),
        reverse("admin:inbox_message_change", args=[message.pk]),
        reverse("admin:inbox_storedattachment_changelist"),
        reverse("admin:inbox_storedattachment_change", args=[stored.pk]),
    ]
    english = {}
    for page in pages:
        response = root_client.get(page)
        assert response.status_code == 200, page
        html = re.sub(r"<(script|svg|style)\b.*?</\1>", "", response.content.decode(), flags=re.S)
        texts = re.findall(r">([^<>]*[A-Za-z][^<>]*)<", html) + re.findall(
            r'data-filter-title="([^"]*)"', html
        )
        found = {
            text.strip()
            for text in texts
            if not re.search(r"[А-Яа-яЁё]", text)
            and text.strip() not in NOT_LABELS
            and not text.strip().startswith(("http://", "&rsaquo;"))
            and not re.fullmatch(r"[\w-]+", text.strip())  # ids and webhook secrets
        }
        if found:
            english[page] = sorted(found)
    assert english == {}


@pytest.mark.django_db
def test_bulk_delete_reports_the_count_in_the_right_plural_form(root_client, make_account):
    accounts = [make_account("ozon", name=f"Кабинет {number}") for number in range(3)]
    changelist = reverse("admin:accounts_marketplaceaccount_changelist")
    confirmation = root_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [account.pk for account in accounts]}
    )
    assert confirmation.status_code == 200
    assert MarketplaceAccount.objects.count() == 3
    response = root_client.post(
        changelist,
        {
            "action": "delete_selected",
            "_selected_action": [account.pk for account in accounts],
            "post": "yes",
        },
        follow=True,
    )
    assert [str(message) for message in response.context["messages"]] == [
        "Удалено: 3 кабинета маркетплейсов."
    ]
    assert MarketplaceAccount.objects.count() == 0


@pytest.mark.django_db
def test_third_party_sections_of_the_admin_have_russian_names(root_client):
    html = root_client.get(reverse("admin:index")).content.decode()
    sections = re.findall(r'<a href="/admin/[a-z_]+/" class="section"[^>]*>([^<]+)</a>', html)
    assert {"Фоновые задачи", "Попытки входа", "Двухфакторная аутентификация"} <= set(sections)
    assert not {"Django Q", "Axes", "Otp_Totp", "OTP_TOTP"} & set(sections)
