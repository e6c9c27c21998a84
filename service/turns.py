"""Buyer turns and response times, exactly as DESIGN.md §13, kept in `ResponseTurn`.

A turn starts at a buyer message when the chat has no open turn and ends at the first later seller
message: a reply typed in the marketplace cabinet (stored without a delivery status) or one of ours
once the marketplace accepted it (`sent`, counted from `sent_at`). Messages are ordered by
`created_at`, then id. Pending, sending, unknown and
failed replies count not at all; marketplace and support messages neither start nor end a turn.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from inbox.models import Chat, Message
from service.models import ResponseTurn
from service.rollup import FACT_COLUMNS, TurnFact, turn_days_apply, turn_fact

REPORT_TIME_ZONE = ZoneInfo("Europe/Moscow")
# Cabinet replies (no delivery status) and our replies the marketplace accepted.
COUNTED_SELLER = Q(author=Message.Author.SELLER, delivery_status__in=["", Message.DeliveryStatus.SENT])
COUNTED_AUTHORS = (Message.Author.BUYER, Message.Author.SELLER)
BATCH = 500


@dataclass(frozen=True)
class TurnFacts:
    """What the deadlines need to know about one chat's messages."""

    open_turn_start: datetime | None = None
    open_turn_is_first: bool = False
    last_buyer_message_at: datetime | None = None


class TurnRow(NamedTuple):
    """A tuple, so that it compares equal to the stored row it would be written as."""

    sequence: int
    started_at: datetime
    answered_at: datetime | None
    answered_by_id: int | None

    @property
    def response_seconds(self) -> int | None:
        if self.answered_at is None:
            return None
        return max(0, int((self.answered_at - self.started_at).total_seconds()))


Event = tuple[datetime, int, str, int | None, datetime]


def turns_compute(*, events: Iterable[Event]) -> tuple[list[TurnRow], TurnFacts]:
    """Turns of one chat from its (created_at, id, author, sent_by, answered_at) events, in any order.

    Events are ordered by `created_at`, then id; `author` is `buyer` or `seller` (other authors are not
    passed). `answered_at` is when a seller message ends a turn: `sent_at` for ours, `created_at` for
    replies typed in the cabinet.
    """
    turns: list[TurnRow] = []
    open_start: datetime | None = None
    last_buyer: datetime | None = None
    # Plain tuple order is (created_at, id) order: no two events of a chat share an id.
    for created_at, _message_id, author, sent_by_id, answered_at in sorted(events):
        if author == Message.Author.BUYER:
            last_buyer = created_at
            if open_start is None:
                open_start = created_at
        elif open_start is not None:
            turns.append(
                TurnRow(
                    sequence=len(turns),
                    started_at=open_start,
                    answered_at=answered_at,
                    answered_by_id=sent_by_id,
                )
            )
            open_start = None
    if open_start is not None:
        turns.append(
            TurnRow(sequence=len(turns), started_at=open_start, answered_at=None, answered_by_id=None)
        )
    facts = TurnFacts(
        open_turn_start=open_start,
        open_turn_is_first=open_start is not None and len(turns) == 1,
        last_buyer_message_at=last_buyer,
    )
    return turns, facts


def _events_by_chat(*, chat_ids: list[int]) -> dict[int, list[Event]]:
    events: dict[int, list[Event]] = {chat_id: [] for chat_id in chat_ids}
    rows = (
        Message.objects.filter(chat_id__in=chat_ids)
        .filter(Q(author=Message.Author.BUYER) | COUNTED_SELLER)
        .order_by()
        .values_list("chat_id", "id", "author", "created_at", "sent_at", "delivery_status", "sent_by_id")
    )
    for chat_id, message_id, author, created_at, sent_at, delivery_status, sent_by_id in rows:
        answered_at = (
            (sent_at or created_at) if delivery_status == Message.DeliveryStatus.SENT else created_at
        )
        events[chat_id].append((created_at, message_id, author, sent_by_id, answered_at))
    return events


def new_chat_events(*, chat_ids: Iterable[int], rows: Iterable[dict[str, Any]]) -> dict[int, list[Event]]:
    """The events of chats whose whole history is `rows` (`chat_ids` were created by the page that
    inserted these message rows), without reading them back.

    The rows carry no ids yet, and the ids decide the order of a buyer and a seller message with the same
    `created_at`: a chat with such a tie is left out, to be read from the database. Marketplace rows
    have no delivery status, so every seller row counts, from its `created_at`.
    """
    events: dict[int, list[Event]] = {chat_id: [] for chat_id in chat_ids}
    author_at: dict[tuple[int, datetime], str] = {}
    tied: set[int] = set()
    for index, row in enumerate(rows):
        author = row["author"]
        if author not in COUNTED_AUTHORS:
            continue
        chat_id, created_at = row["chat_id"], row["created_at"]
        events[chat_id].append((created_at, index, author, None, created_at))
        if author_at.setdefault((chat_id, created_at), author) != author:
            tied.add(chat_id)
    return {chat_id: chat_events for chat_id, chat_events in events.items() if chat_id not in tied}


