"""Files in the web reply form: multipart with and without htmx, refusals, escaping, membership."""

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inbox.models import Chat, Message, OutgoingFile
from marketplaces.spec import MEGABYTE
from sandbox.assets import pdf_bytes, png_bytes

HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def chats(make_account, make_active_chat, agent, other_agent):
    return {
        "wildberries": make_active_chat(make_account("wildberries", members=[agent])),
        "ozon": make_active_chat(make_account("ozon", members=[agent])),
        "foreign": make_active_chat(make_account("yandex_market", members=[other_agent])),
    }


@pytest.fixture
def no_marketplace(monkeypatch):
    """Any attempt to reach a marketplace fails the test."""

    def get_connector(account):
        raise AssertionError("no marketplace call expected")

    monkeypatch.setattr("marketplaces.registry.get_connector", get_connector)


@pytest.fixture
def logged_in(client, agent):
    client.force_login(agent)
    return client


def reply(client, chat: Chat, *, name: str, content: bytes, text: str = "", key: str = "", **extra):
    return client.post(
        reverse("inbox:chat_reply", args=[chat.pk]),
        {
            "text": text,
            "idempotency_key": key or str(uuid.uuid4()),
            "file": SimpleUploadedFile(name, content, content_type="application/octet-stream"),
        },
        **extra,
    )


def file_input(body: str) -> str:
    found = re.search(r"<input type=\"file\"[^>]*>", body)
    return found.group(0) if found else ""


def test_form_is_multipart_and_offers_files_where_the_marketplace_takes_them(logged_in, chats, make_chat):
    body = logged_in.get(reverse("inbox:chat", args=[chats["wildberries"].pk])).content.decode()
    form = re.search(r"<form id=\"reply-form\"[^>]*>", body).group(0)
    assert 'enctype="multipart/form-data"' in form and 'hx-encoding="multipart/form-data"' in form
    wildberries_input = file_input(body)
    assert 'name="file"' in wildberries_input
    assert 'accept=".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"' in wildberries_input
    assert f'data-max-bytes="{5 * MEGABYTE}"' in wildberries_input
    assert 'data-too-large="Файл больше 5 МБ: {name}"' in wildberries_input

    ozon_input = file_input(logged_in.get(reverse("inbox:chat", args=[chats["ozon"].pk])).content.decode())
    assert 'name="file"' in ozon_input and "accept=" not in ozon_input

    question = make_chat(chats["wildberries"].account, kind=Chat.Kind.QUESTION, external_id="question:7")
    assert file_input(logged_in.get(reverse("inbox:chat", args=[question.pk])).content.decode()) == ""


def test_file_reply_appears_at_once_as_sending_and_is_stored_once(
    logged_in, chats, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kwargs: enqueued.append(args))
    chat = chats["wildberries"]
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        first = reply(
            logged_in, chat, name="Чек.pdf", content=pdf_bytes(), text="Чек во вложении", key=key, **HTMX
        )
        second = reply(
            logged_in, chat, name="Чек.pdf", content=pdf_bytes(), text="Чек во вложении", key=key, **HTMX
        )

    assert first.status_code == second.status_code == 200
    body = first.content.decode()
    assert "Чек.pdf" in body and "delivery-pending" in body
    sent = Message.objects.get(chat=chat, direction=Message.Direction.OUT)
    assert (sent.text, sent.delivery_status, str(sent.idempotency_key)) == ("Чек во вложении", "pending", key)
    assert OutgoingFile.objects.filter(message=sent).count() == 1
    assert enqueued == [(sent.pk,)]
    assert reverse("inbox:attachment", args=[chat.pk, sent.pk, 0]) in body


def test_file_alone_without_javascript_redirects_back(logged_in, chats):
    chat = chats["ozon"]
    response = reply(logged_in, chat, name="схема.png", content=png_bytes())
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:chat", args=[chat.pk])
    sent = Message.objects.get(chat=chat, direction=Message.Direction.OUT)
    assert (sent.text, sent.attachments[0]["name"], sent.attachments[0]["kind"]) == ("", "схема.png", "image")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.pdf", b"%PDF-" + b"0" * (5 * MEGABYTE), "Файл больше 5 МБ: big.pdf"),
        (
            "clip.mp4",
            b"\x00\x00\x00 ftypmp42",
            "Wildberries принимает только файлы .jpg, .jpeg, .png, .pdf: clip.mp4",
        ),
    ],
)
def test_oversize_or_wrong_type_is_refused_and_nothing_is_stored(
    logged_in, chats, django_capture_on_commit_callbacks, name, content, message
):
    chat = chats["wildberries"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = reply(logged_in, chat, name=name, content=content, text="Смотрите", **HTMX)
    assert refused.status_code == 422
    assert refused["HX-Retarget"] == "#reply-form"
    body = refused.content.decode()
    assert message in body
    assert "Смотрите" in body  # the typed text survives
    with django_capture_on_commit_callbacks(execute=True) as more_callbacks:
        plain = reply(logged_in, chat, name=name, content=content)
    assert plain.status_code == 400 and message in plain.content.decode()
    assert not Message.objects.filter(chat=chat, direction=Message.Direction.OUT).exists()
    assert OutgoingFile.objects.count() == 0
    assert callbacks == [] and more_callbacks == []  # no delivery was enqueued


def test_another_accounts_chat_is_404_and_stores_nothing(logged_in, chats):
    response = reply(logged_in, chats["foreign"], name="a.pdf", content=pdf_bytes(), **HTMX)
    assert response.status_code == 404
    assert not Message.objects.filter(chat=chats["foreign"], direction=Message.Direction.OUT).exists()
    assert OutgoingFile.objects.count() == 0


def test_a_script_in_a_file_name_is_escaped_in_the_pane(logged_in, chats):
    chat = chats["ozon"]
    # A file name has no "/" (it would be a folder), so no closing tag; "<script>" is enough to execute.
    name = '"><script>alert(1).pdf'
    response = reply(logged_in, chat, name=name, content=pdf_bytes(), **HTMX)
    assert response.status_code == 200
    for body in (
        response.content.decode(),
        logged_in.get(reverse("inbox:chat", args=[chat.pk])).content.decode(),
    ):
        assert "<script>alert(1)" not in body
        assert "&quot;&gt;&lt;script&gt;alert(1).pdf" in body


def test_our_file_downloads_from_our_database(logged_in, chats, no_marketplace):
    chat = chats["ozon"]
    reply(logged_in, chat, name="схема.png", content=png_bytes())
    sent = Message.objects.get(chat=chat, direction=Message.Direction.OUT)
    response = logged_in.get(reverse("inbox:attachment", args=[chat.pk, sent.pk, 0]) + "?inline=1")
    assert response.status_code == 200
    assert response.content == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline; filename*=utf-8''%D1%81%D1%85%D0%B5%D0%BC%D0%B0.png"
