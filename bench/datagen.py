"""Generate a large inbox directly in the database: accounts, chats and messages in bulk."""

import random
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat, Message
from inbox.services.bulk import rows_insert_ignoring_conflicts

MARKETPLACE_CREDENTIALS = {
    "wildberries": {"token": "eyJhbGciOiJFUzI1NiJ9.eyJhY2MiOjMsInNpZCI6ImJlbmNoIn0.c2ln"},
    "ozon": {"client_id": "100001", "api_key": "bench-api-key"},
    "yandex_market": {"api_key": "ACMA:bench:0001", "business_id": "100001"},
}
BUYER_NAMES = ["Анна", "Иван", "Мария", "Олег", "Светлана", "Дмитрий", "Екатерина", "Павел"]
TEXTS = [
    "Здравствуйте! Когда будет доставка?",
    "Подскажите, подойдёт ли размер M?",
    "Пришёл товар с повреждённой упаковкой, что делать?",
    "Спасибо, всё получили.",
    "Можно ли оформить возврат?",
]


def thread_rows(
    *, chats: list[Chat], per_chat: int, text: Callable[[bool], str], randomizer: random.Random
) -> list[dict]:
    """Message rows for bulk insert: `per_chat` alternating buyer and seller messages a minute apart, the
    last a minute before the chat's last activity; `text(incoming)` writes each one."""
    rows = []
    for chat in chats:
        for index in range(per_chat):
            incoming = index % 2 == 0
            rows.append(
                {
                    "chat_id": chat.pk,
                    "external_id": f"{chat.external_id}-{index}",
                    "direction": "in" if incoming else "out",
                    "author": "buyer" if incoming else "seller",
                    "text": text(incoming),
                    "attachments": [],
                    "created_at": chat.last_message_at - timedelta(minutes=per_chat - index),
                    "is_read": True,
                    "delivery_status": "" if incoming else "sent",
                    # Like production: only our replies carry an idempotency key.
                    "idempotency_key": None if incoming else uuid.UUID(int=randomizer.getrandbits(128)),
                }
            )
    return rows


def server_wait(*, base: str, attempts: int = 150) -> None:
    """Until the web server started by a benchmark answers its login page (or the attempts run out)."""
    for _ in range(attempts):
        try:
            urllib.request.urlopen(f"{base}/login/", timeout=1)
            return
        except OSError:
            time.sleep(0.2)


def inbox_generate(*, chats: int, messages_per_chat: int, seed: int = 7) -> User:
    """Create `chats` chats spread over three accounts, each with `messages_per_chat` messages."""
    randomizer = random.Random(seed)
    agent, _created = User.objects.get_or_create(username="bench-agent")
    agent.set_password("bench-password-123")
    agent.save()
    if Chat.objects.filter(account__members=agent).count() >= chats:
        return agent
    now = timezone.now()
    accounts = []
    for marketplace, credentials in MARKETPLACE_CREDENTIALS.items():
        account = MarketplaceAccount.objects.create(
            marketplace=marketplace, name=f"Bench {marketplace}", credentials=credentials
        )
        account.members.add(agent)
        SyncState.objects.create(account=account, last_success_at=now)
        accounts.append(account)
    batch = 5000
    for start in range(0, chats, batch):
        count = min(batch, chats - start)
        with transaction.atomic():
            rows = []
            for offset in range(count):
                number = start + offset
                last_at = now - timedelta(seconds=number * 17)
                rows.append(
                    Chat(
                        account=accounts[number % len(accounts)],
                        external_id=f"bench-{number}",
                        buyer_name=randomizer.choice(BUYER_NAMES),
                        order_number=f"{10000000 + number}-0001-1",
                        product_sku=str(500000 + number % 3000),
                        unread_count=number % 3,
                        last_message_at=last_at,
                        last_message_preview=randomizer.choice(TEXTS),
                        awaiting_reply_since=last_at if number % 4 == 0 else None,
                    )
                )
            created = Chat.objects.bulk_create(rows)
            messages = thread_rows(
                chats=created,
                per_chat=messages_per_chat,
                text=lambda incoming: randomizer.choice(TEXTS),
                randomizer=randomizer,
            )
            rows_insert_ignoring_conflicts(model=Message, rows=messages, now=now)
    return agent
