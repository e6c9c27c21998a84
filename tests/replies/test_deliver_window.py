"""The reply window is checked again when a reply is about to leave, not only when it was written.

A reply accepted while its window was open can wait in the queue (a rate limit, a broker backlog, a
retry) past the moment the marketplace stops taking messages in the chat. Through the real connectors,
with the marketplaces' HTTP answered by `responses` from their official shapes.
"""

from datetime import datetime, timedelta

import pytest
import responses
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import SyncState
from inbox.models import Chat, Message
from inbox.replies import deliver
from inbox.replies.create import message_retry, reply_create
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.ratelimit import RateLimiter
from marketplaces.types import RemoteChat, UpdatesPage
from tests.marketplaces.conftest import OZON_URL, YANDEX_MARKET_BUSINESS_ID, YANDEX_MARKET_URL, fixture_text
from tests.sync.conftest import remote_message

pytestmark = pytest.mark.django_db

OZON_SEND = f"{OZON_URL}/v1/chat/send/message"
YANDEX_MARKET_SEND = f"{YANDEX_MARKET_URL}/v2/businesses/{YANDEX_MARKET_BUSINESS_ID}/chats/message"
OZON_CHAT = "99feb3fc-a474-469f-95d5-268b470cc607"
OZON_WINDOW_CLOSED = (
    "Маркетплейс больше не принимает ответы в этом чате: Ozon: 48 ч после последнего сообщения покупателя."
)
YANDEX_MARKET_FINISHED = (
    "Маркетплейс больше не принимает ответы в этом чате: "
    "Яндекс Маркет: чат завершён, новые сообщения в нём не принимаются.."
)


@pytest.fixture
def clock(monkeypatch):
    """Freezes Django's clock (and the connectors' rate limiter with it) at `clock.now`."""

    class Clock:
        now: datetime = timezone.now()

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    monkeypatch.setattr(
        "marketplaces.registry.RateLimiter", lambda: RateLimiter(clock=lambda: Clock.now.timestamp())
    )
    return Clock


@pytest.fixture
def marketplace_http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


def ingest(chat: Chat, page: UpdatesPage) -> None:
    with transaction.atomic():
        page_apply(account=chat.account, page=page, mode=IngestMode.INCREMENTAL)


def reply(chat: Chat, text: str = "Здравствуйте! Отправим заказ завтра утром.") -> Message:
    with transaction.atomic():
        message, created = reply_create(chat=chat, user=None, text=text, idempotency_key=None)
    assert created
    return message


def assert_failed_before_sending(message: Message, *, reason: str) -> None:
    """Failed with the window's reason and no attempt counted: nothing reached the marketplace."""
    message.refresh_from_db()
    assert (message.delivery_status, message.attempts, message.next_attempt_at) == ("failed", 0, None)
    assert (message.last_error, message.last_error_detail) == (reason, "")


@pytest.fixture
def ozon_chat(make_account, make_chat, clock):
    """An Ozon chat whose buyer wrote 47 h 59 min ago: one minute of the window is left."""
    chat = make_chat(make_account("ozon"), external_id=OZON_CHAT, marketplace_status="OPENED")
    buyer_wrote = clock.now - timedelta(hours=47, minutes=59)
    question = remote_message(OZON_CHAT, "3000000000817031942", "Когда отправите?", created_at=buyer_wrote)
    ingest(chat, UpdatesPage(messages=(question,)))
    chat.refresh_from_db()
    assert chat.reply_window_closes_at == buyer_wrote + timedelta(hours=48)
    return chat


def test_an_ozon_reply_delivered_inside_its_window_is_sent(ozon_chat, clock, marketplace_http):
    marketplace_http.post(OZON_SEND, body=fixture_text("ozon", "send_ok.json"))
    message = reply(ozon_chat)

    assert deliver.message_deliver(message_id=message.pk) == "sent"

    assert [call.request.url for call in marketplace_http.calls] == [OZON_SEND]
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"


