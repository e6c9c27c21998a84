"""POST /api/chat/chats/{id}/send with a file (multipart/form-data)."""

import uuid

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from inbox.models import Message, OutgoingFile
from marketplaces.spec import MEGABYTE
from sandbox.assets import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def chats(make_account, make_chat, agent, other_agent):
    return {
        "wildberries": make_chat(make_account("wildberries", members=[agent]), extras={"reply_sign": "s"}),
        "yandex_market": make_chat(make_account("yandex_market", members=[agent]), external_id="501"),
        "foreign": make_chat(make_account("ozon", members=[other_agent])),
    }


def send(api: APIClient, chat_id: int, **data):
    return api.post(f"/api/chat/chats/{chat_id}/send", data, format="multipart")


def test_file_alone_is_queued_and_returned_as_pending(api, chats, django_capture_on_commit_callbacks):
    chat = chats["wildberries"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = send(api, chat.pk, file=SimpleUploadedFile("Фото.png", png_bytes(), "image/png"))
    assert response.status_code == 202
    assert response.data["delivery_status"] == "pending"
    assert response.data["text"] == ""
    assert response.data["attachments"] == [
        {
            "kind": "image",
            "name": "Фото.png",
            "content_type": "image/png",
            "size": len(png_bytes()),
            "remote_id": "",
            "url": "",
            "moderation": "",
        }
    ]
    assert bytes(OutgoingFile.objects.get(message_id=response.data["id"]).content) == png_bytes()
    assert len(callbacks) == 1


def test_text_and_file_with_an_idempotency_key(api, chats):
    chat = chats["yandex_market"]
    key = str(uuid.uuid4())
    data = {"text": "Накладная во вложении", "idempotency_key": key}
    first = send(api, chat.pk, **data, file=SimpleUploadedFile("накладная.pdf", pdf_bytes()))
    again = send(api, chat.pk, **data, file=SimpleUploadedFile("накладная.pdf", pdf_bytes()))
    assert first.status_code == again.status_code == 202
    assert again.data["id"] == first.data["id"]
    # Yandex Market takes a file as a message of its own: the text goes first.
    assert [(row.text, len(row.attachments)) for row in Message.objects.filter(chat=chat).order_by("id")] == [
        ("Накладная во вложении", 0),
        ("", 1),
    ]
    assert first.data["attachments"][0]["name"] == "накладная.pdf"
    assert OutgoingFile.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * MEGABYTE), "Файл больше 5 МБ: big.png"),
        ("doc.docx", b"PK\x03\x04", "Wildberries принимает только файлы .jpg, .jpeg, .png, .pdf: doc.docx"),
    ],
)
def test_bad_files_are_400_with_the_field_message_and_nothing_is_stored(
    api, chats, django_capture_on_commit_callbacks, name, content, message
):
    chat = chats["wildberries"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = send(api, chat.pk, text="Смотрите", file=SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert response.data == {"file": [message]}
    assert not Message.objects.filter(chat=chat).exists()
    assert OutgoingFile.objects.count() == 0
    assert callbacks == []


def test_two_files_are_refused(api, chats):
    chat = chats["yandex_market"]
    response = api.post(
        f"/api/chat/chats/{chat.pk}/send",
        {"file": [SimpleUploadedFile("a.pdf", pdf_bytes()), SimpleUploadedFile("b.pdf", pdf_bytes())]},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.data == {"file": ["К одному ответу можно приложить не больше 1 файла."]}
    assert not Message.objects.filter(chat=chat).exists()


def test_another_accounts_chat_is_404_for_a_file(api, chats):
    response = send(api, chats["foreign"].pk, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    assert response.status_code == 404
    assert not Message.objects.exists()
    assert OutgoingFile.objects.count() == 0


def test_json_still_works_and_needs_text(api, chats):
    chat = chats["wildberries"]
    empty = api.post(f"/api/chat/chats/{chat.pk}/send", {}, format="json")
    assert empty.status_code == 400 and empty.data["compliance"][0]["rule"] == "empty"
    sent = api.post(
        f"/api/chat/chats/{chat.pk}/send", {"text": "Здравствуйте, заказ уже в пути"}, format="json"
    )
    assert sent.status_code == 202 and sent.data["attachments"] == []


def test_chat_tells_its_file_limits(api, chats):
    limits = api.get(f"/api/chat/chats/{chats['wildberries'].pk}").data["file_limits"]
    assert limits == {
        "supported": True,
        "extensions": [".jpg", ".jpeg", ".png", ".pdf"],
        "max_bytes": 5 * MEGABYTE,
        "max_files": 1,
    }


def test_schema_documents_the_multipart_file(client, agent):
    client.force_login(agent)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    body = schema["paths"]["/api/chat/chats/{chat_id}/send"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    multipart = schema["components"]["schemas"][
        body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    ]
    assert multipart["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": multipart["properties"]["file"]["description"],
    }
    assert multipart["required"] == ["file"]
    chat = schema["components"]["schemas"]["Chat"]["properties"]
    assert "file_limits" in chat
