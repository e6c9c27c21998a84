import io
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from accounts.models import SyncRun, SyncState
from accounts.selectors import account_health_for_user
from inbox import sync
from inbox.attachments import attachment_fetch
from inbox.models import Chat, Message
from inbox.sync import engine
from inbox.tasks import refresh_database_statistics
from marketplaces.errors import AttachmentRejectedError, RateLimitedError
from marketplaces.types import Author, RemoteChat, UpdatesPage
from tests.sync.conftest import at, remote_message

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_setup_schedules_is_idempotent():
    # post_migrate already created them once for the test database.
    assert set(Schedule.objects.values_list("name", flat=True)) == {
        "dispatch-sync",
        "outbox-sweep",
        "snooze-wake",
        "sla-advance",
        "database-statistics",
        "notifications-tick",
        "telegram-poll",
        "personal-data-retention",
        "daily-digest",
        "classify-messages",
        "ozon-ratings",
    }
    Schedule.objects.filter(name="dispatch-sync").update(minutes=15)

    run("setup_schedules")
    run("setup_schedules")

    assert Schedule.objects.filter(name="dispatch-sync").count() == 1
    assert Schedule.objects.filter(name="outbox-sweep").count() == 1
    dispatch = Schedule.objects.get(name="dispatch-sync")
    assert (dispatch.func, dispatch.schedule_type, dispatch.minutes, dispatch.repeats) == (
        "inbox.tasks.dispatch_sync",
        Schedule.MINUTES,
        1,
        -1,
    )
    assert Schedule.objects.get(name="database-statistics").minutes == 60
    ratings = Schedule.objects.get(name="ozon-ratings")
    assert (ratings.func, ratings.minutes) == ("service.tasks.ozon_ratings_daily", 24 * 60)


def test_setup_schedules_removes_duplicates_left_by_hand():
    Schedule.objects.create(
        name="dispatch-sync", func="inbox.tasks.dispatch_sync", schedule_type=Schedule.MINUTES
    )
    run("setup_schedules")
    assert Schedule.objects.filter(name="dispatch-sync").count() == 1


def test_sync_chats_runs_one_pass_and_prints_a_summary(make_account, fake_connector):
    account = make_account("ozon", name="Основной")
    SyncState.objects.filter(pk=account.pk).update(next_sync_at=timezone.now() + timedelta(minutes=5))
    fake_connector.set_pages(
        UpdatesPage(messages=(remote_message("c1", "1"), remote_message("c1", "2", minute=1)))
    )

    output = run("sync_chats", "--account", str(account.pk))

    assert f"#{account.pk} Ozon «Основной»: success; pages 1, requests 1, chats 1, new messages 2" in output
    assert Message.objects.count() == 2


def test_sync_chats_reports_a_rate_limited_account_without_calling_it(make_account, fake_connector):
    account = make_account("ozon")
    SyncState.objects.filter(pk=account.pk).update(rate_limited_until=timezone.now() + timedelta(minutes=5))
    output = run("sync_chats")
    assert "rate limited until" in output
    assert fake_connector.fetch_calls == []


def test_sync_chats_exits_non_zero_when_an_account_fails(make_account, fake_connector):
    make_account("ozon")
    fake_connector.set_pages(RateLimitedError("Ozon ограничил частоту запросов", retry_after=5))
    with pytest.raises(CommandError):
        run("sync_chats")


def test_sync_chats_unknown_account(make_account):
    with pytest.raises(CommandError, match="No account"):
        run("sync_chats", "--account", "999")


def history_pages():
    return (
        UpdatesPage(
            chats=(RemoteChat(external_id="old", buyer_name="Иван"),),
            messages=(
                remote_message("old", "1", "Вопрос", minute=-10000),
                remote_message("old", "2", "Ответ", author=Author.SELLER, minute=-9990),
            ),
        ),
        UpdatesPage(
            messages=(
                remote_message("waiting", "3", "Где заказ?", minute=-500),
                remote_message("waiting", "4", "Ау?", minute=-400),
            )
        ),
    )


