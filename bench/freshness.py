"""Freshness: seconds from a buyer message appearing in the sandbox to it being in our database.

A real web server (gunicorn, for the push receivers), a real django-q2 cluster and the dispatcher run as
separate processes on the benchmark database; the sandbox pushes to the web server or is only polled.
"""

import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import MarketplaceAccount, SyncState
from bench.measure import percentile
from inbox.models import Message
from inbox.sync import account_sync
from sandbox import SandboxServer, WorldOptions

ROOT = Path(__file__).resolve().parent.parent
PORT = 8766
POLL_INTERVAL_SECONDS = 10
PUSH_TARGET_P95 = 3.0


def control(sandbox: SandboxServer, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{sandbox.control_url}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(text: str, *, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if Message.objects.filter(text=text).exists():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def measure(
    sandbox: SandboxServer, accounts: list[MarketplaceAccount], *, samples: int, timeout: float, label: str
) -> None:
    randomizer = random.Random(5)
    latencies: list[float] = []
    lost = 0
    for index in range(samples):
        account = accounts[index % len(accounts)]
        text = f"Свежесть {label} {index} {time.time_ns()}: когда будет доставка?"
        chat_id = next(iter(sandbox.world.cabinet_find(marketplace=account.marketplace, reference=0).chats))
        control(
            sandbox, "/buyer-message", {"marketplace": account.marketplace, "chat_id": chat_id, "text": text}
        )
        latency = wait_for(text, timeout=timeout)
        if latency is None:
            lost += 1
        else:
            latencies.append(latency)
        time.sleep(randomizer.uniform(0, 2 if label == "push" else POLL_INTERVAL_SECONDS))
    if latencies:
        median = sorted(latencies)[len(latencies) // 2]
        print(
            f"  {label:8} median {median:5.2f} s   p95 {percentile(latencies, 0.95):5.2f} s   max {max(latencies):5.2f} s"
            f"   n={len(latencies)}, not arrived within {timeout:.0f} s: {lost}"
        )
    else:
        print(f"  {label}: no message arrived within {timeout:.0f} s")
    return latencies


def run(*, samples: int) -> None:
    call_command("migrate", verbosity=0)
    options = WorldOptions(seed=31, cabinets_per_marketplace=1, chats=20, questions=0)
    with SandboxServer(options=options) as sandbox, override_settings(**sandbox.urls):
        sandbox.set_buyers_interval(0)
        accounts = []
        for marketplace in ("ozon", "yandex_market"):
            cabinet = sandbox.world.cabinet_find(marketplace=marketplace, reference=0)
            account = MarketplaceAccount.objects.create(
                marketplace=marketplace, name=f"fresh {marketplace}", credentials=dict(cabinet.credentials)
            )
            SyncState.objects.create(account=account)
            account_sync(account_id=account.pk, force=True)
            accounts.append(account)
        MarketplaceAccount.objects.exclude(pk__in=[account.pk for account in accounts]).update(
            is_active=False
        )

        env = {
            **os.environ,
            **sandbox.urls,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SYNC_INTERVAL_SECONDS": str(POLL_INTERVAL_SECONDS),
        }
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "chatcenter.wsgi",
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{PORT}",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
            ),
            *(
                subprocess.Popen(
                    [sys.executable, "manage.py", command],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for command in ("qcluster", "dispatcher")
            ),
        ]
        try:
            time.sleep(4)
            SyncState.objects.filter(account__in=accounts).update(next_sync_at=None)
            time.sleep(3)
            routes = {"ozon": "inbox:webhook-ozon", "yandex_market": "inbox:webhook-yandex-market"}
            for account in accounts:
                cabinet = sandbox.world.cabinet_find(marketplace=account.marketplace, reference=0)
                url = f"http://127.0.0.1:{PORT}{reverse(routes[account.marketplace], kwargs={'secret': account.webhook_secret})}"
                sandbox.pushes.configure(cabinet, url)
            time.sleep(1)
            print(
                f"  Ozon + Yandex Market, pushes on, polling every {POLL_INTERVAL_SECONDS} s as the safety net:"
            )
            push = measure(sandbox, accounts, samples=samples, timeout=30, label="push")
            verdict = "ok" if push and percentile(push, 0.95) <= PUSH_TARGET_P95 else "ABOVE TARGET"
            print(f"           target p95 <= {PUSH_TARGET_P95:.0f} s: {verdict}")
            for account in accounts:
                sandbox.pushes.configure(
                    sandbox.world.cabinet_find(marketplace=account.marketplace, reference=0), None
                )
            print(f"  pushes off, polling only, SYNC_INTERVAL_SECONDS={POLL_INTERVAL_SECONDS}:")
            polling = measure(
                sandbox, accounts, samples=samples, timeout=POLL_INTERVAL_SECONDS * 4, label="polling"
            )
            target = POLL_INTERVAL_SECONDS + 5
            verdict = "ok" if polling and percentile(polling, 0.95) <= target else "ABOVE TARGET"
            print(f"           target p95 <= interval + 5 s = {target} s: {verdict}")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
