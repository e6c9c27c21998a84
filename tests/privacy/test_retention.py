import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from inbox.models import Chat, Message, OutgoingFile

pytestmark = pytest.mark.django_db


def _chat(make_account, make_chat, *, days_ago: int, status: str = "resolved"):
    account = make_account("ozon")
    when = timezone.now() - timedelta(days=days_ago)
    chat = make_chat(
        account,
        buyer_name="Анна Петрова",
        status=status,
        last_message_at=when,
        last_message_preview="Мой телефон…",
    )
    Message.objects.create(
        chat=chat,
        external_id="1",
        direction="in",
        author="buyer",
        text="Мой адрес: Тверская 1",
        created_at=when,
        attachments=[{"kind": "image", "name": "паспорт.jpg"}],
    )
    reply = Message.objects.create(
        chat=chat, direction="out", author="seller", text="Спасибо", created_at=when, delivery_status="sent"
    )
    OutgoingFile.objects.create(
        message=reply, name="чек.pdf", content_type="application/pdf", size=3, content=b"pdf"
    )
    return chat


def test_purge_removes_personal_data_keeps_counts_and_times(make_account, make_chat):
    old = _chat(make_account, make_chat, days_ago=40)
    recent = _chat(make_account, make_chat, days_ago=5)
    still_open = _chat(make_account, make_chat, days_ago=40, status="open")
    dry = StringIO()
    call_command("purge_personal_data", "--older-than", "30", "--dry-run", stdout=dry)
    assert "1" in dry.getvalue() and Chat.objects.get(pk=old.pk).buyer_name == "Анна Петрова"
    out = StringIO()
    call_command("purge_personal_data", "--older-than", "30", stdout=out)
    old.refresh_from_db()
    assert old.buyer_name == "" and old.last_message_preview == ""
    messages = list(Message.objects.filter(chat=old).order_by("id"))
    assert len(messages) == 2 and all(m.text == "" and m.attachments == [] for m in messages)
    assert all(m.created_at for m in messages) and messages[1].delivery_status == "sent"
    assert not OutgoingFile.objects.filter(message__chat=old).exists()
    for untouched in (recent, still_open):
        untouched.refresh_from_db()
        assert untouched.buyer_name == "Анна Петрова"
    # Idempotent: a second run finds nothing.
    again = StringIO()
    call_command("purge_personal_data", "--older-than", "30", stdout=again)
    assert "0" in again.getvalue()


def test_purge_refuses_without_retention(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 0
    with pytest.raises(CommandError):
        call_command("purge_personal_data")


def test_export_and_erase_one_buyer(make_account, make_chat):
    chat = _chat(make_account, make_chat, days_ago=1, status="open")
    out = StringIO()
    call_command("export_buyer_data", "--chat", str(chat.pk), stdout=out)
    data = json.loads(out.getvalue())
    assert data["chat"]["buyer_name"] == "Анна Петрова" and len(data["messages"]) == 2
    call_command("erase_buyer_data", "--chat", str(chat.pk), stdout=StringIO())
    chat.refresh_from_db()
    assert chat.buyer_name == "" and not Message.objects.filter(chat=chat).exclude(text="").exists()
    with pytest.raises(CommandError):
        call_command("erase_buyer_data", "--chat", "999999")
