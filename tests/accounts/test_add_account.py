import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import MarketplaceAccount, SyncState
from tests.conftest import CREDENTIALS


def run_add_account(stdin_text: str, *args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    import sys

    original = sys.stdin
    sys.stdin = io.StringIO(stdin_text)
    try:
        call_command("add_account", *args, stdout=stdout, stderr=stderr)
    finally:
        sys.stdin = original
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_add_account_happy_path_per_marketplace(marketplace, agent):
    output, errors = run_add_account(
        json.dumps(CREDENTIALS[marketplace]),
        "--marketplace",
        marketplace,
        "--name",
        "Основной кабинет",
        "--member",
        "agent",
        "--no-check",
    )
    account = MarketplaceAccount.objects.get()
    label = {"wildberries": "Wildberries", "ozon": "Ozon", "yandex_market": "Яндекс Маркет"}[marketplace]
    # Standard output is the id alone (DESIGN.md §9: "prints the new id"), for scripts.
    assert output == f"{account.pk}\n"
    assert errors.splitlines()[:4] == [
        "Кабинет подключён.",
        f"ID: {account.pk}",
        "Название: Основной кабинет",
        f"Маркетплейс: {label}",
    ]
    assert account.marketplace == marketplace
    assert account.name == "Основной кабинет"
    assert account.credentials == CREDENTIALS[marketplace]
    assert list(account.members.all()) == [agent]
    assert SyncState.objects.filter(account=account).exists()
    for secret in CREDENTIALS[marketplace].values():
        if len(secret) > 10:
            assert secret not in output + errors


@pytest.mark.django_db
def test_add_account_sets_the_non_secret_external_id():
    run_add_account(json.dumps(CREDENTIALS["ozon"]), "--marketplace", "ozon", "--name", "O", "--no-check")
    run_add_account(
        json.dumps(CREDENTIALS["yandex_market"]),
        "--marketplace",
        "yandex_market",
        "--name",
        "Y",
        "--no-check",
    )
    assert sorted(MarketplaceAccount.objects.values_list("external_id", flat=True)) == ["123456", "7654321"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stdin_text", "args", "expected"),
    [
        (
            "{not json",
            ["--marketplace", "ozon"],
            "Ключи доступа — некорректный JSON: Expecting property name",
        ),
        ("", ["--marketplace", "ozon"], "На стандартном вводе нет ключей доступа"),
        (
            '{"client_id": "123"}',
            ["--marketplace", "ozon"],
            "Ключи доступа не прошли проверку:\n  Api-Key (api_key): Обязательное поле.",
        ),
        (
            '{"api_key": "k", "business_id": "abc"}',
            ["--marketplace", "yandex_market"],
            "ID кабинета (businessId): ID кабинета Яндекс Маркета — это число",
        ),
        (
            '{"token": "not-a-jwt-' + "x" * 100 + '"}',
            ["--marketplace", "wildberries"],
            "API-токен (token): Это не похоже на API-токен Wildberries",
        ),
        (
            '{"token": "not-a-jwt"}',
            ["--marketplace", "wildberries"],
            "API-токен (token): Слишком короткое значение",
        ),
        ('["token"]', ["--marketplace", "wildberries"], "JSON-объектом"),
        ('{"token": "x"}', ["--marketplace", "aliexpress"], "Неизвестный маркетплейс «aliexpress»"),
        (
            json.dumps(CREDENTIALS["ozon"]),
            ["--marketplace", "ozon", "--member", "ghost"],
            "Неизвестные пользователи: ghost.",
        ),
    ],
)
def test_add_account_rejects_bad_input_with_exit_code_2_and_saves_nothing(stdin_text, args, expected):
    with pytest.raises(CommandError) as raised:
        run_add_account(stdin_text, *args, "--name", "X", "--no-check")
    assert raised.value.returncode == 2
    assert expected in str(raised.value)
    assert MarketplaceAccount.objects.count() == 0
    assert SyncState.objects.count() == 0


def test_add_account_exits_2_as_a_process(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "add_account", "--marketplace", "ozon", "--name", "X", "--no-check"],
        input="{broken",
        capture_output=True,
        text=True,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Ключи доступа — некорректный JSON" in result.stderr
