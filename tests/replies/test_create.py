"""The one entry point for every reply: validation from the spec, the pre-send check, rows, enqueue."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation

from inbox.models import Message
from inbox.replies import create
from sandbox.assets import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def chats(make_account, make_chat):
    return {
        marketplace: make_chat(make_account(marketplace), external_id=f"{marketplace}-1")
        for marketplace in ("wildberries", "ozon", "yandex_market")
    }


def reply(chat, text: str, **kwargs):
    with transaction.atomic():
        return create.reply_create(
            chat=chat, user=None, text=text, idempotency_key=kwargs.pop("key", uuid.uuid4()), **kwargs
        )


def refusal(chat, text: str, **kwargs) -> dict:
    with translation.override("ru"), pytest.raises(ValidationError) as caught:
        reply(chat, text, **kwargs)
    return caught.value.message_dict


def test_reply_is_stored_pending_and_enqueued_on_commit(chats, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message, created = reply(chats["ozon"], "  Добрый день  ")

    assert created
    assert (message.text, message.delivery_status, message.direction, message.author) == (
        "Добрый день",
        "pending",
        "out",
        "seller",
    )
    assert enqueued == [("inbox.tasks.deliver_message", (message.pk,))]


def test_a_rolled_back_reply_enqueues_nothing(chats, enqueued, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create.reply_create(chat=chats["ozon"], user=None, text="Не уйдёт", idempotency_key=None)
        raise RuntimeError("the view failed after queueing")
    assert (callbacks, enqueued, Message.objects.count()) == ([], [], 0)


def test_the_same_key_queues_once_and_never_for_another_chat(chats):
    key = uuid.uuid4()
    first, created = reply(chats["ozon"], "Один раз", key=key)
    again, created_again = reply(chats["ozon"], "Один раз", key=key)

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert refusal(chats["yandex_market"], "Один раз", key=key) == {
        "idempotency_key": ["Эта форма уже использована для другого чата."]
    }
    assert Message.objects.count() == 1


def test_text_limits_come_from_the_marketplace_spec(chats):
    # DESIGN.md §14: too long and empty are violations of the pre-send check, like any other.
    assert refusal(chats["ozon"], "я " * 500 + "я") == {
        "compliance": ["Текст длиннее, чем разрешает маркетплейс"]
    }
    message, _created = reply(chats["yandex_market"], "я " * 2048)
    assert len(message.text) == 4095
    assert refusal(chats["yandex_market"], "я " * 2048 + "яя") == {
        "compliance": ["Текст длиннее, чем разрешает маркетплейс"]
    }
    assert refusal(chats["wildberries"], "   ") == {"compliance": ["Текст пустой"]}


def test_every_reply_passes_the_compliance_check_with_offsets_into_the_text_as_given(chats):
    text = " Пишите в телеграм @seller"
    violations = create.reply_text_check(chat=chats["ozon"], text=text)
    assert {violation.rule for violation in violations} == {"contact_messenger"}
    assert {text[violation.start : violation.end] for violation in violations} <= {"телеграм", "@seller"}


def test_an_unfilled_template_variable_is_refused(chats):
    assert refusal(chats["ozon"], "Здравствуйте, {{покупатель}}! Заказ уже едет.") == {
        "text": ["Заполните {{покупатель}} перед отправкой."]
    }


def test_a_blocking_violation_queues_nothing(chats, enqueued, monkeypatch):
    violation = create.TextViolation(
        rule="contact_messenger", severity="block", message="Контакты в мессенджере", start=10, end=17
    )
    checked: list[str] = []

    def check(*, chat, text):
        checked.append(text)
        return [violation]

    monkeypatch.setattr(create, "reply_text_check", check)

    for override in (False, True):
        assert refusal(chats["ozon"], "Пишите в телеграм", override_warnings=override) == {
            "compliance": ["Контакты в мессенджере"]
        }
    assert checked == ["Пишите в телеграм", "Пишите в телеграм"]
    with pytest.raises(create.ComplianceRefusedError) as caught:
        reply(chats["ozon"], "Пишите в телеграм")
    assert caught.value.violations == [violation]
    assert (Message.objects.count(), enqueued) == (0, [])


def test_warnings_pass_only_when_overridden(chats, monkeypatch):
    warning = create.TextViolation(rule="too_short", severity="warn", message="Одно слово", start=0, end=7)
    monkeypatch.setattr(create, "reply_text_check", lambda *, chat, text: [warning])

    assert refusal(chats["wildberries"], "Спасибо") == {"compliance": ["Одно слово"]}
    message, created = reply(chats["wildberries"], "Спасибо", override_warnings=True)
    assert created and message.text == "Спасибо"


@pytest.mark.parametrize(("marketplace", "rows"), [("wildberries", 1), ("ozon", 2), ("yandex_market", 2)])
def test_text_and_file_are_one_row_only_where_the_marketplace_takes_both(chats, marketplace, rows):
    upload = SimpleUploadedFile("акт.pdf", pdf_bytes(), content_type="application/pdf")
    message, _created = reply(chats[marketplace], "Акт во вложении", files=[upload])

    stored = list(Message.objects.order_by("id").values_list("text", "attachments__0__name"))
    assert len(stored) == rows
    assert stored[-1][1] == "акт.pdf" and message.pk == Message.objects.order_by("id").last().pk
    assert stored[0][0] == "Акт во вложении"


def test_retry_puts_a_failed_reply_back_and_clears_its_reasons(
    chats, enqueued, django_capture_on_commit_callbacks
):
    message, _created = reply(chats["ozon"], "Ещё раз")
    Message.objects.filter(pk=message.pk).update(
        delivery_status="failed", last_error="Маркетплейс не принял ответ.", last_error_detail="Ozon: 400"
    )
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        retried = create.message_retry(message=message, user=None)

    assert (retried.delivery_status, retried.last_error, retried.last_error_detail) == ("pending", "", "")
    assert enqueued == [("inbox.tasks.deliver_message", (message.pk,))]


def test_a_reply_is_kept_when_the_broker_is_down_at_commit(
    chats, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("django_q.tasks.async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = create.message_send(chat=chats["ozon"], user=None, text="Здравствуйте! Отправим сегодня.")
    message.refresh_from_db()
    assert message.delivery_status == Message.DeliveryStatus.PENDING


def test_a_retried_request_gets_its_reply_back_after_the_window_closed(chats, enqueued):
    """A client whose request timed out retries with the same key; the reply was taken the first time, so
    the retry answers with it, even though the chat would refuse a new reply by now."""
    from datetime import timedelta

    from django.utils import timezone

    key = uuid.uuid4()
    message, created = reply(chats["ozon"], "Отправим замену завтра", key=key)
    assert created
    chats["ozon"].can_reply = False
    chats["ozon"].reply_window_closes_at = timezone.now() - timedelta(minutes=1)
    chats["ozon"].save(update_fields=["can_reply", "reply_window_closes_at"])
    again, created_again = reply(chats["ozon"], "Отправим замену завтра", key=key)
    assert (again.pk, created_again) == (message.pk, False)
    # A new reply is still refused.
    assert "text" in refusal(chats["ozon"], "Отправим замену завтра")
