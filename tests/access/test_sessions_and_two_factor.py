import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from access.middleware import SESSION_SEEN, SESSION_STARTED
from access.services import api_token_create

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def test_idle_session_ends(settings, agent):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 60
    client = Client()
    client.force_login(agent)
    assert client.get("/inbox/").status_code == 200
    session = client.session
    session[SESSION_SEEN] = time.time() - 120
    session.save()
    response = client.get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/inbox/").status_code == 302


def test_session_lifetime_ends_even_when_active(settings, agent):
    settings.SESSION_ABSOLUTE_LIFETIME_SECONDS = 3600
    client = Client()
    client.force_login(agent)
    client.get("/inbox/")
    session = client.session
    session[SESSION_STARTED] = time.time() - 3601
    session.save()
    assert client.get("/inbox/").status_code == 302


def test_enrol_and_verify_totp(agent, settings):
    # django-otp delays the next try after a wrong code; the test does not wait for it.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client = Client()
    client.force_login(agent)
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert (
        client.post(
            "/account/two-factor/", {"code": "000000" if _code(device) != "000000" else "111111"}
        ).status_code
        == 200
    )
    assert not TOTPDevice.objects.filter(user=agent, confirmed=True).exists()
    assert client.post("/account/two-factor/", {"code": _code(device)}).status_code == 302
    assert TOTPDevice.objects.filter(user=agent, confirmed=True).exists()
    # A new session must give the code after the password.
    fresh = Client()
    fresh.force_login(agent)
    blocked = fresh.get("/inbox/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/account/two-factor/verify/")
    assert fresh.get("/api/chat/chats").status_code == 403
    wrong = fresh.post("/account/two-factor/verify/?next=/inbox/", {"code": "12345"})
    assert wrong.status_code == 200
    device.refresh_from_db()
    # The enrolment used this time step's code and a code is never accepted twice: use the next step's.
    ok = fresh.post("/account/two-factor/verify/", {"code": _code(device, offset=1), "next": "/inbox/"})
    assert ok.status_code == 302 and ok["Location"] == "/inbox/"
    assert fresh.get("/inbox/").status_code == 200
    assert fresh.get("/api/chat/chats").status_code == 200


def test_verify_never_redirects_off_site(agent):
    device = TOTPDevice.objects.create(user=agent, confirmed=True, name="app")
    client = Client()
    client.force_login(agent)
    response = client.post(
        "/account/two-factor/verify/", {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_superusers_must_enrol_when_required(settings):
    settings.REQUIRE_2FA_FOR_ADMINS = True
    boss = User.objects.create_superuser("boss", password="boss-password-123")
    client = Client()
    client.force_login(boss)
    for path in ("/inbox/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/two-factor/"
    assert client.get("/account/two-factor/").status_code == 200
    settings.REQUIRE_2FA_FOR_ADMINS = False
    assert client.get("/inbox/").status_code == 200


API_PATHS = (
    "/api/chat/chats",
    "/api/chat/accounts",
    "/api/chat/templates",
    "/api/chat/me/notifications",
    "/api/chat/reports/response-times?from=2026-11-01&to=2026-11-30&group_by=day",
)
CODE_OWED = "Сначала введите код из приложения-аутентификатора: вход ещё не завершён."
ENROLMENT_OWED = (
    "Сначала настройте двухфакторную аутентификацию: администраторам на этом сервере она обязательна."
)


def _password_only_login(user: User) -> Client:
    """A session after the password step, as the login page leaves it (the login signal decides the step)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(user)
    return client


def test_api_refuses_a_session_that_still_owes_the_code(agent, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDevice.objects.create(user=agent, confirmed=True, name="app")
    client = _password_only_login(agent)
    for path in API_PATHS:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json() == {"detail": CODE_OWED}, path
    refused = client.post("/api/chat/compliance/check", {"text": "Здравствуйте", "marketplace": "ozon"})
    assert refused.status_code == 403 and refused.json() == {"detail": CODE_OWED}
    # An Authorization header that is not a valid token must not let the session through.
    junk = client.get("/api/chat/chats", HTTP_AUTHORIZATION="Token not-a-token")
    assert junk.status_code in (401, 403) and "results" not in junk.json()

    assert client.post("/account/two-factor/verify/", {"code": _code(device)}).status_code == 302
    for path in API_PATHS:
        assert client.get(path).status_code == 200, path


def test_tokens_of_a_user_with_two_factor_keep_working(agent):
    TOTPDevice.objects.create(user=agent, confirmed=True, name="app")
    issued = api_token_create(user=agent, name="1С")
    drf_token = Token.objects.create(user=agent)
    api = APIClient()
    for header in (f"Bearer {issued.secret}", f"Token {issued.secret}", f"Token {drf_token.key}"):
        for path in API_PATHS:
            assert api.get(path, HTTP_AUTHORIZATION=header).status_code == 200, (header, path)


def test_api_is_unchanged_for_a_user_without_two_factor(agent):
    client = _password_only_login(agent)
    for path in API_PATHS:
        assert client.get(path).status_code == 200, path


def test_api_refuses_an_administrator_who_must_enrol_first(settings):
    settings.REQUIRE_2FA_FOR_ADMINS = True
    boss = User.objects.create_superuser("boss", password="boss-password-123")
    client = _password_only_login(boss)
    for path in API_PATHS:
        response = client.get(path)
        assert response.status_code == 403 and response.json() == {"detail": ENROLMENT_OWED}, path
    settings.REQUIRE_2FA_FOR_ADMINS = False
    assert client.get("/api/chat/chats").status_code == 200
