"""Idle cost: API calls one sync cycle makes when nothing changed, per marketplace, 1,000-chat cabinets.

Counted at the sandbox (what the marketplace would see), not reported by our own code.
"""

import math
from collections import Counter

from django.test import override_settings

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat, Message
from inbox.sync import account_sync, sync_interval
from marketplaces import wildberries, yandex_market
from sandbox import SandboxServer, WorldOptions

YANDEX_MARKET_HOURLY_QUOTAS = {"chats": 5000, "chats/history": 10000, "chat": 1000}


def settle(account: MarketplaceAccount) -> None:
    for _attempt in range(200):
        outcome = account_sync(account_id=account.pk, force=True)
        if outcome.outcome == "success":
            return
        # Rate limited while loading the first time: the sandbox enforces real limits, so wait it out.
        state = SyncState.objects.get(pk=account.pk)
        if state.rate_limited_until:
            import time

            from django.utils import timezone

            time.sleep(max(0.0, (state.rate_limited_until - timezone.now()).total_seconds()) + 0.1)
    raise RuntimeError(f"{account.marketplace} did not settle: {outcome.error}")


def cycle(sandbox: SandboxServer, account: MarketplaceAccount) -> Counter[str]:
    with sandbox.request_counts_lock:
        sandbox.request_counts.clear()
    outcome = account_sync(account_id=account.pk, force=True)
    if outcome.outcome != "success":
        raise RuntimeError(f"idle cycle failed: {outcome.error}")
    with sandbox.request_counts_lock:
        return Counter(sandbox.request_counts)


def short(path_counts: Counter[str]) -> str:
    grouped: Counter[str] = Counter()
    for key, count in path_counts.items():
        method, path = key.split(" ", 1)
        parts = path.split("/")
        grouped[f"{method} /{'/'.join(part for part in parts[2:] if not part.isdigit())}"] += count
    return ", ".join(f"{key} ×{count}" for key, count in sorted(grouped.items())) or "none"


def run(*, chats: int) -> None:
    options = WorldOptions(seed=21, cabinets_per_marketplace=1, chats=chats, messages_per_chat=2, questions=0)
    with SandboxServer(options=options, events_page_size=1000) as sandbox, override_settings(**sandbox.urls):
        sandbox.set_buyers_interval(0)
        for marketplace in ("wildberries", "ozon", "yandex_market"):
            cabinet = sandbox.world.cabinet_find(marketplace=marketplace, reference=0)
            account = MarketplaceAccount.objects.create(
                marketplace=marketplace, name=f"idle {marketplace}", credentials=dict(cabinet.credentials)
            )
            SyncState.objects.create(account=account)
            settle(account)
            held = Chat.objects.filter(account=account).count()
            stored = Message.objects.filter(chat__account=account).count()
            idle = cycle(sandbox, account)
            total = sum(idle.values())
            print(
                f"  {marketplace:14} {held:5} chats, {stored:5} messages; idle cycle: {total} calls ({short(idle)})"
            )
            if marketplace == "wildberries":
                print(
                    f"                 target 1 call: {'ok' if total == 1 else 'ABOVE TARGET'}"
                    f" (questions are polled every {wildberries.QUESTIONS_POLL_SECONDS / 60:.0f} min, outside this count)"
                )
            elif marketplace == "ozon":
                # The list holds every chat of the cabinet, support chats too (we skip those after listing).
                expected = math.ceil(len(cabinet.chats) / 100)
                history = sum(count for key, count in idle.items() if "/history" in key)
                verdict = "ok" if total <= expected and history == 0 else "ABOVE TARGET"
                print(
                    f"                 {len(cabinet.chats)} chats listed by Ozon; target {expected} list calls,"
                    f" 0 history calls: {verdict}"
                )
            else:
                state = SyncState.objects.get(pk=account.pk)
                state.cursor = {key: value for key, value in state.cursor.items() if key != "last_sweep_at"}
                state.save(update_fields=["cursor"])
                sweep = cycle(sandbox, account)
                # The account's own polling interval (MarketplaceSpec, or SYNC_INTERVAL_SECONDS when set).
                interval = sync_interval(marketplace=marketplace).total_seconds()
                cycles_per_hour = 3600 / interval
                sweeps_per_hour = 3600 / yandex_market.SWEEP_SECONDS
                print(
                    f"                 full sweep (every {yandex_market.SWEEP_SECONDS / 60:.0f} min): {short(sweep)}"
                )
                for method, quota in YANDEX_MARKET_HOURLY_QUOTAS.items():
                    suffix = f"/{method}"
                    per_idle = sum(c for k, c in idle.items() if k.endswith(suffix))
                    per_sweep = sum(c for k, c in sweep.items() if k.endswith(suffix))
                    hourly = per_idle * (cycles_per_hour - sweeps_per_hour) + per_sweep * sweeps_per_hour
                    share = hourly / quota
                    verdict = "ok" if share <= 0.25 else "ABOVE TARGET"
                    print(
                        f"                 {method:14} {hourly:6.0f} calls/h of {quota} = {share:5.1%}"
                        f" at {interval:.0f} s interval (target <= 25%: {verdict})"
                    )
