"""Turns kept by ingest pages (DESIGN.md §13): the chats a page creates get their turns from the page's own
rows, and those equal a recount from the stored messages."""

import random
from datetime import date, timedelta

import pytest
from django.db import transaction

from inbox.models import Chat
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.types import Author, RemoteChat, UpdatesPage
from service.deadlines import DEADLINE_FIELDS, chat_deadlines_refresh
from service.models import ResponseTurn
from service.rollup import turn_days_rebuild
from service.turns import new_chat_events
from tests.service.test_rollup import rollup_rows
from tests.sync.conftest import at, remote_message
from tests.sync.test_bulk_ingest import random_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_writes")]
BUYER, SELLER, SUPPORT = Author.BUYER, Author.SELLER, Author.SUPPORT


def turns_of(account) -> dict[str, list[tuple]]:
    turns: dict[str, list[tuple]] = {}
    for external_id, *turn in (
        ResponseTurn.objects.filter(account=account)
        .order_by("chat__external_id", "sequence")
        .values_list(
            "chat__external_id",
            "sequence",
            "started_at",
            "answered_at",
            "response_seconds",
            "start_day",
            "sla_deadline",
            "sla_met",
        )
    ):
        turns.setdefault(external_id, []).append(tuple(turn))
    return turns


def deadlines_of(account) -> dict[str, list]:
    return {
        chat.external_id: [getattr(chat, name) for name in DEADLINE_FIELDS]
        for chat in Chat.objects.filter(account=account)
    }


def page_of(*messages) -> UpdatesPage:
    external_ids = sorted({message.chat_external_id for message in messages})
    return UpdatesPage(
        chats=tuple(RemoteChat(external_id=external_id) for external_id in external_ids), messages=messages
    )


def apply(account, page: UpdatesPage, mode: IngestMode = IngestMode.BACKFILL) -> None:
    with transaction.atomic():
        page_apply(account=account, page=page, mode=mode)


@pytest.mark.parametrize("mode", [IngestMode.INCREMENTAL, IngestMode.BACKFILL])
@pytest.mark.parametrize("seed", range(4))
def test_turns_from_the_page_equal_a_recount_from_the_database(make_account, mode, seed):
    account = make_account("ozon")
    # Minutes from a small range: buyer and seller messages of one chat share timestamps in some chats.
    apply(account, random_page(random.Random(seed), chats=25), mode)
    kept_turns, kept_deadlines, kept_rollup = turns_of(account), deadlines_of(account), rollup_rows()
    assert sum(len(turns) for turns in kept_turns.values()) > 10

    with transaction.atomic():
        chat_deadlines_refresh(chat_ids=Chat.objects.filter(account=account).values_list("pk", flat=True))
    assert turns_of(account) == kept_turns
    assert deadlines_of(account) == kept_deadlines
    turn_days_rebuild()
    assert rollup_rows() == kept_rollup


def test_two_new_chats_each_closing_a_turn_in_one_page(make_account):
    account = make_account("ozon")
    apply(
        account,
        page_of(
            remote_message("a", "1", author=BUYER, minute=0),
            remote_message("b", "2", author=BUYER, minute=1),
            remote_message("a", "3", author=SUPPORT, minute=2),
            remote_message("b", "4", author=SELLER, minute=4),
            remote_message("a", "5", author=SELLER, minute=10),
            remote_message("a", "6", author=BUYER, minute=11),
        ),
    )
    day = date(2026, 11, 20)
    turns = {
        chat: [
            (sequence, started, answered, seconds, start_day)
            for sequence, started, answered, seconds, start_day, *_ in rows
        ]
        for chat, rows in turns_of(account).items()
    }
    assert turns == {
        "a": [(0, at(0), at(10), 600, day), (1, at(11), None, None, day)],
        "b": [(0, at(1), at(4), 180, day)],
    }
    chat_a = Chat.objects.get(account=account, external_id="a")
    chat_b = Chat.objects.get(account=account, external_id="b")
    assert chat_a.sla_state != Chat.SlaState.NONE and chat_a.reply_deadline is not None
    assert (chat_b.sla_state, chat_b.reply_deadline) == (Chat.SlaState.NONE, None)


@pytest.mark.parametrize("seller_first", [True, False])
def test_a_buyer_and_a_seller_message_at_the_same_time_follow_the_message_ids(make_account, seller_first):
    account = make_account("ozon")
    buyer = remote_message("a", "b", author=BUYER, minute=5)
    seller = remote_message("a", "s", author=SELLER, minute=5)
    messages = (seller, buyer) if seller_first else (buyer, seller)
    rows = [
        {"chat_id": 1, "author": str(message.author), "created_at": message.created_at}
        for message in messages
    ]
    # The page's rows cannot tell which of the two got the lower id: that chat is read back instead.
    assert new_chat_events(chat_ids=[1], rows=rows) == {}
    apply(account, page_of(*messages))
    turns = [(sequence, answered) for sequence, _start, answered, *_rest in turns_of(account)["a"]]
    # Inserted in page order: the message inserted first has the lower id and comes first.
    assert turns == ([(0, None)] if seller_first else [(0, at(5))])


def test_a_known_chat_then_an_older_backfill_page_renumbers_its_turns(make_account):
    account = make_account("ozon")
    apply(
        account,
        page_of(
            remote_message("a", "10", author=BUYER, minute=600),
            remote_message("a", "11", author=SELLER, minute=605),
        ),
        IngestMode.INCREMENTAL,
    )
    apply(account, page_of(remote_message("a", "12", author=BUYER, minute=700)), IngestMode.INCREMENTAL)
    # The history walk brings the older messages with their original timestamps, the day before.
    apply(
        account,
        page_of(
            remote_message("a", "1", author=BUYER, minute=-900),
            remote_message("a", "2", author=BUYER, minute=-890),
            remote_message("a", "3", author=SELLER, minute=-880),
        ),
    )
    turns = [turn[:5] for turn in turns_of(account)["a"]]
    assert turns == [
        (0, at(-900), at(-880), 1200, date(2026, 11, 19)),
        (1, at(600), at(605), 300, date(2026, 11, 20)),
        (2, at(700), None, None, date(2026, 11, 20)),
    ]
    kept = rollup_rows()
    turn_days_rebuild()
    assert rollup_rows() == kept
    chat = Chat.objects.get(account=account, external_id="a")
    assert chat.reply_deadline == at(700) + timedelta(minutes=60)
