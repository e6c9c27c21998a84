"""Notifications: buyer message in our database -> Telegram sendMessage, and draining a burst of alerts.

The fake Bot API of the sandbox answers 429 as Telegram does when a chat gets more than about one
message a second or the bot more than 30 a second; the drain counts how many 429s our pacing provoked.
"""

import threading
import time
from datetime import timedelta
from http.server import ThreadingHTTPServer
from types import SimpleNamespace

from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncState
from bench.measure import percentile
from inbox.models import Chat, Message
from notify.models import Notification, NotifyState, TelegramLink
from notify.runner import NotifyLoop
from notify.services.delivery import notifications_deliver
from sandbox.server import _Handler
from sandbox.telegram import BOT_ID, FakeTelegram

TOKEN = f"{BOT_ID}:AAH-bench-token"
LATENCY_TARGET_P95 = 3.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _fake_server() -> tuple[FakeTelegram, _Server, str]:
    fake = FakeTelegram(token=TOKEN)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.sandbox = SimpleNamespace(respond=fake.handle, log_request=lambda *args: None)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return fake, server, f"http://127.0.0.1:{server.server_address[1]}"


def _clean() -> None:
    Notification.objects.all().delete()
    TelegramLink.objects.all().delete()
    User.objects.filter(username__startswith="bench-notify-").delete()
    MarketplaceAccount.objects.filter(name__startswith="bench-notify").delete()
    NotifyState.objects.all().delete()


def _setup(users: int) -> tuple[list[User], Chat]:
    account = MarketplaceAccount.objects.create(
        marketplace="ozon", name="bench-notify", credentials={"client_id": "1", "api_key": "x" * 36}
    )
    SyncState.objects.create(account=account)
    people = [User.objects.create_user(f"bench-notify-{index}") for index in range(users)]
    account.members.set(people)
    for index, person in enumerate(people):
        TelegramLink.objects.create(user=person, telegram_chat_id=900_000 + index)
    chat = Chat.objects.create(account=account, external_id="bench-notify-chat", buyer_name="Анна")
    NotifyState.objects.update_or_create(
        pk=1,
        defaults={
            "last_message_id": Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        },
    )
    return people, chat


def latency(*, samples: int) -> None:
    _clean()
    fake, server, url = _fake_server()
    with override_settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, TELEGRAM_WEBHOOK_SECRET=""):
        _people, chat = _setup(users=1)
        loop = NotifyLoop().start()
        latencies = []
        try:
            for index in range(samples):
                stored = time.time()
                Message.objects.create(
                    chat=Chat.objects.create(
                        account=chat.account, external_id=f"latency-{index}", buyer_name="Анна"
                    ),
                    external_id=f"latency-{index}",
                    direction="in",
                    author="buyer",
                    text=f"Где мой заказ? {index}",
                    created_at=timezone.now(),
                )
                deadline = stored + 10
                while time.time() < deadline and len(fake.sent_log) <= index:
                    time.sleep(0.02)
                if len(fake.sent_log) > index:
                    latencies.append(fake.sent_log[index][2] - stored)
                time.sleep(0.3)
        finally:
            loop.stop()
            server.shutdown()
    p95 = percentile(latencies, 0.95) if latencies else None
    print(
        f"notify latency (buyer message stored -> sendMessage), {samples} samples: "
        f"median {percentile(latencies, 0.5):.2f} s, p95 {p95:.2f} s, lost {samples - len(latencies)} "
        f"(target p95 <= {LATENCY_TARGET_P95} s: {'met' if p95 is not None and p95 <= LATENCY_TARGET_P95 else 'NOT met'})"
    )


def drain(*, alerts: int, users: int) -> None:
    _clean()
    fake, server, url = _fake_server()
    with override_settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, TELEGRAM_WEBHOOK_SECRET=""):
        people, chat = _setup(users=users)
        now = timezone.now()
        Notification.objects.bulk_create(
            [
                Notification(
                    event_key=f"bench:{index}",
                    event="sync_failing",
                    recipient=people[index % users],
                    channel="telegram",
                    account=chat.account,
                    text="bench",
                    next_attempt_at=now - timedelta(seconds=1),
                )
                for index in range(alerts)
            ]
        )
        started = time.monotonic()
        while Notification.objects.filter(status__in=["pending", "sending"]).exists():
            notifications_deliver()
            if time.monotonic() - started > 600:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        server.shutdown()
    sent = Notification.objects.filter(status="sent").count()
    print(
        f"notify drain: {alerts} alerts to {users} people queued at once -> {sent} sent in {elapsed:.1f} s "
        f"({sent / elapsed:.1f}/s), 429 answers from the fake: {fake.rate_limited_answers}, "
        f"duplicates: {len(fake.sent_log) - len({(c, m) for c, m, _t in fake.sent_log})}"
    )
    _clean()


def run(*, quick: bool) -> None:
    latency(samples=5 if quick else 30)
    drain(alerts=200 if quick else 1000, users=20 if quick else 100)
