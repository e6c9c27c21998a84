"""Replies with a file: one marketplace call per row, the same state machine as text."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from inbox.models import Chat, Message, OutgoingFile
from inbox.replies import deliver, sweep
from inbox.replies.create import message_send, reply_queue
from inbox.replies.files import ReplyFile
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.errors import DeliveryUnknownError, RequestRejectedError
from marketplaces.types import (
    AttachmentKind,
    Author,
    RemoteAttachment,
    RemoteMessage,
    SendReceipt,
    UpdatesPage,
)
from sandbox.assets import pdf_bytes, png_bytes
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db

RECEIPT = ReplyFile(name="Чек №5.pdf", content_type="application/pdf", content=pdf_bytes())
PHOTO = ReplyFile(name="фото.png", content_type="image/png", content=png_bytes())


@pytest.fixture
def ozon_chat(make_account, make_chat):
    return make_chat(
        make_account("ozon"), external_id="c1", awaiting_reply_since=timezone.now() - timedelta(minutes=5)
    )


@pytest.fixture
def wildberries_chat(make_account, make_chat):
    return make_chat(make_account("wildberries"), external_id="1:abc", extras={"reply_sign": "sign"})


def queue(chat: Chat, *, text: str = "", file: ReplyFile | None = RECEIPT) -> Message:
    with transaction.atomic():
        return reply_queue(chat=chat, user=None, text=text, file=file)


def file_echo(
    chat: Chat, *, name: str, external_id: str = "9001", text: str = "", **attachment
) -> UpdatesPage:
    attachment.setdefault("kind", AttachmentKind.LINK)
    echo = RemoteMessage(
        chat_external_id=chat.external_id,
        external_id=external_id,
        author=Author.SELLER,
        text=text,
        created_at=timezone.now(),
        attachments=(RemoteAttachment(name=name, url=f"https://cdn.example/{name}", **attachment),),
    )
    return UpdatesPage(messages=(echo,))


def ingest(chat: Chat, page: UpdatesPage) -> None:
    with transaction.atomic():
        page_apply(account=chat.account, page=page, mode=IngestMode.INCREMENTAL)


def test_a_file_reply_is_stored_with_its_row_and_sent_once(ozon_chat, fake_connector):
    message = queue(ozon_chat)

    stored = OutgoingFile.objects.get(message=message)
    assert (stored.name, stored.content_type, stored.size, bytes(stored.content)) == (
        "Чек №5.pdf",
        "application/pdf",
        len(pdf_bytes()),
        pdf_bytes(),
    )
    assert message.attachments == [
        {
            "kind": "file",
            "name": "Чек №5.pdf",
            "content_type": "application/pdf",
            "size": len(pdf_bytes()),
            "remote_id": "",
            "url": "",
            "moderation": "",
        }
    ]

    assert deliver.message_deliver(message_id=message.pk) == "sent"
    assert deliver.message_deliver(message_id=message.pk) == "skipped"

    assert [
        (ref.external_id, name, content, kind, text)
        for ref, name, content, kind, text in fake_connector.files_sent
    ] == [("c1", "Чек №5.pdf", pdf_bytes(), "application/pdf", "")]
    assert fake_connector.sent == []
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, message.last_error) == ("sent", 1, "")
    assert Chat.objects.get(pk=ozon_chat.pk).awaiting_reply_since is None


def test_wildberries_takes_text_and_file_in_one_call(wildberries_chat, fake_connector):
    message = queue(wildberries_chat, text="Чек во вложении", file=PHOTO)

    assert Message.objects.filter(chat=wildberries_chat).count() == 1
    assert deliver.message_deliver(message_id=message.pk) == "sent"

    assert [(name, text) for _ref, name, _content, _kind, text in fake_connector.files_sent] == [
        ("фото.png", "Чек во вложении")
    ]
    assert fake_connector.sent == []


@pytest.mark.parametrize("marketplace", ["ozon", "yandex_market"])
def test_elsewhere_text_and_file_are_two_rows_each_sent_once(
    make_account, make_chat, fake_connector, marketplace
):
    chat = make_chat(make_account(marketplace), external_id="77")
    file_row = queue(chat, text="Вот накладная", file=RECEIPT)

    rows = list(Message.objects.filter(chat=chat).order_by("created_at", "id"))
    assert [(row.text, len(row.attachments)) for row in rows] == [("Вот накладная", 0), ("", 1)]
    assert rows[1] == file_row
    assert OutgoingFile.objects.filter(message__chat=chat).count() == 1

    for row in rows:
        assert deliver.message_deliver(message_id=row.pk) == "sent"
        assert deliver.message_deliver(message_id=row.pk) == "skipped"

    assert [text for _ref, text in fake_connector.sent] == ["Вот накладная"]
    assert [(name, text) for _ref, name, _content, _kind, text in fake_connector.files_sent] == [
        ("Чек №5.pdf", "")
    ]


def test_rolled_back_reply_leaves_neither_row_nor_file(ozon_chat, enqueued):
    with pytest.raises(RuntimeError), transaction.atomic():
        reply_queue(chat=ozon_chat, user=None, text="Текст", file=RECEIPT)
        raise RuntimeError("the view failed after queueing")
    assert Message.objects.count() == 0
    assert OutgoingFile.objects.count() == 0
    assert enqueued == []


def test_timeout_then_file_echo_resolves_to_sent_with_one_row_and_one_call(ozon_chat, fake_connector):
    message = queue(ozon_chat)
    fake_connector.send_results = [DeliveryUnknownError("Ozon: запрос отправлен, но ответ не получен")]

    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"

    # Ozon shows a sent file as a Markdown link: text "Чек №5.pdf (url)" plus a link attachment.
    ingest(
        ozon_chat,
        file_echo(ozon_chat, name="Чек №5.pdf", text="Чек №5.pdf (https://cdn.example/Чек №5.pdf)"),
    )

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id, message.last_error) == ("sent", "9001", "")
    assert message.attachments[0]["url"] == "https://cdn.example/Чек №5.pdf"
    assert Message.objects.filter(chat=ozon_chat).count() == 1
    assert sweep.outbox_sweep(now=timezone.now() + timedelta(minutes=5)).resent == []
    assert deliver.message_deliver(message_id=message.pk) == "skipped"
    assert len(fake_connector.files_sent) == 1


def test_the_echo_seen_again_on_a_later_sync_keeps_the_agents_text_and_file(ozon_chat, fake_connector):
    message = queue(ozon_chat, text="")
    assert deliver.message_deliver(message_id=message.pk) == "sent"
    echo = file_echo(ozon_chat, name="Чек №5.pdf", text="Чек №5.pdf (https://cdn.example/Чек №5.pdf)")
    ingest(ozon_chat, echo)
    matched = Message.objects.get(pk=message.pk)
    assert matched.external_id == "9001"

    ingest(ozon_chat, echo)  # Ozon lists the same message again (e.g. a re-walked history page)

    again = Message.objects.get(pk=message.pk)
    assert (again.text, again.attachments) == ("", matched.attachments)
    assert again.attachments[0]["name"] == "Чек №5.pdf" and again.attachments[0]["size"] == len(pdf_bytes())
    assert Message.objects.filter(chat=ozon_chat).count() == 1


def test_echo_with_another_file_name_is_a_new_message(ozon_chat, fake_connector):
    message = queue(ozon_chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    deliver.message_deliver(message_id=message.pk)

    ingest(ozon_chat, file_echo(ozon_chat, name="другой.pdf"))

    message.refresh_from_db()
    assert message.delivery_status == "unknown" and message.external_id is None
    assert Message.objects.filter(chat=ozon_chat, external_id="9001").exists()


def test_file_echo_is_not_taken_by_a_text_reply_and_a_text_echo_not_by_a_file_reply(
    ozon_chat, fake_connector
):
    with transaction.atomic():
        text_reply = message_send(chat=ozon_chat, user=None, text="Чек №5.pdf")
    file_reply = queue(ozon_chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа"), DeliveryUnknownError("нет ответа")]
    deliver.message_deliver(message_id=text_reply.pk)
    deliver.message_deliver(message_id=file_reply.pk)

    ingest(ozon_chat, file_echo(ozon_chat, name="Чек №5.pdf", external_id="9001"))
    assert Message.objects.get(pk=text_reply.pk).external_id is None
    assert Message.objects.get(pk=file_reply.pk).external_id == "9001"

    ingest(
        ozon_chat,
        UpdatesPage(
            messages=(
                remote_message("c1", "9002", "Чек №5.pdf", author=Author.SELLER, created_at=timezone.now()),
            )
        ),
    )
    assert Message.objects.get(pk=text_reply.pk).external_id == "9002"
    assert Message.objects.filter(chat=ozon_chat).count() == 2


def test_wildberries_echo_of_text_and_file_needs_both(wildberries_chat, fake_connector):
    message = queue(wildberries_chat, text="Чек во вложении")
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    deliver.message_deliver(message_id=message.pk)

    ingest(
        wildberries_chat,
        file_echo(
            wildberries_chat,
            name="Чек №5.pdf",
            external_id="e-1",
            text="Другой текст",
            kind=AttachmentKind.FILE,
        ),
    )
    assert Message.objects.get(pk=message.pk).external_id is None

    ingest(
        wildberries_chat,
        file_echo(
            wildberries_chat,
            name="Чек №5.pdf",
            external_id="e-2",
            text="Чек  во вложении",
            kind=AttachmentKind.FILE,
        ),
    )
    assert Message.objects.get(pk=message.pk).external_id == "e-2"


def test_an_image_kept_without_its_name_matches_an_image_reply(wildberries_chat, fake_connector):
    message = queue(wildberries_chat, file=PHOTO)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    deliver.message_deliver(message_id=message.pk)

    # WB lists images by URL only: the name is the URL's last segment, no type, no size.
    ingest(
        wildberries_chat,
        file_echo(wildberries_chat, name="a1b2c3.jpg", external_id="e-1", kind=AttachmentKind.IMAGE),
    )

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "e-1")
    assert Message.objects.filter(chat=wildberries_chat).count() == 1


def test_a_document_reply_does_not_match_a_nameless_image(wildberries_chat, fake_connector):
    message = queue(wildberries_chat, file=RECEIPT)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")]
    deliver.message_deliver(message_id=message.pk)

    ingest(
        wildberries_chat,
        file_echo(wildberries_chat, name="a1b2c3.jpg", external_id="e-1", kind=AttachmentKind.IMAGE),
    )

    assert Message.objects.get(pk=message.pk).external_id is None


def test_unknown_file_without_echo_is_resent_and_bounded(ozon_chat, fake_connector):
    ingest(ozon_chat, UpdatesPage(messages=(remote_message("c1", "1", created_at=timezone.now()),)))
    message = queue(ozon_chat)
    fake_connector.send_results = [DeliveryUnknownError("нет ответа")] * deliver.MAX_DELIVERY_ATTEMPTS
    # The chat's history reaches back before the reply and shows no file from us.
    fake_connector.recent_results = [
        [remote_message("c1", "1", created_at=timezone.now() - timedelta(minutes=1))]
    ]
    for _attempt in range(deliver.MAX_DELIVERY_ATTEMPTS):
        assert deliver.message_deliver(message_id=message.pk) == "unknown"
        sweep.outbox_sweep(now=timezone.now() + timedelta(minutes=1))
    message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert message.last_error == "Маркетплейс не получил ответ после 3 попыток."
    assert len(fake_connector.files_sent) == deliver.MAX_DELIVERY_ATTEMPTS
    assert deliver.message_deliver(message_id=message.pk) == "skipped"


def test_rejected_file_fails_with_the_marketplace_reason(wildberries_chat, fake_connector):
    message = queue(wildberries_chat)
    fake_connector.send_results = [
        RequestRejectedError('Wildberries отклонил файл: "Чек №5.pdf" has unsupported mime type', status=400)
    ]

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert message.last_error == "Маркетплейс не принял ответ."
    assert message.last_error_detail == 'Wildberries отклонил файл: "Чек №5.pdf" has unsupported mime type'
    assert message.attempts == 0
    assert len(fake_connector.files_sent) == 1


def test_receipt_keeps_our_metadata_until_the_echo(ozon_chat, fake_connector):
    message = queue(ozon_chat)
    fake_connector.send_results = [SendReceipt(sent_at=timezone.now())]
    deliver.message_deliver(message_id=message.pk)

    ingest(ozon_chat, file_echo(ozon_chat, name="Чек №5.pdf"))

    message.refresh_from_db()
    assert (message.delivery_status, message.external_id) == ("sent", "9001")
    assert Message.objects.filter(chat=ozon_chat).count() == 1
