from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from inbox.models import Chat, Message
from notify.models import NotifyState, TelegramLink, TelegramReply
from notify.services import updates
from notify.tasks import notifications_tick, telegram_poll_once

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = 5550001


def _alert_for(telegram, linked, make_account, make_chat, members=None):
    account = make_account("ozon", members=members if members is not None else [linked])
    chat = make_chat(account, buyer_name="Анна")
    Message.objects.create(
        chat=chat,
        external_id="b1",
        direction="in",
        author="buyer",
        text="Где заказ?",
        created_at=timezone.now(),
    )
    notifications_tick()
    [alert] = [m for m in telegram.chats[PHONE] if m["from"].get("is_bot")]
    return chat, alert


@pytest.fixture
def linked(agent):
    TelegramLink.objects.create(user=agent, telegram_chat_id=PHONE, telegram_name="Агент")
    return agent


def test_reply_to_an_alert_is_sent_once(telegram, linked, make_account, make_chat):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    update = telegram.user_says(
        chat_id=PHONE, text="Заказ приедет завтра, трек уже в личном кабинете.", reply_to=alert["message_id"]
    )
    telegram_poll_once(timeout=0)
    # Telegram redelivers the same update (e.g. our offset write was lost): nothing is sent twice.
    telegram.updates.append(update)
    from notify.models import NotifyState

    NotifyState.objects.update(telegram_update_offset=update["update_id"])
    telegram_poll_once(timeout=0)
    replies = Message.objects.filter(chat=chat, direction="out")
    assert replies.count() == 1
    reply = replies.get()
    assert reply.sent_by == linked and reply.text.startswith("Заказ приедет завтра")
    bot_texts = [m["text"] for m in telegram.chats[PHONE] if m["from"].get("is_bot")]
    assert any("отправляем покупателю" in text for text in bot_texts)
    Message.objects.filter(pk=reply.pk).update(delivery_status="sent")
    notifications_tick()
    last = [m for m in telegram.chats[PHONE] if m["from"].get("is_bot")][-1]
    assert "Доставлено" in last["text"]


def test_refused_reply_says_why_and_queues_nothing(telegram, linked, make_account, make_chat):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    telegram.user_says(chat_id=PHONE, text="х" * 1001, reply_to=alert["message_id"])
    telegram_poll_once(timeout=0)
    assert not Message.objects.filter(chat=chat, direction="out").exists()
    last = [m for m in telegram.chats[PHONE] if m["from"].get("is_bot")][-1]
    assert last["text"].startswith("Не отправлено:") and "длиннее" in last["text"]


def test_reply_needs_membership(telegram, linked, make_account, make_chat):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    chat.account.members.clear()
    telegram.user_says(chat_id=PHONE, text="Ответ", reply_to=alert["message_id"])
    telegram_poll_once(timeout=0)
    assert not Message.objects.filter(chat=chat, direction="out").exists()


def test_take_it_button_assigns(telegram, linked, make_account, make_chat):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    telegram.user_presses(chat_id=PHONE, message_id=alert["message_id"], data=f"take:{chat.pk}")
    telegram_poll_once(timeout=0)
    assert Chat.objects.get(pk=chat.pk).assignee == linked
    assert telegram.callback_answers[-1]["text"] == "Чат теперь ваш."


def test_take_it_refused_for_foreign_chat(telegram, linked, make_account, make_chat, other_agent):
    foreign = make_chat(make_account("wildberries", members=[other_agent]))
    telegram.user_says(chat_id=PHONE, text="hi")
    telegram_poll_once(timeout=0)
    telegram.user_presses(chat_id=PHONE, message_id=1, data=f"take:{foreign.pk}")
    telegram_poll_once(timeout=0)
    assert Chat.objects.get(pk=foreign.pk).assignee is None
    assert telegram.callback_answers[-1]["text"] == "У вас нет доступа к этому чату."


def test_an_update_that_breaks_its_handler_holds_back_no_other(
    telegram, linked, make_account, make_chat, monkeypatch, caplog
):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)

    def database_locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(updates, "chat_assign", database_locked)
    pressed = telegram.user_presses(chat_id=PHONE, message_id=alert["message_id"], data=f"take:{chat.pk}")
    stop = telegram.user_says(chat_id=PHONE, text="/stop")
    with caplog.at_level("INFO"):
        assert telegram_poll_once(timeout=0) == 2
    assert not TelegramLink.objects.exists()  # the update after the broken one was handled
    assert NotifyState.objects.get(pk=1).telegram_update_offset == stop["update_id"] + 1
    assert f"Telegram update {pressed['update_id']} not handled" in caplog.text
    assert telegram.token not in caplog.text
    assert telegram_poll_once(timeout=0) == 0  # confirmed: Telegram sends neither again


class _WorkerKilled(BaseException):
    """The worker process dies here (killed, out of memory): nothing after this line runs."""


