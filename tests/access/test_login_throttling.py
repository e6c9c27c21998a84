import pytest
from django.contrib.auth.models import User
from django.test import Client

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str, address: str = "203.0.113.5"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_lock_the_user_out(settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user("olga", password="correct-horse-battery")
    client = Client()
    assert [_login(client, "olga", "wrong").status_code for _ in range(3)] == [200, 200, 429]
    # Locked by user name: the right password from another address is refused too.
    locked = _login(client, "olga", "correct-horse-battery", address="198.51.100.7")
    assert locked.status_code == 429
    assert "Слишком много неудачных попыток входа" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # three wrong passwords and the refused attempt while locked
    assert AuditEvent.objects.filter(action="login_failed", actor_name="olga").count() == 4


def test_repeated_failures_lock_the_address_out(settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user("olga", password="correct-horse-battery")
    client = Client()
    for name in ("a1", "a2", "a3"):
        _login(client, name, "wrong", address="203.0.113.9")
    assert _login(client, "olga", "correct-horse-battery", address="203.0.113.9").status_code == 429
    # The same user from another address is not locked by that address's failures.
    assert _login(Client(), "olga", "correct-horse-battery", address="203.0.113.10").status_code == 302


def test_success_resets_the_count(settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user("olga", password="correct-horse-battery")
    for _ in range(2):
        _login(Client(), "olga", "wrong")
    assert _login(Client(), "olga", "correct-horse-battery").status_code == 302
    for _ in range(2):
        _login(Client(), "olga", "wrong")
    assert _login(Client(), "olga", "correct-horse-battery").status_code == 302
    assert AuditEvent.objects.filter(action="login").count() == 2


def test_password_validators_are_on():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("12345678")
    with pytest.raises(ValidationError):
        validate_password("short")
