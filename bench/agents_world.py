"""The world of the many-agents benchmark: an agency's cabinets, a team of agents on each, and buyers who
keep writing while the agents work (each new buyer message carries a unique mark, so an agent's page can
be searched for it and the time from the database to the agent's screen measured)."""

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncState
from bench.datagen import BUYER_NAMES, MARKETPLACE_CREDENTIALS, TEXTS, thread_rows
from inbox.models import Chat, Message
from inbox.services.bulk import rows_insert_ignoring_conflicts

PASSWORD = "bench-password-123"
MESSAGES_PER_CHAT = 10


@dataclass(frozen=True)
class Seat:
    username: str
    account_id: int
    chat_ids: list[int]


def agency_generate(*, agents: int, chats: int, team_size: int, seed: int = 13) -> list[Seat]:
    """`agents` agents in teams of `team_size`, each team on its own cabinet of `chats / teams` chats."""
    randomizer = random.Random(seed)
    teams = max(1, -(-agents // team_size))
    marketplaces = list(MARKETPLACE_CREDENTIALS)
    now = timezone.now()
    accounts = []
    for team in range(teams):
        marketplace = marketplaces[team % len(marketplaces)]
        account, created = MarketplaceAccount.objects.get_or_create(
            name=f"Agency cabinet {team + 1:02d}",
            defaults={"marketplace": marketplace, "credentials": MARKETPLACE_CREDENTIALS[marketplace]},
        )
        if created:
            SyncState.objects.create(account=account, last_success_at=now)
            _chats_generate(account=account, count=chats // teams, randomizer=randomizer, now=now)
        accounts.append(account)
    seats = []
    for index in range(agents):
        user, _created = User.objects.get_or_create(username=f"bench-agent-{index:03d}")
        user.set_password(PASSWORD)
        user.save()
        account = accounts[index // team_size]
        account.members.add(user)
        chat_ids = list(
            Chat.objects.filter(account=account)
            .order_by("-last_message_at")[:300]
            .values_list("pk", flat=True)
        )
        seats.append(Seat(username=user.username, account_id=account.pk, chat_ids=chat_ids))
    return seats


def _chats_generate(*, account: MarketplaceAccount, count: int, randomizer: random.Random, now) -> None:
    with transaction.atomic():
        created = Chat.objects.bulk_create(
            Chat(
                account=account,
                external_id=f"agency-{account.pk}-{number}",
                buyer_name=randomizer.choice(BUYER_NAMES),
                order_number=f"{20000000 + number}-0001-1",
                last_message_at=now - timedelta(seconds=number * 31),
                last_message_preview=randomizer.choice(TEXTS),
                unread_count=number % 2,
                awaiting_reply_since=now - timedelta(seconds=number * 31) if number % 3 == 0 else None,
            )
            for number in range(count)
        )
        rows = thread_rows(
            chats=created,
            per_chat=MESSAGES_PER_CHAT,
            text=lambda incoming: randomizer.choice(TEXTS),
            randomizer=randomizer,
        )
        rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now)


@dataclass
class Written:
    mark: str
    account_id: int
    stored_at: float


@dataclass
class Buyers:
    """Writes a buyer message every `interval` seconds into a random chat, as the ingest would store it."""

    chats: dict[int, int]
    interval: float
    written: list[Written] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def since(self, *, account_id: int, index: int) -> tuple[list[Written], int]:
        with self.lock:
            fresh = self.written[index:]
            return [item for item in fresh if item.account_id == account_id], len(self.written)

    def run(self) -> None:
        randomizer = random.Random(5)
        chat_ids = list(self.chats)
        number = 0
        try:
            while not self.stop.wait(self.interval):
                number += 1
                chat_id = randomizer.choice(chat_ids)
                mark = f"Покупатель спрашивает №{number:06d}"
                now = timezone.now()
                with transaction.atomic():
                    Message.objects.create(
                        chat_id=chat_id,
                        external_id=f"buyer-{uuid.uuid4()}",
                        direction=Message.Direction.IN,
                        author=Message.Author.BUYER,
                        text=mark,
                        created_at=now,
                    )
                    Chat.objects.filter(pk=chat_id).update(
                        last_message_at=now,
                        last_message_preview=mark,
                        unread_count=F("unread_count") + 1,
                        awaiting_reply_since=Coalesce("awaiting_reply_since", now),
                        updated_at=now,
                    )
                with self.lock:
                    self.written.append(
                        Written(mark=mark, account_id=self.chats[chat_id], stored_at=time.monotonic())
                    )
        finally:
            connection.close()