def test_backfill_keeps_timestamps_marks_read_and_flags_only_unanswered(make_account, fake_connector):
    account = make_account("ozon")
    fake_connector.set_history(*history_pages())

    output = run("backfill_chats", "--account", str(account.pk), "--since", "2025-01-01")

    assert "Done: 2 pages, created 4 messages" in output
    assert "pages 2 · messages 4" in output
    assert not Message.objects.filter(is_read=False).exists()
    assert Message.objects.get(external_id="1").created_at == at(-10000)
    answered = Chat.objects.get(external_id="old")
    waiting = Chat.objects.get(external_id="waiting")
    assert (answered.unread_count, answered.awaiting_reply_since) == (0, None)
    assert (waiting.unread_count, waiting.awaiting_reply_since) == (0, at(-500))
    state = SyncState.objects.get(pk=account.pk)
    assert state.backfill_finished_at is not None
    assert state.backfill_cursor == {"since": "2025-01-01", "connector": {"page": 2}, "finished": True}
    assert state.cursor == {}
    run_row = SyncRun.objects.get(kind="backfill")
    assert (run_row.outcome, run_row.pages, run_row.messages_created) == ("success", 2, 4)


def test_backfill_resumes_after_an_interruption(make_account, fake_connector):
    account = make_account("ozon")
    first, second = history_pages()
    fake_connector.set_history(first, RuntimeError("killed"), second)

    with pytest.raises(RuntimeError):
        sync.account_backfill(account_id=account.pk, since=date(2025, 1, 1))
    assert Message.objects.count() == 2
    assert SyncState.objects.get(pk=account.pk).lease_owner == ""

    progress = sync.account_backfill(account_id=account.pk, since=date(2025, 1, 1))

    assert fake_connector.history_calls == [{}, {"page": 1}, {"page": 1}, {"page": 2}]
    assert progress.finished and Message.objects.count() == 4


def test_ctrl_c_during_a_backfill_releases_the_lease_and_closes_the_run(make_account, fake_connector):
    account = make_account("ozon")
    first, second = history_pages()
    fake_connector.set_history(first, KeyboardInterrupt(), second)

    with pytest.raises(KeyboardInterrupt):
        sync.account_backfill(account_id=account.pk, since=date(2025, 1, 1))

    assert SyncState.objects.get(pk=account.pk).lease_owner == ""
    run_record = SyncRun.objects.get(account=account, kind=SyncRun.Kind.BACKFILL)
    assert run_record.outcome == SyncRun.Outcome.FAILED
    assert "Прервано" in run_record.error
    # The regular sync can take the account straight away.
    assert sync.sync_lease_acquire(account_id=account.pk, owner="worker", require_due=False)


def test_backfill_dry_run_writes_nothing(make_account, fake_connector, monkeypatch):
    account = make_account("ozon")
    fake_connector.set_history(*history_pages())
    statistics_refreshed = []
    monkeypatch.setattr(engine, "database_statistics_refresh", lambda: statistics_refreshed.append(True))

    output = run("backfill_chats", "--account", str(account.pk), "--dry-run")

    assert "would create 4 messages" in output
    assert Message.objects.count() == 0 and Chat.objects.count() == 0
    assert SyncRun.objects.count() == 0
    assert SyncState.objects.get(pk=account.pk).backfill_cursor == {}
    assert statistics_refreshed == []  # ANALYZE writes too


def test_backfill_waits_out_a_short_rate_limit(make_account, fake_connector):
    account = make_account("ozon")
    first, second = history_pages()
    fake_connector.set_history(first, RateLimitedError("limit", retry_after=3), second)
    slept = []

    progress = sync.account_backfill(account_id=account.pk, sleep=slept.append)

    assert slept == [3]
    assert progress.finished and Message.objects.count() == 4


