"""Ingest speed: a 50,000-message Ozon backfill from the sandbox, then the same pages through our bulk
ingest (with the turn bookkeeping of DESIGN.md §13, and without it for comparison; three runs each, the
median counts) and through a naive loop (per message: look up, then create; commit per chat), same
database."""

import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat, Message
from inbox.services.ingest import IngestMode, page_apply
from inbox.sync import account_backfill
from marketplaces import registry
from marketplaces.types import UpdatesPage
from sandbox import SandboxServer, WorldOptions

TARGET_RATIO = 20.0
BULK_RUNS = 3


def account_new(*, name: str, credentials: dict) -> MarketplaceAccount:
    account = MarketplaceAccount.objects.create(marketplace="ozon", name=name, credentials=credentials)
    SyncState.objects.create(account=account)
    return account


def pages_fetch(account: MarketplaceAccount) -> list[UpdatesPage]:
    connector = registry.get_connector(account)
    pages, cursor = [], {}
    while True:
        page = connector.fetch_history(cursor=cursor, since=None)
        pages.append(page)
        if not page.has_more:
            return pages
        cursor = page.cursor


def naive_ingest(*, account: MarketplaceAccount, pages: list[UpdatesPage]) -> int:
    """The obvious loop a first version would write: one lookup and one insert per message."""
    created = 0
    by_chat: dict[str, list] = {}
    for page in pages:
        for message in page.messages:
            by_chat.setdefault(message.chat_external_id, []).append(message)
    for chat_external_id, messages in by_chat.items():
        with transaction.atomic():
            chat = Chat.objects.filter(account=account, external_id=chat_external_id).first()
            if chat is None:
                chat = Chat.objects.create(account=account, external_id=chat_external_id)
            for remote in messages:
                if Message.objects.filter(chat=chat, external_id=remote.external_id).exists():
                    continue
                Message.objects.create(
                    chat=chat,
                    external_id=remote.external_id,
                    direction=remote.direction,
                    author=str(remote.author),
                    text=remote.text,
                    created_at=remote.created_at,
                    is_read=True,
                )
                created += 1
    return created


