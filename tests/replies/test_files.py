"""File validation for replies: per-marketplace limits, one place for the web inbox and the API."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from inbox.models import Chat, Message, OutgoingFile
from inbox.replies.create import reply_create
from inbox.replies.files import file_name_clean, reply_file_limits_for
from marketplaces.spec import MEGABYTE
from sandbox.assets import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(chat: Chat, *files: SimpleUploadedFile, text: str = "") -> str:
    with translation.override("ru"), pytest.raises(ValidationError) as caught:
        reply_create(chat=chat, user=None, text=text, idempotency_key=uuid.uuid4(), files=list(files))
    assert not Message.objects.filter(chat=chat).exists()
    assert not OutgoingFile.objects.exists()
    return " ".join(caught.value.message_dict["file"])


@pytest.fixture
def chats(make_account, make_chat):
    return {
        marketplace: make_chat(make_account(marketplace), external_id=f"{marketplace}-1")
        for marketplace in ("wildberries", "ozon", "yandex_market")
    }


def test_limits_per_marketplace(chats, make_chat):
    wildberries = reply_file_limits_for(chat=chats["wildberries"])
    assert (
        wildberries.supported,
        wildberries.max_bytes,
        wildberries.max_files,
        wildberries.text_with_file,
    ) == (
        True,
        5 * MEGABYTE,
        1,
        True,
    )
    assert wildberries.accept == ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"
    ozon = reply_file_limits_for(chat=chats["ozon"])
    assert (ozon.supported, ozon.accept, ozon.needs_extension, ozon.text_with_file) == (True, "", True, False)
    yandex_market = reply_file_limits_for(chat=chats["yandex_market"])
    assert (yandex_market.max_bytes, yandex_market.accept, yandex_market.text_with_file) == (
        5 * MEGABYTE,
        "",
        False,
    )
    question = make_chat(chats["wildberries"].account, external_id="question:q1", kind="question")
    assert reply_file_limits_for(chat=question).supported is False


@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_a_file_one_byte_over_five_megabytes_is_refused(chats, marketplace):
    content = b"%PDF-" + b"0" * (5 * MEGABYTE - 4)
    assert refusal(chats[marketplace], upload("акт.pdf", content)) == "Файл больше 5 МБ: акт.pdf"


@pytest.mark.parametrize("marketplace", ["wildberries", "ozon", "yandex_market"])
def test_exactly_five_megabytes_is_accepted(chats, marketplace):
    content = b"%PDF-" + b"0" * (5 * MEGABYTE - 5)
    message, created = reply_create(
        chat=chats[marketplace], user=None, text="", idempotency_key=None, files=[upload("акт.pdf", content)]
    )
    assert created and OutgoingFile.objects.get(message=message).size == 5 * MEGABYTE


def test_wildberries_refuses_other_types_and_disguised_files(chats):
    assert (
        refusal(chats["wildberries"], upload("video.mp4", b"\x00\x00\x00 ftypmp42", "video/mp4"))
        == "Wildberries принимает только файлы .jpg, .jpeg, .png, .pdf: video.mp4"
    )
    assert (
        refusal(chats["wildberries"], upload("счёт.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))
        == "Содержимое файла не соответствует расширению: счёт.pdf"
    )


def test_wildberries_takes_the_type_from_the_content_not_the_browser(chats):
    message, _created = reply_create(
        chat=chats["wildberries"],
        user=None,
        text="",
        idempotency_key=None,
        files=[upload("Фото.JPG", b"\xff\xd8\xff\xe0 jpeg", "application/octet-stream")],
    )
    stored = OutgoingFile.objects.get(message=message)
    assert (stored.name, stored.content_type) == ("Фото.JPG", "image/jpeg")
    assert message.attachments[0]["kind"] == "image"


def test_ozon_needs_an_extension_and_takes_any_type(chats):
    assert (
        refusal(chats["ozon"], upload("README", b"hello"))
        == "У имени файла должно быть расширение, например .pdf: README"
    )
    message, _created = reply_create(
        chat=chats["ozon"], user=None, text="", idempotency_key=None, files=[upload("заметка.txt", b"hello")]
    )
    assert OutgoingFile.objects.get(message=message).content_type == "text/plain"


def test_questions_empty_files_and_several_files_are_refused(chats, make_chat):
    question = make_chat(chats["wildberries"].account, kind=Chat.Kind.QUESTION, external_id="question:1")
    assert refusal(question, upload("a.pdf", pdf_bytes())) == "В этот чат нельзя отправить файл."
    assert refusal(chats["yandex_market"], upload("пусто.pdf", b"")) == "Файл пустой: пусто.pdf"
    assert (
        refusal(chats["yandex_market"], upload("a.pdf", pdf_bytes()), upload("b.png", png_bytes()))
        == "К одному ответу можно приложить не больше 1 файла."
    )


def test_text_may_be_empty_only_with_a_file(chats):
    with pytest.raises(ValidationError) as caught:
        reply_create(chat=chats["ozon"], user=None, text="  ", idempotency_key=None, files=[])
    assert [violation.rule for violation in caught.value.violations] == ["empty"]
    message, created = reply_create(
        chat=chats["ozon"], user=None, text="  ", idempotency_key=None, files=[upload("a.png", png_bytes())]
    )
    assert created and message.text == ""


def test_same_idempotency_key_stores_one_reply_and_one_file(chats):
    key = uuid.uuid4()
    first, created = reply_create(
        chat=chats["ozon"],
        user=None,
        text="Накладная",
        idempotency_key=key,
        files=[upload("a.pdf", pdf_bytes())],
    )
    again, created_again = reply_create(
        chat=chats["ozon"],
        user=None,
        text="Накладная",
        idempotency_key=key,
        files=[upload("a.pdf", pdf_bytes())],
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Message.objects.filter(chat=chats["ozon"]).count() == 2  # the text, then the file (Ozon)
    assert OutgoingFile.objects.count() == 1


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\агент\\Чек.pdf", "Чек.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ("я" * 300 + ".pdf", "я" * 251 + ".pdf"),
    ],
)
def test_file_names_are_cleaned(raw, clean):
    assert file_name_clean(name=raw) == clean
