"""The set-based write path: raw inserts and updates agree with the ORM, and a new chat's aggregates
computed from the page equal the ones counted in the database."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inbox.models import Chat, Message
from inbox.services.aggregates import (
    AGGREGATE_FIELDS,
    _counts_query,
    chat_aggregates_refresh,
    counts_from_rows,
)
from inbox.services.bulk import rows_insert_ignoring_conflicts, rows_update_by_pk
from inbox.services.ingest import IngestMode, page_apply
from marketplaces.types import Author, RemoteAttachment, RemoteChat, UpdatesPage
from tests.sync.conftest import at, remote_message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_writes")]


def message_row(chat: Chat, external_id: str, **values) -> dict:
    return {
        "chat_id": chat.pk,
        "external_id": external_id,
        "direction": "in",
        "author": "buyer",
        "text": "Здравствуйте",
        "attachments": [],
        "created_at": at(1),
        "idempotency_key": None,
        "is_read": False,
        **values,
    }


def test_insert_round_trips_every_column_type_and_skips_conflicts(make_account, bulk_writes):
    chat = Chat.objects.create(account=make_account("ozon"), external_id="c1")
    now = timezone.now()
    rows = [
        message_row(
            chat,
            "1",
            attachments=[{"kind": "image", "name": "фото <1>.jpg", "size": 10}],
            created_at=at(1) + timedelta(microseconds=123456),
        ),
        message_row(chat, "2", direction="out", author="seller", is_read=True, text=""),
    ]
    with transaction.atomic():
        assert rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now) == 2
        assert rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now) == 0

    first, second = Message.objects.order_by("external_id")
    assert first.attachments == [{"kind": "image", "name": "фото <1>.jpg", "size": 10}]
    assert first.created_at == at(1) + timedelta(microseconds=123456)
    if bulk_writes == "raw":
        assert first.inserted_at == now
    else:  # the ORM sets auto_now_add fields itself
        assert now < first.inserted_at <= timezone.now()
    assert (first.delivery_status, first.attempts, first.idempotency_key, first.is_read) == (
        "",
        0,
        None,
        False,
    )
    assert (second.direction, second.author, second.is_read, second.text) == ("out", "seller", True, "")
    # Stored in the same format as ORM writes, so range filters and ordering agree.
    assert list(Message.objects.filter(created_at__gt=at(1)).values_list("external_id", flat=True)) == ["1"]
    assert Message.objects.filter(created_at=at(1)).get().external_id == "2"


def test_a_per_row_default_must_be_given(make_account):
    chat = Chat.objects.create(account=make_account("ozon"), external_id="c1")
    row = message_row(chat, "1")
    del row["idempotency_key"]
    with pytest.raises(ValueError, match="idempotency_key"):
        rows_insert_ignoring_conflicts(model=Message, rows=[row], now=timezone.now())


def test_idempotency_keys_stay_unique_but_many_messages_have_none(make_account):
    chat = Chat.objects.create(account=make_account("ozon"), external_id="c1")
    key = uuid.uuid4()
    Message.objects.create(chat=chat, direction="out", author="seller", created_at=at(1), idempotency_key=key)
    Message.objects.create(chat=chat, direction="in", author="buyer", created_at=at(2), idempotency_key=None)
    Message.objects.create(chat=chat, direction="in", author="buyer", created_at=at(3), idempotency_key=None)
    reply = Message.objects.create(chat=chat, direction="out", author="seller", created_at=at(4))
    assert reply.idempotency_key is not None  # replies created through the ORM still get one
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            chat=chat, direction="out", author="seller", created_at=at(5), idempotency_key=key
        )


def test_update_by_pk_sets_only_the_named_fields(make_account):
    account = make_account("ozon")
    first = Chat.objects.create(account=account, external_id="c1", buyer_name="Анна")
    second = Chat.objects.create(account=account, external_id="c2", buyer_name="Олег")
    rows_update_by_pk(
        model=Chat,
        field_names=["unread_count", "awaiting_reply_since", "status"],
        rows=[(first.pk, [3, at(5), Chat.Status.RESOLVED]), (second.pk, [0, None, Chat.Status.OPEN])],
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.unread_count, first.awaiting_reply_since, first.status, first.buyer_name) == (
        3,
        at(5),
        "resolved",
        "Анна",
    )
    assert (second.unread_count, second.awaiting_reply_since, second.buyer_name) == (0, None, "Олег")


def random_page(randomizer: random.Random, *, chats: int) -> UpdatesPage:
    messages = []
    for chat_number in range(chats):
        for index in range(randomizer.randint(0, 12)):
            author = randomizer.choice([Author.BUYER, Author.BUYER, Author.SELLER, Author.SUPPORT])
            messages.append(
                remote_message(
                    f"c{chat_number}",
                    f"{chat_number}-{index}",
                    author=author,
                    # Whole minutes from a small range: equal timestamps happen, as on the marketplaces.
                    minute=randomizer.randint(0, 20),
                    is_read=randomizer.random() < 0.3,
                    attachments=(RemoteAttachment(kind="image", name="фото.jpg"),)
                    if randomizer.random() < 0.1
                    else (),
                )
            )
    randomizer.shuffle(messages)
    return UpdatesPage(
        chats=tuple(RemoteChat(external_id=f"c{number}") for number in range(chats)), messages=tuple(messages)
    )


@pytest.mark.parametrize("mode", [IngestMode.INCREMENTAL, IngestMode.BACKFILL])
@pytest.mark.parametrize("seed", range(6))
def test_new_chat_aggregates_from_the_page_equal_the_database_count(make_account, mode, seed):
    account = make_account("ozon")
    with transaction.atomic():
        page_apply(account=account, page=random_page(random.Random(seed), chats=15), mode=mode)
    chats = list(Chat.objects.filter(account=account))
    stored = {
        chat.pk: [getattr(chat, name) for name in AGGREGATE_FIELDS if name != "updated_at"] for chat in chats
    }
    counted = _counts_query(chat_ids={chat.pk for chat in chats})
    rows = list(
        Message.objects.filter(chat__account=account).values(
            "chat_id", "direction", "author", "is_read", "created_at"
        )
    )
    assert counts_from_rows(chat_ids=counted, rows=rows) == counted

    # Recounting every chat from the database changes nothing the page-based path stored.
    with transaction.atomic():
        chat_aggregates_refresh(chats=chats)
    for chat in Chat.objects.filter(account=account):
        assert [getattr(chat, name) for name in AGGREGATE_FIELDS if name != "updated_at"] == stored[chat.pk]
    assert any(values[0] for values in stored.values()) == (mode == IngestMode.INCREMENTAL)
    assert any(values[1] for values in stored.values())


def buyer_and_seller_at_the_same_time(page: UpdatesPage) -> bool:
    authors: dict[tuple, set] = {}
    for message in page.messages:
        if message.author in (Author.BUYER, Author.SELLER):
            authors.setdefault((message.chat_external_id, message.created_at), set()).add(message.author)
    return any(len(found) > 1 for found in authors.values())


def test_backfill_page_of_new_chats_uses_a_fixed_number_of_queries(
    make_account, django_assert_num_queries, bulk_writes
):
    account = make_account("ozon")
    small = random_page(random.Random(1), chats=3)
    large = random_page(random.Random(2), chats=60)
    # PostgreSQL adds one: the page's commit does not wait for the WAL flush.
    if bulk_writes == "orm":
        pytest.skip("the ORM path's statements grow with the rows (batches bounded by query parameters)")
    # 5 for the page itself, 7 for the turns and deadlines of its chats (service.deadlines: policies, new
    # turns, chat updates; the rollup: lock its rows, create the missing ones, lock those, update; no
    # savepoint). The new chats' messages and chats are not read back; only chats where a buyer and a
    # seller message share a timestamp (their ids decide the order) have their messages and turns read
    # and their turns written apart from the others (which go straight in: no other transaction can
    # see chats created by this one): three queries more, however many such chats.
    for page, ties in ((small, False), (large, True)):
        assert buyer_and_seller_at_the_same_time(page) == ties
    expected = 12 + (connection.vendor == "postgresql")
    with transaction.atomic(), django_assert_num_queries(expected) as small_queries:
        page_apply(account=account, page=small, mode=IngestMode.BACKFILL)
    other = make_account("ozon")
    with transaction.atomic(), django_assert_num_queries(expected + 3):
        page_apply(account=other, page=large, mode=IngestMode.BACKFILL)
    assert "INSERT INTO" in " ".join(query["sql"] for query in small_queries.captured_queries)


@pytest.mark.parametrize("per_statement", [30_000, 4])
def test_update_by_pk_round_trips_json_bytes_and_nulls_in_any_chunk(make_account, monkeypatch, per_statement):
    from inbox.services import bulk

    monkeypatch.setattr(bulk, "POSTGRESQL_PARAMETERS_PER_STATEMENT", per_statement)
    account = make_account("ozon")
    chats = [Chat.objects.create(account=account, external_id=f"c{index}") for index in range(5)]
    extras = [
        {},
        {"order": "0146-2", "note": 'кавычки " и \\ слэш'},
        {"list": [1, None, "ё"]},
        {"nested": {"a": True}},
        {},
    ]
    # The first row carries NULLs: the casts, not its values, type the VALUES list.
    rows_update_by_pk(
        model=Chat,
        field_names=["awaiting_reply_since", "extras", "unread_count"],
        rows=[
            (chat.pk, [None if index == 0 else at(index), extras[index], index])
            for index, chat in enumerate(chats)
        ],
    )
    for index, chat in enumerate(chats):
        chat.refresh_from_db()
        assert (chat.awaiting_reply_since, chat.extras, chat.unread_count) == (
            None if index == 0 else at(index),
            extras[index],
            index,
        )

    from service.models import TurnDay

    day = TurnDay.objects.create(start_day=at(0).date(), account=account, marketplace="ozon", first=True)
    rows_update_by_pk(
        model=TurnDay, field_names=["response_times", "turns"], rows=[(day.pk, [b"\x00\x01\xff", 7])]
    )
    day.refresh_from_db()
    assert (bytes(day.response_times), day.turns) == (b"\x00\x01\xff", 7)


@pytest.mark.parametrize("enabled_before", [True, False])
def test_a_page_is_applied_with_the_collector_paused_and_its_state_restored(
    make_account, monkeypatch, enabled_before
):
    import gc

    from inbox.services import ingest

    seen: list[bool] = []
    original = ingest.chat_aggregates_refresh

    def recording(**arguments):
        seen.append(gc.isenabled())
        return original(**arguments)

    monkeypatch.setattr(ingest, "chat_aggregates_refresh", recording)
    account = make_account("ozon")
    (gc.enable if enabled_before else gc.disable)()
    try:
        with transaction.atomic():
            page_apply(account=account, page=random_page(random.Random(3), chats=4), mode=IngestMode.BACKFILL)
        assert seen == [False]
        assert gc.isenabled() == enabled_before

        # A page that fails part-way still gives the collector back.
        monkeypatch.setattr(ingest, "chat_aggregates_refresh", lambda **arguments: 1 / 0)
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            page_apply(account=account, page=random_page(random.Random(4), chats=4), mode=IngestMode.BACKFILL)
        assert gc.isenabled() == enabled_before
    finally:
        gc.enable()


def test_new_rows_go_straight_in_and_a_conflict_is_an_error_not_a_skip(make_account, bulk_writes):
    from inbox.services.bulk import rows_insert_new

    chat = Chat.objects.create(account=make_account("ozon"), external_id="c1")
    rows = [message_row(chat, "m1"), message_row(chat, "m2", author="seller", direction="out")]
    with transaction.atomic():
        assert rows_insert_new(model=Message, rows=rows, now=timezone.now()) == 2
    assert sorted(chat.messages.values_list("external_id", "author")) == [("m1", "buyer"), ("m2", "seller")]
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert_new(model=Message, rows=[message_row(chat, "m1")], now=timezone.now())
    assert chat.messages.count() == 2


def test_chats_another_transaction_created_are_not_taken_for_the_pages_own(make_account, monkeypatch):
    """Outside the lease, a chat may appear between the page's read and its insert: its stored messages
    must meet the page's as usual (skipped, not an error), and it must not count as created."""
    from inbox.services import ingest

    account = make_account("ozon")
    real_insert = ingest.rows_insert_ignoring_conflicts

    def racing_insert(*, model, rows, now):
        if model is Chat:
            other = Chat.objects.create(account=account, external_id="c1")
            Message.objects.create(
                chat=other, external_id="m1", direction="in", author="buyer", text="раньше", created_at=at(0)
            )
        return real_insert(model=model, rows=rows, now=now)

    monkeypatch.setattr(ingest, "rows_insert_ignoring_conflicts", racing_insert)
    page = UpdatesPage(
        chats=(RemoteChat(external_id="c1"), RemoteChat(external_id="c2")),
        messages=(
            remote_message("c1", "m1"),
            remote_message("c1", "m2", minute=1),
            remote_message("c2", "m3", minute=2),
        ),
    )
    with transaction.atomic():
        result = page_apply(account=account, page=page, mode=IngestMode.BACKFILL)
    # The stored message was met as stored messages are: updated from the page, not inserted again.
    assert (result.chats_created, result.messages_created, result.messages_updated) == (1, 2, 1)
    stored = Message.objects.filter(chat__account=account)
    assert sorted(stored.values_list("chat__external_id", "external_id", "text")) == [
        ("c1", "m1", "сообщение m1"),
        ("c1", "m2", "сообщение m2"),
        ("c2", "m3", "сообщение m3"),
    ]