@dataclass
class DatabaseTime:
    """Seconds spent inside the database driver: running statements, and committing."""

    statements: float = 0.0
    commits: float = 0.0

    @property
    def total(self) -> float:
        return self.statements + self.commits

    def statement_timer(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements += time.perf_counter() - started


def bulk_ingest(
    *, account: MarketplaceAccount, pages: list[UpdatesPage], database_time: DatabaseTime | None = None
) -> int:
    created = 0
    with ExitStack() as stack:
        if database_time is not None:
            stack.enter_context(connection.execute_wrapper(database_time.statement_timer))
        for page in pages:
            with transaction.atomic():
                created += page_apply(account=account, page=page, mode=IngestMode.BACKFILL).messages_created
                before_commit = time.perf_counter()
            if database_time is not None:
                database_time.commits += time.perf_counter() - before_commit
    return created


@dataclass
class BulkRun:
    created: int
    seconds: float
    database_time: DatabaseTime

    @property
    def rate(self) -> float:
        return self.created / self.seconds


def bulk_runs(*, pages: list[UpdatesPage], label: str) -> tuple[BulkRun, list[float]]:
    """The bulk ingest of the same pages into BULK_RUNS new accounts: the run of median speed and every
    run's messages per second. One run lasts 2-4 s, so a stall of the machine (a shared virtual machine)
    during it would move the ratio by itself; the naive loop lasts a minute or more and averages its
    stalls out."""
    runs = []
    for number in range(BULK_RUNS):
        account = account_new(name=f"bench {label} {number}", credentials={"client_id": "1", "api_key": "x"})
        database_time = DatabaseTime()
        started = time.perf_counter()
        created = bulk_ingest(account=account, pages=pages, database_time=database_time)
        runs.append(
            BulkRun(created=created, seconds=time.perf_counter() - started, database_time=database_time)
        )
    median = sorted(runs, key=lambda run: run.rate)[len(runs) // 2]
    return median, [run.rate for run in runs]


def database_floor_text(*, run: BulkRun, naive_seconds: float) -> str:
    """On SQLite every statement runs inside this process, so the time in the driver is the database's
    own work: with no Python around it, the ratio could be at most naive / that time."""
    if connection.vendor != "sqlite":
        return ""
    spent = run.database_time
    return (
        f"    of which inside SQLite: statements {spent.statements:.2f} s + commits {spent.commits:.2f} s"
        f" = {spent.total:.2f} s, Python {run.seconds - spent.total:.2f} s;"
        f" the ratio if the Python took no time: {naive_seconds / spent.total:.1f}x"
    )


def rates_text(rates: list[float]) -> str:
    return f"median of {len(rates)} runs: " + ", ".join(f"{rate:,.0f}" for rate in rates) + " /s"


def queries_per_page(*, pages: list[UpdatesPage], stamp: str) -> int:
    """The median statements of one page (with query logging on, so measured apart from the timings)."""
    account = account_new(name=f"bench queries {stamp}", credentials={"client_id": "1", "api_key": "x"})
    counts = []
    with CaptureQueriesContext(connection) as captured:
        for page in pages:
            before = len(captured.captured_queries)
            with transaction.atomic():
                page_apply(account=account, page=page, mode=IngestMode.BACKFILL)
            counts.append(len(captured.captured_queries) - before)
    return round(statistics.median(counts))


def run(*, messages: int) -> None:
    per_chat = 50
    chats = messages // per_chat
    options = WorldOptions(
        seed=11, cabinets_per_marketplace=1, chats=chats, messages_per_chat=per_chat, questions=0
    )
    with SandboxServer(options=options) as sandbox, override_settings(**sandbox.urls):
        cabinet = sandbox.world.cabinet_find(marketplace="ozon", reference=0)
        stamp = time.strftime("%H%M%S")
        backfilled = account_new(name=f"bench backfill {stamp}", credentials=dict(cabinet.credentials))
        started = time.perf_counter()
        progress = account_backfill(account_id=backfilled.pk)
        backfill_seconds = time.perf_counter() - started
        stored = Message.objects.filter(chat__account=backfilled).count()
        print(
            f"  backfill from sandbox (HTTP + ingest): {stored:,} messages in {backfill_seconds:.1f} s = "
            f"{stored / backfill_seconds:,.0f} messages/s ({progress.counts.requests} requests)"
        )

        fetch_account = account_new(name=f"bench fetch {stamp}", credentials=dict(cabinet.credentials))
        started = time.perf_counter()
        pages = pages_fetch(fetch_account)
        print(f"  fetching the same pages only: {time.perf_counter() - started:.1f} s")

    bulk, bulk_rates = bulk_runs(pages=pages, label=f"bulk {stamp}")

    # The same pages with the turns, deadlines and rollup left out: what the bookkeeping costs.
    with mock.patch("inbox.services.ingest.page_chat_deadlines_refresh"):
        bare, bare_rates = bulk_runs(pages=pages, label=f"bare {stamp}")
        bare_queries = queries_per_page(pages=pages, stamp=f"{stamp} bare")
    bulk_queries = queries_per_page(pages=pages, stamp=stamp)

    naive_account = account_new(name=f"bench naive {stamp}", credentials={"client_id": "1", "api_key": "x"})
    started = time.perf_counter()
    naive_created = naive_ingest(account=naive_account, pages=pages)
    naive_seconds = time.perf_counter() - started

    assert bulk.created == bare.created == naive_created == stored, (bulk.created, naive_created, stored)
    naive_rate = naive_created / naive_seconds
    ratio = bulk.rate / naive_rate
    print(
        f"  bulk ingest (page_apply):  {bulk.created:,} messages in {bulk.seconds:6.1f} s = {bulk.rate:9,.0f} /s"
        f"  ({bulk_queries} queries per {len(pages[0].messages):,}-message page; {rates_text(bulk_rates)})"
    )
    if floor := database_floor_text(run=bulk, naive_seconds=naive_seconds):
        print(floor)
    print(
        f"  same, turn bookkeeping off: {bare.created:,} messages in {bare.seconds:6.1f} s = {bare.rate:9,.0f} /s"
        f"  ({bare_queries} queries per page; {rates_text(bare_rates)})"
    )
    if floor := database_floor_text(run=bare, naive_seconds=naive_seconds):
        print(floor)
    print(
        f"  naive loop:                {naive_created:,} messages in {naive_seconds:6.1f} s = {naive_rate:9,.0f} /s"
    )
    verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
    print(
        f"  ratio bulk / naive, turn bookkeeping on:  {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x: {verdict})"
    )
    print(f"  ratio bulk / naive, turn bookkeeping off: {bare.rate / naive_rate:.1f}x")
    print(f"  ratio full backfill incl. HTTP / naive DB-only: {stored / backfill_seconds / naive_rate:.1f}x")