def test_a_queued_ozon_reply_whose_window_closed_before_delivery_is_not_sent(
    ozon_chat, clock, marketplace_http
):
    marketplace_http.post(OZON_SEND, body=fixture_text("ozon", "send_ok.json"))
    message = reply(ozon_chat)
    # The delivery task runs two minutes later (a busy worker): the window closed a minute ago.
    clock.now += timedelta(minutes=2)

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    assert len(marketplace_http.calls) == 0
    assert_failed_before_sending(message, reason=OZON_WINDOW_CLOSED)
    assert Chat.objects.get(pk=ozon_chat.pk).awaiting_reply_since is not None
    # A duplicate task finds nothing to send.
    assert deliver.message_deliver(message_id=message.pk) == "skipped"
    assert len(marketplace_http.calls) == 0


def test_an_ozon_reply_held_back_by_a_rate_limit_past_the_window_is_not_sent(
    ozon_chat, clock, marketplace_http
):
    marketplace_http.post(
        OZON_SEND,
        status=429,
        body=fixture_text("ozon", "error_429.json"),
        headers={"Retry-After": "90"},
    )
    message = reply(ozon_chat)

    assert deliver.message_deliver(message_id=message.pk) == "delayed"
    message.refresh_from_db()
    assert message.next_attempt_at == clock.now + timedelta(seconds=90)
    assert len(marketplace_http.calls) == 1
    # The retry comes due after the wait Ozon asked for, half a minute after the window closed.
    marketplace_http.replace(responses.POST, OZON_SEND, body=fixture_text("ozon", "send_ok.json"))
    clock.now = message.next_attempt_at
    assert SyncState.objects.get(pk=ozon_chat.account_id).rate_limited_until <= clock.now

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    assert len(marketplace_http.calls) == 1
    assert_failed_before_sending(message, reason=OZON_WINDOW_CLOSED)


def test_a_yandex_market_chat_finished_after_the_reply_was_queued_is_not_sent(
    make_account, make_chat, clock, marketplace_http
):
    marketplace_http.post(YANDEX_MARKET_SEND, body=fixture_text("yandex_market", "send_ok.json"))
    chat = make_chat(make_account("yandex_market"), external_id="4815162342", marketplace_status="NEW")
    message = reply(chat)
    # The next sync, before the delivery task ran, brings the chat's new status.
    ingest(chat, UpdatesPage(chats=(RemoteChat(external_id="4815162342", marketplace_status="FINISHED"),)))

    assert deliver.message_deliver(message_id=message.pk) == "failed"

    assert len(marketplace_http.calls) == 0
    assert_failed_before_sending(message, reason=YANDEX_MARKET_FINISHED)


def test_retry_of_a_failed_reply_after_the_window_closed_is_refused(
    ozon_chat, clock, marketplace_http, enqueued, django_capture_on_commit_callbacks
):
    marketplace_http.post(OZON_SEND, status=403, body=fixture_text("ozon", "error_403_premium.json"))
    message = reply(ozon_chat)
    assert deliver.message_deliver(message_id=message.pk) == "failed"
    failed = Message.objects.get(pk=message.pk)
    # The agent renews the subscription and presses "retry" after the window closed.
    clock.now += timedelta(minutes=2)
    enqueued.clear()
    with pytest.raises(ValidationError) as create_refused:
        reply(ozon_chat)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        message_retry(message=failed, user=None)

    assert refused.value.message_dict == create_refused.value.message_dict
    assert refused.value.message_dict == {"text": ["Ozon: 48 ч после последнего сообщения покупателя"]}
    assert enqueued == []
    after = Message.objects.get(pk=message.pk)
    assert (after.delivery_status, after.last_error, after.last_error_detail) == (
        "failed",
        failed.last_error,
        failed.last_error_detail,
    )
    assert deliver.message_deliver(message_id=message.pk) == "skipped"
    assert len(marketplace_http.calls) == 1


def test_retry_inside_the_window_still_puts_the_reply_back(
    ozon_chat, clock, marketplace_http, enqueued, django_capture_on_commit_callbacks
):
    marketplace_http.post(OZON_SEND, status=403, body=fixture_text("ozon", "error_403_premium.json"))
    message = reply(ozon_chat)
    assert deliver.message_deliver(message_id=message.pk) == "failed"
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        retried = message_retry(message=Message.objects.get(pk=message.pk), user=None)

    assert (retried.delivery_status, retried.last_error) == ("pending", "")
    assert enqueued == [("inbox.tasks.deliver_message", (message.pk,))]
