from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import SyncRun, SyncState
from inbox import sync
from inbox.models import Chat, Message
from inbox.services.ingest import IngestMode, page_apply
from inbox.sync import engine
from marketplaces.types import Author, SkippedItem, UpdatesPage
from tests.sync.conftest import at, remote_message, snapshot, two_pages

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_writes")]


def test_first_sync_creates_chats_messages_aggregates_and_records_the_run(make_account, fake_connector):
    account = make_account("ozon")
    fake_connector.set_pages(*two_pages())
    before = timezone.now()

    outcome = sync.account_sync(account_id=account.pk)

    assert outcome.ran and outcome.outcome == SyncRun.Outcome.SUCCESS
    assert fake_connector.fetch_calls == [{}, {"page": 1}]
    chat = Chat.objects.get(account=account, external_id="c1")
    assert (chat.buyer_name, chat.order_number, chat.product_sku, chat.product_title) == (
        "Алёна",
        "47873153-0052-1",
        "987654321",
        "Чайник",
    )
    assert chat.marketplace_status == "OPENED"
    assert chat.unread_count == 3
    assert chat.awaiting_reply_since == at(1)
    assert (chat.last_message_at, chat.last_message_external_id, chat.last_message_preview) == (
        at(3),
        "1003",
        "Спасибо, жду",
    )
    other = Chat.objects.get(account=account, external_id="c2")
    assert other.unread_count == 1 and other.last_message_external_id == "2001"
    assert Message.objects.filter(chat__account=account).count() == 4
    run = SyncRun.objects.get(account=account)
    assert (run.kind, run.outcome, run.pages, run.requests, run.messages_created, run.chats_upserted) == (
        "sync",
        "success",
        2,
        2,
        4,
        2,
    )
    state = SyncState.objects.get(pk=account.pk)
    assert state.cursor == {"page": 2}
    assert state.last_success_at >= before and state.last_attempt_at >= before
    assert state.consecutive_failures == 0 and state.last_error == ""
    assert state.lease_owner == "" and state.lease_until is None
    expected_next = before + timedelta(seconds=60)
    assert expected_next <= state.next_sync_at <= timezone.now() + timedelta(seconds=60)


def test_reapplying_a_page_changes_nothing(make_account, django_assert_max_num_queries):
    account = make_account("ozon")
    first, second = two_pages()
    with transaction.atomic():
        page_apply(account=account, page=first, mode=IngestMode.INCREMENTAL)
        page_apply(account=account, page=second, mode=IngestMode.INCREMENTAL)
    before = snapshot()

    with transaction.atomic(), django_assert_max_num_queries(6):
        again_first = page_apply(account=account, page=first, mode=IngestMode.INCREMENTAL)
        again_second = page_apply(account=account, page=second, mode=IngestMode.INCREMENTAL)

    assert snapshot() == before
    for result in (again_first, again_second):
        assert (result.chats_upserted, result.messages_created, result.messages_updated) == (0, 0, 0)


def test_rerunning_the_whole_sync_from_scratch_changes_nothing(make_account, fake_connector):
    account = make_account("ozon")
    fake_connector.set_pages(*two_pages())
    sync.account_sync(account_id=account.pk)
    before = snapshot()
    SyncState.objects.filter(pk=account.pk).update(cursor={}, next_sync_at=None)

    outcome = sync.account_sync(account_id=account.pk)

    assert outcome.ran and outcome.counts.messages_created == 0 and outcome.counts.chats_upserted == 0
    assert snapshot() == before


def test_crash_between_upsert_and_cursor_commit_loses_and_duplicates_nothing(
    make_account, fake_connector, monkeypatch
):
    account = make_account("ozon")
    fake_connector.set_pages(*two_pages())
    real_apply = engine.page_apply
    calls = {"n": 0}

    def crashing_apply(**kwargs):
        result = real_apply(**kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed after the upsert of page 2")
        return result

    monkeypatch.setattr(engine, "page_apply", crashing_apply)
    outcome = sync.account_sync(account_id=account.pk)

    assert outcome.outcome == SyncRun.Outcome.FAILED
    assert SyncState.objects.get(pk=account.pk).cursor == {"page": 1}
    assert set(Message.objects.values_list("external_id", flat=True)) == {"1001", "1002"}

    monkeypatch.setattr(engine, "page_apply", real_apply)
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=None)
    sync.account_sync(account_id=account.pk)

    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["1001", "1002", "1003", "2001"]
    assert Chat.objects.get(external_id="c1").unread_count == 3


def test_equal_timestamps_across_a_page_boundary_are_not_lost(make_account, fake_connector):
    account = make_account("ozon")
    same = at(5)
    fake_connector.set_pages(
        UpdatesPage(messages=(remote_message("c1", "3000000000000000009", "первое", created_at=same),)),
        # An inclusive cursor repeats the boundary item next to a new one with the same timestamp.
        UpdatesPage(
            messages=(
                remote_message("c1", "3000000000000000009", "первое", created_at=same),
                remote_message("c1", "3000000000000000010", "второе", created_at=same),
            )
        ),
    )

    sync.account_sync(account_id=account.pk)

    chat = Chat.objects.get(external_id="c1")
    assert sorted(chat.messages.values_list("external_id", flat=True)) == [
        "3000000000000000009",
        "3000000000000000010",
    ]
    assert chat.last_message_external_id == "3000000000000000010"
    assert chat.unread_count == 2


