import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.middleware import SESSION_SEEN, SESSION_STARTED

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
    assert fresh.get("/api/chat/chats").status_code == 200  # the API is token/session-guarded separately
    wrong = fresh.post("/account/two-factor/verify/?next=/inbox/", {"code": "12345"})
    assert wrong.status_code == 200
    device.refresh_from_db()
    # The enrolment used this time step's code and a code is never accepted twice: use the next step's.
    ok = fresh.post("/account/two-factor/verify/", {"code": _code(device, offset=1), "next": "/inbox/"})
    assert ok.status_code == 302 and ok["Location"] == "/inbox/"
    assert fresh.get("/inbox/").status_code == 200


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