def test_dates_and_times_in_any_form_are_stored_as_the_orm_stores_them(make_account, bulk_writes):
    """UTC as `datetime.UTC` (what parsing and `timezone.now()` give), another zone, and a date column
    given a date or a datetime: each read back equal to what the ORM stores for the same value."""
    from zoneinfo import ZoneInfo

    from service.models import ResponseTurn

    account = make_account("ozon")
    chat = Chat.objects.create(account=account, external_id="c1")
    moscow = ZoneInfo("Europe/Moscow")
    started = [
        datetime(2026, 3, 1, 21, 30, 5, 120000, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 59, 59, tzinfo=moscow),
        datetime(2026, 3, 2, 0, 0, tzinfo=ZoneInfo("UTC")),
    ]
    days = [date(2026, 3, 2), datetime(2026, 3, 1, 22, 0, tzinfo=UTC), date(2026, 3, 2)]
    base = {"chat_id": chat.pk, "account_id": account.pk, "marketplace": "ozon", "answered_by_id": None}
    rows = [
        {
            **base,
            "sequence": index,
            "started_at": started_at,
            "start_day": day,
            "answered_at": None if index == 2 else started_at + timedelta(minutes=5),
            "response_seconds": None if index == 2 else 300,
            "sla_deadline": started_at.astimezone(moscow) + timedelta(hours=1),
            "sla_met": None if index == 2 else True,
        }
        for index, (started_at, day) in enumerate(zip(started, days, strict=True))
    ]
    assert rows_insert_ignoring_conflicts(model=ResponseTurn, rows=rows, now=timezone.now()) == 3
    stored = list(ResponseTurn.objects.order_by("sequence").values(*rows[0]))
    ResponseTurn.objects.all().delete()
    ResponseTurn.objects.bulk_create([ResponseTurn(**row) for row in rows])
    assert stored == list(ResponseTurn.objects.order_by("sequence").values(*rows[0]))
    # The datetime's day in the project's zone (Moscow: 01:00 on the 2nd), as Django's DateField takes it.
    assert [row["start_day"] for row in stored] == [date(2026, 3, 2)] * 3
    assert [row["started_at"] for row in stored] == started
    # Range filters on the stored text agree with the instants.
    assert ResponseTurn.objects.filter(started_at__lt=datetime(2026, 3, 1, 21, 0, tzinfo=UTC)).count() == 1
