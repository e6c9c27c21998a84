"""A Wildberries question has one answer: a second reply edits it (PATCH replaces the answer)."""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from inbox.models import Chat, Message
from inbox.replies import deliver, sweep
from inbox.replies.create import reply_create, reply_form_notice
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.errors import DeliveryUnknownError, RequestRejectedError
from marketplaces.types import Author, ChatKind, RemoteChat, RemoteMessage, SendReceipt, UpdatesPage

pytestmark = pytest.mark.django_db

ASKED = timezone.now() - timedelta(days=2)
ANSWERED = ASKED + timedelta(hours=1)


def question_page(answer: str | None) -> UpdatesPage:
    messages = [
        RemoteMessage(
            chat_external_id="question:q1",
            external_id="q1:question",
            author=Author.BUYER,
            text="Это натуральная кожа?",
            created_at=ASKED,
        )
    ]
    if answer is not None:
        messages.append(
            RemoteMessage(
                chat_external_id="question:q1",
                external_id="q1:answer",
                author=Author.SELLER,
                text=answer,
                created_at=ANSWERED,
                is_read=True,
            )
        )
    return UpdatesPage(
        chats=(RemoteChat(external_id="question:q1", kind=ChatKind.QUESTION),), messages=tuple(messages)
    )


def ingest(chat: Chat, page: UpdatesPage) -> None:
    with transaction.atomic():
        page_apply(account=chat.account, page=page, mode=IngestMode.INCREMENTAL)


@pytest.fixture
def question(make_account, make_chat):
    chat = make_chat(make_account("wildberries"), external_id="question:q1", kind="question")
    ingest(chat, question_page("Да, натуральная кожа."))
    return chat


def edit(chat: Chat, text: str, agent=None) -> Message:
    with transaction.atomic():
        message, created = reply_create(chat=chat, user=agent, text=text, idempotency_key=uuid.uuid4())
    assert created
    return message


def answers(chat: Chat) -> list[tuple]:
    return list(
        Message.objects.filter(chat=chat, direction="out").values_list(
            "external_id", "text", "delivery_status", "created_at", "sent_at", "edited_at"
        )
    )


def test_a_second_reply_replaces_the_answer_and_the_thread_shows_it_once(question, fake_connector, agent):
    message = edit(question, "Да, натуральная кожа, подкладка из текстиля.", agent)
    accepted = timezone.now()
    fake_connector.send_results = [SendReceipt(sent_at=accepted)]

    assert deliver.message_deliver(message_id=message.pk) == "sent"

    assert answers(question) == [
        ("q1:answer", "Да, натуральная кожа, подкладка из текстиля.", "sent", ANSWERED, ANSWERED, accepted)
    ]
    assert Message.objects.get(chat=question, direction="out").pk == message.pk
    # WB lists the question again with the new text under the same answer id: nothing is added.
    ingest(question, question_page("Да, натуральная кожа, подкладка из текстиля."))
    assert answers(question) == [
        ("q1:answer", "Да, натуральная кожа, подкладка из текстиля.", "sent", ANSWERED, ANSWERED, accepted)
    ]
    assert Message.objects.filter(chat=question).count() == 2


def test_the_first_answer_is_not_an_edit(make_account, make_chat, fake_connector):
    chat = make_chat(make_account("wildberries"), external_id="question:q1", kind="question")
    ingest(chat, question_page(None))
    assert reply_form_notice(chat=chat) == ""
    message = edit(chat, "Да, натуральная кожа.")

    assert deliver.message_deliver(message_id=message.pk) == "sent"
    ingest(chat, question_page("Да, натуральная кожа."))

    [(external_id, text, status, _created, _sent, edited_at)] = answers(chat)
    assert (external_id, text, status, edited_at) == ("q1:answer", "Да, натуральная кожа.", "sent", None)