def test_last_message_tie_break_does_not_depend_on_page_order(make_account):
    account = make_account("ozon")
    same = at(5)
    newer = UpdatesPage(messages=(remote_message("c1", "10", "десятое", created_at=same),))
    older = UpdatesPage(messages=(remote_message("c1", "9", "девятое", created_at=same),))
    with transaction.atomic():
        page_apply(account=account, page=newer, mode=IngestMode.INCREMENTAL)
        page_apply(account=account, page=older, mode=IngestMode.INCREMENTAL)
    assert Chat.objects.get().last_message_external_id == "10"


def test_seller_message_from_the_cabinet_clears_awaiting_and_a_buyer_reopens_a_resolved_chat(make_account):
    account = make_account("ozon")
    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(messages=(remote_message("c1", "1", "Вопрос", minute=1),)),
            mode=IngestMode.INCREMENTAL,
        )
    chat = Chat.objects.get()
    assert chat.awaiting_reply_since == at(1)

    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(messages=(remote_message("c1", "2", "Ответ", author=Author.SELLER, minute=2),)),
            mode=IngestMode.INCREMENTAL,
        )
    chat.refresh_from_db()
    assert chat.awaiting_reply_since is None
    assert Message.objects.get(external_id="2").direction == "out"

    Chat.objects.filter(pk=chat.pk).update(status=Chat.Status.RESOLVED)
    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(messages=(remote_message("c1", "3", "Ещё вопрос", minute=3),)),
            mode=IngestMode.INCREMENTAL,
        )
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN
    assert chat.awaiting_reply_since == at(3)


def test_late_old_buyer_message_does_not_reopen_a_resolved_chat(make_account):
    account = make_account("ozon")
    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(messages=(remote_message("c1", "5", "Новое", minute=5),)),
            mode=IngestMode.INCREMENTAL,
        )
    Chat.objects.update(status=Chat.Status.RESOLVED)
    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(messages=(remote_message("c1", "4", "Старое", minute=4),)),
            mode=IngestMode.INCREMENTAL,
        )
    assert Chat.objects.get().status == Chat.Status.RESOLVED


def test_marketplace_read_flag_marks_messages_read_and_edits_update_text(make_account):
    account = make_account("ozon")
    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(messages=(remote_message("c1", "1", "Привет", minute=1),)),
            mode=IngestMode.INCREMENTAL,
        )
    with transaction.atomic():
        result = page_apply(
            account=account,
            page=UpdatesPage(messages=(remote_message("c1", "1", "Привет!", minute=1, is_read=True),)),
            mode=IngestMode.INCREMENTAL,
        )
    message = Message.objects.get()
    assert (message.text, message.is_read, result.messages_updated) == ("Привет!", True, 1)
    assert Chat.objects.get().unread_count == 0


def test_malformed_items_are_recorded_on_the_run_and_skipped(make_account, fake_connector):
    account = make_account("ozon")
    fake_connector.set_pages(
        UpdatesPage(
            messages=(remote_message("c1", "1", minute=1),),
            skipped=(SkippedItem(reason="нет поля created_at", reference="message 77"),),
        )
    )

    outcome = sync.account_sync(account_id=account.pk)

    assert outcome.outcome == "success"
    assert outcome.skipped_items == ["message 77: нет поля created_at"]
    assert SyncRun.objects.get().items_skipped == 1
    assert Message.objects.count() == 1


def test_positions_come_from_one_query(make_account, django_assert_num_queries):
    account = make_account("ozon")
    with transaction.atomic():
        page_apply(
            account=account,
            page=UpdatesPage(
                messages=(remote_message("c1", "11", minute=1), remote_message("c2", "21", minute=2))
            ),
            mode=IngestMode.INCREMENTAL,
        )
    with django_assert_num_queries(1):
        positions = sync.chat_positions_get(account_id=account.pk, chat_external_ids=["c1", "c2", "unknown"])
    assert set(positions) == {"c1", "c2"}
    assert positions["c2"].last_message_external_id == "21"
    assert positions["c2"].last_message_at == at(2)


def test_positions_callback_is_handed_to_the_connector(make_account, fake_connector):
    account = make_account("ozon")
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "11", minute=1),)))
    sync.account_sync(account_id=account.pk)
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "12", minute=2),)))
    SyncState.objects.filter(pk=account.pk).update(cursor={}, next_sync_at=None)

    sync.account_sync(account_id=account.pk)

    assert fake_connector.position_lookups[-1]["c1"].last_message_external_id == "11"


def test_a_worker_whose_lease_was_taken_over_cannot_write_its_page(make_account, fake_connector):
    account = make_account("ozon")

    def steal() -> None:
        SyncState.objects.filter(pk=account.pk).update(
            lease_owner="thief", lease_until=timezone.now() + timedelta(minutes=5)
        )

    fake_connector.before_fetch = steal
    fake_connector.set_pages(UpdatesPage(messages=(remote_message("c1", "1"),)))

    outcome = sync.account_sync(account_id=account.pk)

    assert outcome.outcome == "failed"
    assert Message.objects.count() == 0
    assert SyncState.objects.get(pk=account.pk).lease_owner == "thief"


def test_inactive_accounts_are_never_synced(make_account, fake_connector):
    account = make_account("ozon", is_active=False)
    assert sync.account_sync(account_id=account.pk).ran is False
    assert sync.account_sync(account_id=account.pk, force=True).ran is False
    assert fake_connector.fetch_calls == []


def test_max_pages_per_run_leaves_the_account_due(make_account, fake_connector, monkeypatch):
    monkeypatch.setattr(engine, "MAX_PAGES_PER_RUN", 1)
    account = make_account("ozon")
    fake_connector.set_pages(*two_pages())
    outcome = sync.account_sync(account_id=account.pk)
    assert outcome.counts.pages == 1
    state = SyncState.objects.get(pk=account.pk)
    assert state.cursor == {"page": 1}
    assert state.next_sync_at <= timezone.now()
