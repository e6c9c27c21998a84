"""POST /api/chat/compliance/check (DESIGN.md §9b, §14): membership, 400s, chat wins over marketplace."""

import pytest
from rest_framework.test import APIClient

from assist.services import compliance_settings_update

URL = "/api/chat/compliance/check"
PHONE_TEXT = "Звоните 8 916 123-45-67"
PHONE_VIOLATION = {
    "rule": "contact_phone",
    "severity": "block",
    "message": "Номера телефонов нельзя отправлять покупателям",
    "start": 8,
    "end": 23,
}

CHAT_OR_MARKETPLACE = "Укажите ID чата или маркетплейс."

pytestmark = pytest.mark.django_db


def test_marketplace_form_answers_the_check(api: APIClient) -> None:
    response = api.post(URL, {"text": PHONE_TEXT, "marketplace": "ozon"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"allowed": False, "violations": [PHONE_VIOLATION]}


def test_clean_text_is_allowed(api: APIClient) -> None:
    response = api.post(URL, {"text": "Заказ 4823991057 передан в доставку", "marketplace": "wildberries"})
    assert response.status_code == 200
    assert response.json() == {"allowed": True, "violations": []}


def test_chat_of_a_member_uses_its_marketplace(api: APIClient, agent, make_account, make_chat) -> None:
    chat = make_chat(make_account("wildberries", members=[agent]))
    response = api.post(URL, {"text": "Спасибо!", "chat": chat.pk}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "allowed": True,
        "violations": [
            {
                "rule": "too_short",
                "severity": "warn",
                "message": "Маркетплейс запрещает ответы из одного слова",
                "start": 0,
                "end": 8,
            }
        ],
    }


def test_chat_wins_over_marketplace(api: APIClient, agent, make_account, make_chat) -> None:
    chat = make_chat(make_account("wildberries", members=[agent]))
    body = {"text": "Подробнее на ozon.ru", "chat": chat.pk, "marketplace": "ozon"}
    response = api.post(URL, body, format="json")
    assert response.status_code == 200
    assert [(item["rule"], item["start"], item["end"]) for item in response.json()["violations"]] == [
        ("contact_link", 13, 20)
    ]


def test_account_switches_apply_to_the_chat_form_only(api: APIClient, agent, make_account, make_chat) -> None:
    account = make_account("ozon", members=[agent])
    compliance_settings_update(account=account, disabled_rules={"contact_phone"}, changed_by=agent)
    chat = make_chat(account)
    by_chat = api.post(URL, {"text": PHONE_TEXT, "chat": chat.pk}, format="json")
    assert by_chat.json() == {"allowed": True, "violations": []}
    by_marketplace = api.post(URL, {"text": PHONE_TEXT, "marketplace": "ozon"}, format="json")
    assert by_marketplace.json() == {"allowed": False, "violations": [PHONE_VIOLATION]}


def test_chat_of_another_account_is_404(api: APIClient, other_agent, make_account, make_chat) -> None:
    chat = make_chat(make_account("ozon", members=[other_agent]))
    response = api.post(URL, {"text": PHONE_TEXT, "chat": chat.pk}, format="json")
    assert response.status_code == 404
    assert "violations" not in response.json()


def test_unknown_chat_is_404(api: APIClient) -> None:
    assert api.post(URL, {"text": "Добрый день", "chat": 999_999}, format="json").status_code == 404


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"marketplace": "ozon"}, {"text": ["Обязательное поле."]}),
        (
            {"text": "Добрый день"},
            {
                "chat": ["Укажите ID чата или маркетплейс."],
                "marketplace": ["Укажите ID чата или маркетплейс."],
            },
        ),
        (
            {"text": "Добрый день", "marketplace": "aliexpress"},
            {"marketplace": ["Значения aliexpress нет среди допустимых вариантов."]},
        ),
        ({"text": "Добрый день", "chat": "abc"}, {"chat": ["Введите правильное число."]}),
        ({"text": 42, "chat": 0}, {"chat": ["Убедитесь, что это значение больше либо равно 1."]}),
    ],
)
def test_bad_input_is_400_with_field_errors(api: APIClient, body: dict, errors: dict) -> None:
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors


def test_whitespace_is_kept_and_reported_as_empty(api: APIClient) -> None:
    response = api.post(URL, {"text": "  \n ", "marketplace": "yandex_market"}, format="json")
    assert response.status_code == 200
    assert response.json()["violations"] == [
        {"rule": "empty", "severity": "block", "message": "Текст пустой", "start": 0, "end": 4}
    ]


def test_anonymous_is_refused(db) -> None:
    response = APIClient().post(URL, {"text": PHONE_TEXT, "marketplace": "ozon"}, format="json")
    assert response.status_code in {401, 403}


def test_endpoint_is_in_the_openapi_schema(api: APIClient) -> None:
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/chat/compliance/check"]["post"]
    assert operation["operationId"] == "compliance_check"
    schema = response.json()["components"]["schemas"]["ComplianceCheckResponse"]
    assert set(schema["properties"]) == {"allowed", "violations"}


def test_a_text_far_over_every_limit_is_answered_too_long_not_refused(api: APIClient) -> None:
    text = "Здравствуйте! " * 3_000  # 42,000 characters
    response = api.post(URL, {"text": text, "marketplace": "ozon"}, format="json")
    assert response.status_code == 200
    assert response.json()["allowed"] is False
    assert [violation["rule"] for violation in response.json()["violations"]] == ["too_long"]
    assert response.json()["violations"][0]["end"] == len(text)