def test_an_unconfirmed_edit_is_settled_by_the_answers_text(question, fake_connector):
    message = edit(question, "Нет, это экокожа.")
    fake_connector.send_results = [DeliveryUnknownError("Wildberries: PATCH без ответа")]
    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    # The old answer is still there: the edit did not arrive, so it is re-sent at once.
    fake_connector.recent_results = [list(question_page("Да, натуральная кожа.").messages)]

    assert sweep.outbox_sweep(now=timezone.now() + timedelta(seconds=1)).resent == [message.pk]
    fake_connector.send_results = [DeliveryUnknownError("Wildberries: PATCH без ответа")]
    assert deliver.message_deliver(message_id=message.pk) == "unknown"
    # This time WB shows the new text under the same answer id.
    fake_connector.recent_results = [list(question_page("Нет, это экокожа.").messages)]

    assert sweep.outbox_sweep(now=timezone.now() + timedelta(seconds=1)).settled == [message.pk]

    [(external_id, text, status, created_at, _sent, edited_at)] = answers(question)
    assert (external_id, text, status, created_at) == ("q1:answer", "Нет, это экокожа.", "sent", ANSWERED)
    assert edited_at is not None
    assert len(fake_connector.sent) == 2


def test_the_reply_box_says_sending_replaces_the_answer(question, client, agent):
    question.account.members.add(agent)
    client.force_login(agent)
    with translation.override("ru"):
        notice = reply_form_notice(chat=question)
    assert (
        notice
        == "На этот вопрос уже есть ответ: отправка заменит его (у вопроса может быть только один ответ)."
    )

    page = client.get(reverse("inbox:chat", args=[question.pk]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert notice in page


def test_an_edited_answer_is_marked_in_the_thread(question, client, agent, fake_connector):
    question.account.members.add(agent)
    client.force_login(agent)
    message = edit(question, "Нет, это экокожа.")
    deliver.message_deliver(message_id=message.pk)

    page = client.get(reverse("inbox:chat", args=[question.pk]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    # One answer bubble; the old text is gone from the thread and from the chat list's preview.
    assert page.count("direction-out") == 1
    assert '<div class="text">Нет, это экокожа.</div>' in page
    assert "Да, натуральная кожа." not in page
    assert ">изменён</span>" in page


def test_an_ozon_chat_keeps_every_reply(make_account, make_chat, fake_connector):
    chat = make_chat(make_account("ozon"), external_id="c1")
    first = edit(chat, "Первый ответ")
    second = edit(chat, "Второй ответ")
    deliver.message_deliver(message_id=first.pk)
    deliver.message_deliver(message_id=second.pk)

    assert reply_form_notice(chat=chat) == ""
    assert sorted(text for _id, text, *_rest in answers(chat)) == ["Второй ответ", "Первый ответ"]


def test_an_answer_edited_in_the_cabinet_is_taken_and_marked(question, fake_connector):
    ingest(question, question_page("Да, натуральная кожа.  "))
    assert answers(question)[0][5] is None

    ingest(question, question_page("Нет, экокожа (исправлено в кабинете)."))

    [(external_id, text, status, created_at, _sent, edited_at)] = answers(question)
    assert (external_id, text, status, created_at) == (
        "q1:answer",
        "Нет, экокожа (исправлено в кабинете).",
        "",
        ANSWERED,
    )
    assert edited_at is not None


def test_an_answer_the_marketplace_no_longer_lets_change(question, fake_connector):
    Chat.objects.filter(pk=question.pk).update(extras={"question_id": "q1", "answer_editable": False})
    question.refresh_from_db()
    with translation.override("ru"):
        assert reply_form_notice(chat=question) == (
            "На этот вопрос уже есть ответ, и маркетплейс больше не позволяет его изменить."
        )
    message = edit(question, "Нет, это экокожа.")
    fake_connector.send_results = [
        RequestRejectedError("Wildberries отклонил запрос: Не удалось отредактировать вопрос", status=422)
    ]

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert (message.last_error, message.last_error_detail) == (
        "Маркетплейс не дал изменить ответ: возможно, его больше нельзя менять.",
        "Wildberries отклонил запрос: Не удалось отредактировать вопрос",
    )
    assert [text for _id, text, *_rest in answers(question)] == ["Да, натуральная кожа.", "Нет, это экокожа."]
