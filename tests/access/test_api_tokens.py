import pytest
from django.test import Client
from rest_framework.test import APIClient

from access.models import ApiToken
from access.services import api_token_create

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_hashed(agent):
    client = Client()
    client.force_login(agent)
    page = client.post("/account/api-tokens/", {"name": "1С интеграция"}).content.decode()
    token = ApiToken.objects.get(user=agent)
    secret = page.split("data-issued-token>")[1].split("<")[0]
    assert secret.startswith(f"cc_{token.prefix}_")
    assert secret not in token.key_hash and len(token.key_hash) == 64
    assert secret not in client.get("/account/api-tokens/").content.decode()


def test_token_authenticates_records_last_use_and_revokes(agent):
    issued = api_token_create(user=agent, name="bot")
    api = APIClient()
    assert api.get("/api/chat/chats", HTTP_AUTHORIZATION=f"Bearer {issued.secret}").status_code == 200
    assert api.get("/api/chat/chats", HTTP_AUTHORIZATION=f"Token {issued.secret}").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    client = Client()
    client.force_login(agent)
    client.post(f"/account/api-tokens/{issued.token.pk}/revoke/")
    assert (
        api.get("/api/chat/chats", HTTP_AUTHORIZATION=f"Bearer {issued.secret}").status_code == 403
    )  # DRF answers 403: session auth comes first and sends no challenge


def test_deactivated_user_token_stops_at_once(agent):
    issued = api_token_create(user=agent, name="bot")
    api = APIClient()
    assert api.get("/api/chat/chats", HTTP_AUTHORIZATION=f"Bearer {issued.secret}").status_code == 200
    agent.is_active = False
    agent.save()
    assert (
        api.get("/api/chat/chats", HTTP_AUTHORIZATION=f"Bearer {issued.secret}").status_code == 403
    )  # DRF answers 403: session auth comes first and sends no challenge


def test_drf_tokens_still_work_and_obey_deactivation(agent):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=agent)
    api = APIClient()
    assert api.get("/api/chat/chats", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    agent.is_active = False
    agent.save()
    assert (
        api.get("/api/chat/chats", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 403
    )  # DRF answers 403: session auth comes first and sends no challenge


def test_cannot_revoke_someone_elses_token(agent, other_agent):
    issued = api_token_create(user=other_agent, name="theirs")
    client = Client()
    client.force_login(agent)
    client.post(f"/account/api-tokens/{issued.token.pk}/revoke/")
    assert ApiToken.objects.get().revoked_at is None


@pytest.mark.parametrize("path", ["/account/api-tokens/", "/account/two-factor/"])
def test_the_account_pages_lead_back_to_the_profile(client, agent, path):
    client.force_login(agent)
    page = client.get(path).content.decode()
    assert '<a href="/profile/"><span aria-hidden="true">←</span> Профиль и уведомления</a>' in page