def test_backfill_stops_on_a_long_rate_limit_and_can_resume(make_account, fake_connector):
    account = make_account("wildberries")
    first, second = history_pages()
    fake_connector.set_history(first, RateLimitedError("1 запрос в час", retry_after=3600), second)

    progress = sync.account_backfill(account_id=account.pk, sleep=lambda seconds: None)

    until = SyncState.objects.get(pk=account.pk).rate_limited_until
    assert until > timezone.now()
    assert not progress.finished
    assert progress.stopped_reason == (
        f"Маркетплейс ограничил частоту запросов до {timezone.localtime(until):%H:%M:%S}. "
        "Запустите команду снова позже — она продолжит с того же места."
    )
    assert sync.account_backfill(account_id=account.pk).finished
    assert Message.objects.count() == 4


def test_backfill_rejects_a_bad_date(make_account):
    account = make_account("ozon")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("backfill_chats", "--account", str(account.pk), "--since", "01.02.2025")


def test_account_health_for_user_shows_only_member_accounts(make_account, agent):
    now = timezone.now()
    mine = make_account("ozon", name="Мой", members=[agent])
    make_account("wildberries", name="Чужой")
    SyncState.objects.filter(pk=mine.pk).update(
        last_success_at=now - timedelta(minutes=3),
        last_error="Ozon временно недоступен",
        consecutive_failures=2,
        rate_limited_until=now + timedelta(minutes=1),
        capability_notes="Нужна подписка Premium Plus",
    )

    [health] = account_health_for_user(user=agent)

    assert (health.account_id, health.name, health.marketplace) == (mine.pk, "Мой", "ozon")
    assert timedelta(minutes=3) <= health.lag < timedelta(minutes=4)
    assert health.last_error == "Ozon временно недоступен"
    assert health.rate_limited_until is not None
    assert health.capability_notes == "Нужна подписка Premium Plus"
    assert health.is_healthy is False


def test_attachment_fetch_goes_through_the_connector(make_account, make_chat, fake_connector):
    chat = make_chat(make_account("wildberries"))
    message = Message.objects.create(
        chat=chat,
        external_id="e1",
        direction="in",
        author="buyer",
        created_at=at(0),
        attachments=[
            {"kind": "file", "name": "Чек.pdf", "remote_id": "ecaeb056"},
            {"kind": "image", "remote_id": "x", "moderation": "rejected"},
        ],
    )
    download = attachment_fetch(message=message, index=0)
    assert (download.content, download.name) == (b"%PDF-1.4", "ecaeb056.pdf")
    with pytest.raises(AttachmentRejectedError):
        attachment_fetch(message=message, index=1)
    with pytest.raises(IndexError):
        attachment_fetch(message=message, index=2)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its own statistics")
def test_backfill_leaves_planner_statistics_for_sqlite(make_account, fake_connector):
    account = make_account("ozon")
    fake_connector.set_history(*history_pages())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")

    sync.account_backfill(account_id=account.pk, since=date(2025, 1, 1))

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        analysed = {row[0] for row in cursor.fetchall()}
    assert {"inbox_chat", "inbox_message"} <= analysed
    assert refresh_database_statistics() is True


@pytest.mark.django_db(transaction=True)
def test_dispatcher_command_hands_a_due_account_over_and_stops_on_sigterm(make_account):
    """The real `manage.py dispatcher` process against the test database."""
    account = make_account("ozon")
    later = make_account("ozon", name="later")
    SyncState.objects.filter(pk=later.pk).update(next_sync_at=timezone.now() + timedelta(hours=1))
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "dispatcher", "--max-sleep", "0.2"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not OrmQ.objects.exists():
            time.sleep(0.1)
        time.sleep(0.5)  # a second look must not queue the reserved account again
    finally:
        process.send_signal(signal.SIGTERM)
        output, errors = process.communicate(timeout=60)

    assert process.returncode == 0, errors
    state = SyncState.objects.get(pk=account.pk)
    (task,) = [queued.task for queued in OrmQ.objects.all()]
    assert (task["func"], task["args"]) == ("inbox.tasks.sync_account", (account.pk, state.lease_owner))
    assert SyncState.objects.get(pk=later.pk).lease_owner == ""
    assert output.splitlines() == [
        "Dispatcher running; syncs run in the qcluster workers.",
        "Dispatcher stopped after handing over 1 syncs.",
    ]