def _bot_texts(telegram) -> list[str]:
    return [m["text"] for m in telegram.chats[PHONE] if m["from"].get("is_bot")]


def test_a_reply_cut_short_by_a_dying_worker_is_sent_once_when_telegram_redelivers(
    telegram, linked, make_account, make_chat, monkeypatch
):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    update = telegram.user_says(chat_id=PHONE, text="Заказ приедет завтра.", reply_to=alert["message_id"])

    def killed(**kwargs):
        raise _WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr(updates, "message_send_once", killed)
        with pytest.raises(_WorkerKilled):
            telegram_poll_once(timeout=0)
    # The offset was never confirmed, so Telegram sends the update again.
    assert telegram_poll_once(timeout=0) == 1
    reply = Message.objects.get(chat=chat, direction="out")
    assert reply.text == "Заказ приедет завтра." and reply.sent_by == linked
    assert TelegramReply.objects.get(update_id=update["update_id"]).message == reply
    # Once more (our offset write lost): still one reply and one "accepted".
    telegram.updates.append(update)
    NotifyState.objects.update(telegram_update_offset=update["update_id"])
    telegram_poll_once(timeout=0)
    assert Message.objects.filter(chat=chat, direction="out").count() == 1
    assert sum("отправляем покупателю" in text for text in _bot_texts(telegram)) == 1


def test_a_long_failure_reason_still_reaches_the_user(telegram, linked, make_account, make_chat):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    telegram.user_says(chat_id=PHONE, text="Ответ покупателю", reply_to=alert["message_id"])
    telegram_poll_once(timeout=0)
    # A marketplace's error page kept whole as the reason (Message.last_error has no length limit).
    Message.objects.filter(chat=chat, direction="out").update(
        delivery_status="failed", last_error="Ошибка сервера. " * 1000
    )
    notifications_tick()
    last = _bot_texts(telegram)[-1]
    assert last.startswith("Не доставлено: Ошибка сервера.") and len(last) <= 4096


def test_a_refusal_with_many_findings_still_reaches_the_user(telegram, linked, make_account, make_chat):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    numbers = " ".join(f"+7 900 {index:03d}-45-67" for index in range(150))
    telegram.user_says(chat_id=PHONE, text=f"Звоните: {numbers}", reply_to=alert["message_id"])
    telegram_poll_once(timeout=0)
    assert not Message.objects.filter(chat=chat, direction="out").exists()
    last = _bot_texts(telegram)[-1]
    assert last.startswith("Не отправлено:") and "телефон" in last.lower() and len(last) <= 4096


@pytest.mark.parametrize("character", ["я", "😀"])
def test_a_text_over_telegrams_limit_is_cut_to_fit(telegram, bot, character):
    bot.send_message(chat_id=PHONE, text=character * 5000)
    [sent] = _bot_texts(telegram)
    assert sent.endswith("…") and sent.startswith(character * 100)
    assert len(sent.encode("utf-16-le")) // 2 <= 4096


def test_the_bot_answers_nothing_while_it_waits_out_a_429(telegram, linked, make_account, make_chat):
    from notify.services.delivery import notifications_deliver

    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    now = timezone.now()
    NotifyState.objects.filter(pk=1).update(telegram_paused_until=now + timedelta(seconds=30))
    sends_before = telegram.calls.count("sendMessage")
    telegram.user_says(chat_id=PHONE, text="х" * 1001, reply_to=alert["message_id"])  # refused: too long
    telegram.user_presses(chat_id=PHONE, message_id=alert["message_id"], data=f"take:{chat.pk}")
    telegram_poll_once(timeout=0)
    assert telegram.calls.count("sendMessage") == sends_before
    assert "answerCallbackQuery" not in telegram.calls
    assert Chat.objects.get(pk=chat.pk).assignee == linked  # what was asked is done all the same
    # The refusal waits in the outbox and goes out once the pause is over.
    notifications_deliver(now=now + timedelta(seconds=31))
    last = [m for m in telegram.chats[PHONE] if m["from"].get("is_bot")][-1]
    assert last["text"].startswith("Не отправлено:") and "длиннее" in last["text"]


def test_a_429_on_a_callback_answer_pauses_the_bot(telegram, linked, make_account, make_chat):
    chat, alert = _alert_for(telegram, linked, make_account, make_chat)
    telegram.fail_next(
        "answerCallbackQuery", error_code=429, description="Too Many Requests: retry after 30", retry_after=30
    )
    before = timezone.now()
    telegram.user_presses(chat_id=PHONE, message_id=alert["message_id"], data=f"take:{chat.pk}")
    telegram.user_says(chat_id=PHONE, text="Привет")
    sends_before = telegram.calls.count("sendMessage")
    telegram_poll_once(timeout=0)
    assert NotifyState.objects.get(pk=1).telegram_paused_until >= before + timedelta(seconds=29)
    assert telegram.calls.count("sendMessage") == sends_before
