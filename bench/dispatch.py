"""Dispatch latency: how long a due account waits for its sync to start, and a push's mark-due to sync start.

A real django-q2 cluster (`manage.py qcluster`, default two workers, ORM broker) and `manage.py
dispatcher` run as separate processes on the benchmark database against the sandbox. Polling is set to
an hour so that only the due times this benchmark sets trigger syncs. "Start" is the SyncRun the worker
creates right after it takes the account's lease.
"""

import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from bench.measure import percentile
from inbox.sync import account_mark_due, account_sync
from sandbox import SandboxServer, WorldOptions

ROOT = Path(__file__).resolve().parent.parent
DUE_WAIT_TARGET_SECONDS = 2.0


def run_start_wait(*, account: MarketplaceAccount, after: datetime, timeout: float = 30) -> datetime | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = (
            SyncRun.objects.filter(account=account, kind=SyncRun.Kind.SYNC, started_at__gte=after)
            .order_by("started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        if started is not None:
            return started
        time.sleep(0.02)
    return None


def idle_wait(account: MarketplaceAccount) -> None:
    """Until no run of the account is in progress (its lease is free)."""
    for _attempt in range(500):
        state = SyncState.objects.get(pk=account.pk)
        if state.lease_until is None or state.lease_until < timezone.now():
            return
        time.sleep(0.02)


def report(label: str, samples: list[float], lost: int) -> None:
    if not samples:
        print(f"  {label}: no sync started")
        return
    median = sorted(samples)[len(samples) // 2]
    print(
        f"  {label:34} median {median:5.2f} s   p95 {percentile(samples, 0.95):5.2f} s   "
        f"max {max(samples):5.2f} s   n={len(samples)}, lost {lost}"
    )


def run(*, samples: int) -> None:
    options = WorldOptions(seed=41, cabinets_per_marketplace=2, chats=10, questions=0)
    with SandboxServer(options=options) as sandbox, override_settings(**sandbox.urls):
        sandbox.set_buyers_interval(0)
        accounts = []
        for marketplace in ("wildberries", "ozon", "yandex_market"):
            for reference in (0, 1):
                cabinet = sandbox.world.cabinet_find(marketplace=marketplace, reference=reference)
                account = MarketplaceAccount.objects.create(
                    marketplace=marketplace,
                    name=f"dispatch {marketplace} {reference}",
                    credentials=dict(cabinet.credentials),
                )
                SyncState.objects.create(account=account)
                account_sync(account_id=account.pk, force=True)
                accounts.append(account)
        MarketplaceAccount.objects.exclude(pk__in=[account.pk for account in accounts]).update(
            is_active=False
        )
        far = timezone.now() + timedelta(hours=1)
        SyncState.objects.filter(account__in=accounts).update(next_sync_at=far)

        env = {
            **os.environ,
            **sandbox.urls,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SYNC_INTERVAL_SECONDS": "3600",
        }
        processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", command],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for command in ("qcluster", "dispatcher")
        ]
        randomizer = random.Random(7)
        try:
            time.sleep(5)
            due_waits: list[float] = []
            lost = 0
            for index in range(samples):
                account = accounts[index % len(accounts)]
                idle_wait(account)
                due = timezone.now() + timedelta(seconds=randomizer.uniform(0.3, 1.7))
                SyncState.objects.filter(pk=account.pk).update(next_sync_at=due)
                started = run_start_wait(account=account, after=due - timedelta(seconds=1))
                if started is None:
                    lost += 1
                else:
                    due_waits.append(max(0.0, (started - due).total_seconds()))
                time.sleep(randomizer.uniform(0, 0.5))
            print("  qcluster (2 workers, ORM broker) + manage.py dispatcher, six accounts:")
            report("due account: due time -> sync start", due_waits, lost)
            verdict = (
                "ok" if due_waits and percentile(due_waits, 0.95) <= DUE_WAIT_TARGET_SECONDS else "ABOVE"
            )
            print(f"           target p95 <= {DUE_WAIT_TARGET_SECONDS:.0f} s: {verdict}")

            push_waits: list[float] = []
            lost = 0
            for index in range(samples):
                account = accounts[index % len(accounts)]
                if account.marketplace == "wildberries":
                    continue  # no pushes
                idle_wait(account)
                marked = timezone.now()
                with transaction.atomic():
                    account_mark_due(account_id=account.pk, reason="push")
                started = run_start_wait(account=account, after=marked)
                if started is None:
                    lost += 1
                else:
                    push_waits.append((started - marked).total_seconds())
                SyncState.objects.filter(pk=account.pk).update(next_sync_at=far)
                time.sleep(randomizer.uniform(0, 0.5))
            report("push: mark due -> sync start", push_waits, lost)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
