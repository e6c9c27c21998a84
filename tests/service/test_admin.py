from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client

from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from service.models import SlaPolicy
from tests.service.conftest import moscow


def test_admin_edits_the_default_policy_and_open_chats_follow(
    make_account, make_chat, add_message, django_capture_on_commit_callbacks
):
    admin = User.objects.create_superuser("boss", password="boss-password-123")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(admin)
    chat = make_chat(make_account("yandex_market"), awaiting_reply_since=moscow(2026, 11, 25, 10, 0))
    add_message(chat, Message.Author.BUYER, moscow(2026, 11, 25, 10, 0))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    policy = SlaPolicy.objects.get(account=None)
    page = client.get(f"/admin/service/slapolicy/{policy.pk}/change/")
    assert page.status_code == 200 and "Понедельник: начало работы" in page.content.decode()
    data = {
        "name": "По умолчанию",
        "account": "",
        "first_response_minutes": "15",
        "next_response_minutes": "60",
        "time_zone": "Europe/Moscow",
    }
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        data[f"{day}_opens"] = "00:00"
        data[f"{day}_closes"] = "00:00"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/service/slapolicy/{policy.pk}/change/", data)
    assert response.status_code == 302
    chat.refresh_from_db()
    assert chat.reply_deadline == moscow(2026, 11, 25, 10, 0) + timedelta(minutes=15)