def chat_turns_refresh(
    *,
    chat_ids: Iterable[int],
    sla_deadline: Callable[[int, TurnRow], datetime | None] | None = None,
    chat_accounts: dict[int, tuple[int, str]] | None = None,
    new_chats_events: dict[int, list[Event]] | None = None,
) -> dict[int, TurnFacts]:
    """Recompute the turns of `chat_ids` from their messages; only chats whose turns changed are written.

    `sla_deadline(account_id, turn)` gives the team's target of a turn, stored with it for reports;
    `chat_accounts` (chat id -> account id, marketplace) saves a query when the caller has them.
    `new_chats_events` holds the complete events of chats created in this transaction (they have no
    stored turns yet): neither their messages nor their turns are read back."""
    chat_ids = sorted(set(chat_ids))
    facts: dict[int, TurnFacts] = {}
    for index in range(0, len(chat_ids), BATCH):
        batch = chat_ids[index : index + BATCH]
        chats = (
            {chat_id: chat_accounts[chat_id] for chat_id in batch}
            if chat_accounts is not None
            else {
                chat_id: (account_id, marketplace)
                for chat_id, account_id, marketplace in Chat.objects.filter(pk__in=batch).values_list(
                    "pk", "account_id", "account__marketplace"
                )
            }
        )
        facts.update(
            _batch_refresh(chats=chats, sla_deadline=sla_deadline, new_chats_events=new_chats_events or {})
        )
    return facts


def _batch_refresh(
    *,
    chats: dict[int, tuple[int, str]],
    sla_deadline: Callable[[int, TurnRow], datetime | None] | None,
    new_chats_events: dict[int, list[Event]],
) -> dict[int, TurnFacts]:
    stored_chat_ids = [chat_id for chat_id in chats if chat_id not in new_chats_events]
    events = {chat_id: new_chats_events[chat_id] for chat_id in chats if chat_id in new_chats_events}
    stored: dict[int, list[tuple]] = {chat_id: [] for chat_id in chats}
    # What each stored turn added to the rollup, taken back if the chat's turns are rewritten.
    stored_facts: dict[int, list[TurnFact]] = {chat_id: [] for chat_id in chats}
    # A batch of new chats only (a backfill page) runs neither query: Django answers an empty `__in`.
    events.update(_events_by_chat(chat_ids=stored_chat_ids))
    for row in (
        ResponseTurn.objects.filter(chat_id__in=stored_chat_ids)
        .order_by("chat_id", "sequence")
        .values("chat_id", "started_at", "answered_at", *FACT_COLUMNS)
    ):
        chat_id = row["chat_id"]
        stored[chat_id].append(
            (row["sequence"], row["started_at"], row["answered_at"], row["answered_by_id"])
        )
        stored_facts[chat_id].append(turn_fact(row))
    return _turns_write(
        chats=chats,
        events=events,
        stored=stored,
        stored_facts=stored_facts,
        sla_deadline=sla_deadline,
        new_chat_ids=set(new_chats_events) & set(chats),
    )


def _turns_write(
    *,
    chats: dict[int, tuple[int, str]],
    events: dict[int, list[Event]],
    stored: dict[int, list[tuple]],
    stored_facts: dict[int, list[TurnFact]],
    sla_deadline: Callable[[int, TurnRow], datetime | None] | None,
    new_chat_ids: set[int],
) -> dict[int, TurnFacts]:
    """Compute each chat's turns from its events and rewrite the chats whose turns differ from `stored`.

    `new_chat_ids` were created by the caller's transaction: no other can write their turns."""
    facts: dict[int, TurnFacts] = {}
    changed: dict[int, list[TurnRow]] = {}
    for chat_id in chats:
        turns, facts[chat_id] = turns_compute(events=events[chat_id])
        if turns != stored[chat_id]:
            changed[chat_id] = turns
    if changed:
        # One transaction: the old turns, the new ones and the rollup move together.
        with transaction.atomic(savepoint=False):
            # A chat whose turns changed gets all of them rewritten: simpler than diffing and still rare
            # (an answer usually closes the last turn, a buyer message opens one).
            had_turns = [chat_id for chat_id in changed if stored[chat_id]]
            if had_turns:
                ResponseTurn.objects.filter(chat_id__in=had_turns).delete()
            # Imported here: inbox.services imports this module (the ingest hook).
            from inbox.services.bulk import rows_insert_of_chats

            new_rows = [
                {
                    "chat_id": chat_id,
                    "account_id": chats[chat_id][0],
                    "marketplace": chats[chat_id][1],
                    "sequence": turn.sequence,
                    "started_at": turn.started_at,
                    "start_day": turn.started_at.astimezone(REPORT_TIME_ZONE).date(),
                    "answered_at": turn.answered_at,
                    "response_seconds": turn.response_seconds,
                    "answered_by_id": turn.answered_by_id,
                    "sla_deadline": deadline,
                    "sla_met": None
                    if turn.answered_at is None or deadline is None
                    else turn.answered_at <= deadline,
                }
                for chat_id, turns in changed.items()
                for turn in turns
                for deadline in [sla_deadline(chats[chat_id][0], turn) if sla_deadline else None]
            ]
            rows_insert_of_chats(model=ResponseTurn, rows=new_rows, now=None, new_chat_ids=new_chat_ids)
            turn_days_apply(
                removed=(fact for chat_id in had_turns for fact in stored_facts[chat_id]),
                added=(turn_fact(row) for row in new_rows),
            )
    return facts
