"""Credential rules read from each marketplace's spec; accounts.credentials only dispatches."""

import pytest
from django.core.exceptions import ValidationError

from accounts import credentials as account_credentials
from marketplaces import registry
from tests.conftest import CREDENTIALS, WILDBERRIES_TEST_TOKEN


def errors_of(marketplace: str, credentials: dict) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        account_credentials.credentials_validate(marketplace=marketplace, credentials=credentials)
    return caught.value.message_dict


def test_real_looking_credentials_pass_and_give_the_cabinet_id() -> None:
    for marketplace, expected_id in (
        ("wildberries", "a1b2c3d4-0000-4000-8000-000000000001"),
        ("ozon", "123456"),
        ("yandex_market", "7654321"),
    ):
        cleaned = account_credentials.credentials_validate(
            marketplace=marketplace, credentials={**CREDENTIALS[marketplace]}
        )
        assert cleaned == CREDENTIALS[marketplace]
        assert account_credentials.credentials_external_id(marketplace=marketplace, credentials=cleaned) == (
            expected_id
        )


def test_a_one_letter_key_is_refused_as_too_short() -> None:
    assert errors_of("ozon", {"client_id": "123456", "api_key": "k"}) == {
        "api_key": ["Слишком короткое значение для настоящего ключа Ozon: нужно хотя бы 36 символов."]
    }
    assert errors_of("yandex_market", {"api_key": "k", "business_id": "7654321"}) == {
        "api_key": ["Слишком короткое значение для настоящего ключа Яндекс Маркет: нужно хотя бы 32 символа."]
    }
    assert errors_of("wildberries", {"token": "k"}) == {
        "token": ["Слишком короткое значение для настоящего ключа Wildberries: нужно хотя бы 100 символов."]
    }


def test_shape_errors_keep_their_field_messages() -> None:
    assert errors_of("ozon", {"client_id": "abc", "api_key": CREDENTIALS["ozon"]["api_key"], "x": "1"}) == {
        "client_id": ["Client-Id Ozon — это число, например 123456."],
        "credentials": ["Лишние ключи: x."],
    }
    not_a_jwt = "x" * 120
    assert errors_of("wildberries", {"token": not_a_jwt}) == {
        "token": ["Это не похоже на API-токен Wildberries (JWT из трёх частей через точку)."]
    }
    assert errors_of("aliexpress", {}) == {
        "marketplace": ["Неизвестный маркетплейс «aliexpress». Допустимые: wildberries, ozon, yandex_market."]
    }


def test_old_import_paths_still_work() -> None:
    assert (account_credentials.WILDBERRIES, account_credentials.OZON, account_credentials.YANDEX_MARKET) == (
        registry.WILDBERRIES,
        registry.OZON,
        registry.YANDEX_MARKET,
    )
    assert account_credentials.CREDENTIAL_FIELDS == {
        "wildberries": ("token",),
        "ozon": ("client_id", "api_key"),
        "yandex_market": ("api_key", "business_id"),
    }
    assert account_credentials.jwt_payload(WILDBERRIES_TEST_TOKEN)["acc"] == 3
