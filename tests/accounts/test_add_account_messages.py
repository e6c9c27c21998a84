"""add_account speaks one language, labels its lines and tells a refusal from an unreachable marketplace."""

import json

import pytest
import requests
import responses
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import translation

from accounts.models import MarketplaceAccount
from tests.accounts.test_add_account import run_add_account
from tests.conftest import CREDENTIALS

OZON_CHAT_LIST = "https://api-seller.ozon.ru/v3/chat/list"


@pytest.mark.django_db
@override_settings(PUBLIC_BASE_URL="http://127.0.0.1:18642/")
def test_success_prints_labelled_lines_with_the_push_url_from_public_base_url():
    output, errors = run_add_account(
        json.dumps(CREDENTIALS["ozon"]), "--marketplace", "ozon", "--name", "Озон", "--no-check"
    )
    account = MarketplaceAccount.objects.get()
    assert output == f"{account.pk}\n"
    assert errors.splitlines() == [
        "Кабинет подключён.",
        f"ID: {account.pk}",
        "Название: Озон",
        "Маркетплейс: Ozon",
        f"Адрес для push-уведомлений: http://127.0.0.1:18642/hooks/ozon/{account.webhook_secret}/",
    ]


@pytest.mark.django_db
def test_a_marketplace_without_pushes_prints_no_push_line():
    _output, errors = run_add_account(
        json.dumps(CREDENTIALS["wildberries"]), "--marketplace", "wildberries", "--name", "WB", "--no-check"
    )
    assert [line for line in errors.splitlines() if "push" in line] == []
    assert len(errors.splitlines()) == 4


@pytest.mark.django_db
def test_english_locale_prints_english_only():
    with translation.override("en"):
        _output, errors = run_add_account(
            json.dumps(CREDENTIALS["ozon"]), "--marketplace", "ozon", "--name", "O", "--no-check"
        )
        with pytest.raises(CommandError) as raised:
            run_add_account('{"client_id": "123"}', "--marketplace", "ozon", "--name", "X", "--no-check")
    assert errors.splitlines()[0] == "Account connected."
    assert str(raised.value) == "The credentials are invalid:\n  Api-Key (api_key): This field is required."


@responses.activate
@pytest.mark.django_db
def test_a_refusal_says_the_credentials_were_refused():
    responses.post(
        OZON_CHAT_LIST, status=401, json={"code": 16, "message": "Invalid Api-Key, please check the key"}
    )
    with pytest.raises(CommandError) as raised:
        run_add_account(json.dumps(CREDENTIALS["ozon"]), "--marketplace", "ozon", "--name", "O")
    assert raised.value.returncode == 2
    assert str(raised.value).startswith("Маркетплейс не принял ключи доступа: ")
    assert "Invalid Api-Key, please check the key" in str(raised.value)
    assert "--no-check" not in str(raised.value)
    assert MarketplaceAccount.objects.count() == 0


@responses.activate
@pytest.mark.django_db
def test_a_network_failure_says_the_marketplace_was_not_reached_and_hints_no_check():
    responses.post(OZON_CHAT_LIST, body=requests.ConnectionError("connection refused"))
    with pytest.raises(CommandError) as raised:
        run_add_account(json.dumps(CREDENTIALS["ozon"]), "--marketplace", "ozon", "--name", "O")
    message = str(raised.value)
    assert raised.value.returncode == 2
    assert message.startswith("Не удалось связаться с маркетплейсом, чтобы проверить ключи доступа: ")
    assert "не принял" not in message
    assert message.endswith("или добавьте кабинет с --no-check — ключи проверит первая синхронизация.")
    assert MarketplaceAccount.objects.count() == 0
