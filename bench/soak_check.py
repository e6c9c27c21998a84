"""The soak benchmark's verdict: the product's database against the sandbox's truth, and its figures.

Exactly once: every sandbox message is stored once (by external id, per account); every reply the
driver created is sent once at the sandbox or failed with a reason; nothing is left pending, sending or
unknown; no lease is held.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncRun, SyncState
from bench.measure import percentile
from inbox.models import Message
from inbox.sync.health import sync_interval
from marketplaces.ozon.parse import normalize_enum

SELLER_SUPPORT = "seller_support"
UNSETTLED = (Message.DeliveryStatus.PENDING, Message.DeliveryStatus.SENDING, Message.DeliveryStatus.UNKNOWN)


@dataclass
class Verdict:
    lines: list[str] = field(default_factory=list)
    violations: int = 0

    def check(self, label: str, bad: int, detail: str = "") -> None:
        self.violations += bad > 0
        state = "ok" if not bad else "NOT met"
        self.lines.append(f"  {label:58} {bad:6}   {state}{'  ' + detail if detail else ''}")


def is_buyer_chat(chat: dict[str, Any]) -> bool:
    """Ozon's seller-support chats (the seller with Ozon, no buyer) are left out by design."""
    return normalize_enum(chat.get("chat_type") or "") != SELLER_SUPPORT


def cabinet_key(cabinet: dict[str, Any]) -> str:
    """Cabinet names repeat between the sandbox's cabinets; marketplace and external id do not."""
    return f"{cabinet['marketplace']}:{cabinet['external_id']}"


def sandbox_messages(state: dict[str, Any], names: dict[str, int]) -> dict[int, dict[str, int]]:
    """{account id: {external id: created_ms}} of the buyer chats, from the control API's /state."""
    truth: dict[int, dict[str, int]] = {}
    for cabinet in state["cabinets"]:
        account_id = names.get(cabinet_key(cabinet))
        if account_id is None:
            continue
        messages = truth.setdefault(account_id, {})
        for chat in filter(is_buyer_chat, cabinet["chats"]):
            for message in chat["messages"]:
                messages[message["external_id"]] = message["created_ms"]
        # WB questions (buyers ask them too): the question and its one answer, as the product names them.
        for question in cabinet["questions"]:
            asked = int(
                datetime.fromisoformat(question["created_at"].replace("Z", "+00:00")).timestamp() * 1000
            )
            messages[f"{question['external_id']}:question"] = asked
            if question["answer"] is not None:
                messages[f"{question['external_id']}:answer"] = asked
    return truth


def database_messages(*, account_ids: list[int]) -> dict[int, Counter[str]]:
    stored: dict[int, Counter[str]] = {account_id: Counter() for account_id in account_ids}
    rows = Message.objects.filter(chat__account_id__in=account_ids, external_id__isnull=False).values_list(
        "chat__account_id", "external_id"
    )
    for account_id, external_id in rows.iterator(chunk_size=20_000):
        stored[account_id][external_id] += 1
    return stored


def messages_verdict(*, verdict: Verdict, truth: dict[int, dict[str, int]], account_ids: list[int]) -> None:
    stored = database_messages(account_ids=account_ids)
    missing = duplicated = extra = total = 0
    examples: list[str] = []
    extra_examples: list[tuple[int, str]] = []
    for account_id in account_ids:
        expected = truth.get(account_id, {})
        counts = stored[account_id]
        total += len(expected)
        lost = [external_id for external_id in expected if external_id not in counts]
        missing += len(lost)
        duplicated += sum(1 for count in counts.values() if count > 1)
        unknown = [external_id for external_id in counts if external_id not in expected]
        extra += len(unknown)
        examples += [f"{account_id}:{external_id}" for external_id in lost[:2]]
        extra_examples += [(account_id, external_id) for external_id in unknown[:2]]
    verdict.lines.append(f"  sandbox messages compared: {total}")
    verdict.check("sandbox messages missing from the database", missing, ", ".join(examples[:4]))
    verdict.check("sandbox messages stored more than once", duplicated)
    described = [
        "{}:{} {} {} {!r}".format(*row)
        for account_id, external_id in extra_examples[:3]
        for row in Message.objects.filter(chat__account_id=account_id, external_id=external_id).values_list(
            "chat__account_id", "external_id", "direction", "delivery_status", "text"
        )[:1]
    ]
    verdict.check(
        "database messages the sandbox never had", extra, "; ".join(item[:110] for item in described)
    )


def replies_verdict(*, verdict: Verdict, driver: list[dict[str, Any]], replies: list[dict[str, Any]]) -> None:
    """Each reply the driver created: sent exactly once at the sandbox, or failed with a reason."""
    at_sandbox = Counter(reply["text"] for reply in replies)
    keys = [item["key"] for item in driver if item.get("key")]
    rows = {
        str(row["idempotency_key"]): row
        for row in Message.objects.filter(idempotency_key__in=keys).values(
            "idempotency_key", "text", "delivery_status", "last_error", "external_id"
        )
    }
    refused = sum(1 for item in driver if item["outcome"] == "refused")
    creation_lost = sum(1 for item in driver if item["outcome"] == "created" and item["key"] not in rows)
    unanswered = [item for item in driver if item["outcome"] == "error"]
    # An API call that never got an answer may still have created its row (the driver gave up).
    created = [rows[item["key"]] for item in driver if item["key"] in rows]
    statuses = Counter(row["delivery_status"] for row in created)
    sent = [row for row in created if row["delivery_status"] == Message.DeliveryStatus.SENT]
    failed = [row for row in created if row["delivery_status"] == Message.DeliveryStatus.FAILED]
    verdict.lines.append(
        f"  replies: {len(driver)} requested through the API, {len(created)} created, {refused} refused "
        f"by the API (400), {len(unanswered)} API calls never answered; rows by state: "
        + ", ".join(f"{status or 'none'} {count}" for status, count in sorted(statuses.items()))
    )
    refusals = Counter(str(item.get("detail", ""))[:90] for item in driver if item["outcome"] == "refused")
    if refusals:
        verdict.lines.append(
            "  refused by the API: "
            + "; ".join(f"{count} × {detail}" for detail, count in refusals.most_common(4))
        )
    reasons = Counter(str(row["last_error"])[:60] for row in failed)
    if reasons:
        verdict.lines.append(
            "  failed replies by reason: "
            + "; ".join(f"{count} × {reason!r}" for reason, count in reasons.items())
        )
    verdict.check("replies the API accepted but never stored", creation_lost)
    verdict.check(
        "replies left pending / sending / unknown (lost tasks)",
        sum(1 for row in created if row["delivery_status"] in UNSETTLED),
    )
    verdict.check(
        "sent replies missing at the sandbox", sum(1 for row in sent if at_sandbox[row["text"]] == 0)
    )
    verdict.check(
        "replies at the sandbox more than once", sum(1 for row in created if at_sandbox[row["text"]] > 1)
    )
    verdict.check(
        "failed replies that reached the sandbox", sum(1 for row in failed if at_sandbox[row["text"]])
    )
    verdict.check("failed replies without a reason", sum(1 for row in failed if not row["last_error"]))
    verdict.check(
        "sent replies without the marketplace's id", sum(1 for row in sent if not row["external_id"])
    )
    texts = Counter(
        Message.objects.filter(text__in=[row["text"] for row in created], direction=Message.Direction.OUT)
        .values_list("text", flat=True)
        .iterator()
    )
    verdict.check(
        "replies stored twice (echo not bound to our row)", sum(1 for count in texts.values() if count > 1)
    )


def leases_verdict(*, verdict: Verdict, account_ids: list[int]) -> None:
    now = timezone.now()
    held = SyncState.objects.filter(pk__in=account_ids, lease_until__gt=now).count()
    verdict.check("leases still held after the stop", held)
    running = SyncRun.objects.filter(account_id__in=account_ids, finished_at__isnull=True).count()
    verdict.lines.append(f"  sync runs never finished (their worker was killed): {running}")


def lag_figures(
    *, truth: dict[int, dict[str, int]], accounts: list[MarketplaceAccount], since_ms: int
) -> list[str]:
    """Buyer message created at the sandbox -> stored in our database, per cabinet, for live messages."""
    lines = []
    per_cabinet: list[tuple[float, str]] = []
    by_marketplace: dict[str, list[float]] = {}
    for account in accounts:
        live = {external_id: ms for external_id, ms in truth.get(account.pk, {}).items() if ms >= since_ms}
        if not live:
            continue
        rows = Message.objects.filter(
            chat__account=account, external_id__in=list(live), direction=Message.Direction.IN
        ).values_list("external_id", "inserted_at")
        lags = [max(0.0, inserted.timestamp() - live[external_id] / 1000) for external_id, inserted in rows]
        if not lags:
            continue
        per_cabinet.append((percentile(lags, 0.95), f"{account.name} ({len(lags)})"))
        by_marketplace.setdefault(account.marketplace, []).extend(lags)
    if not per_cabinet:
        return ["  lag: no live buyer message"]
    per_cabinet.sort()
    values = [value for value, _name in per_cabinet]
    lines.append(
        f"  lag p95 per cabinet (buyer message at the sandbox -> our database), {len(values)} cabinets: "
        f"best {values[0]:.1f} s, median {values[len(values) // 2]:.1f} s, worst {values[-1]:.1f} s "
        f"({per_cabinet[-1][1]})"
    )
    for marketplace, lags in sorted(by_marketplace.items()):
        lines.append(
            f"    {marketplace:14} p50 {percentile(lags, 0.5):6.1f} s   p95 {percentile(lags, 0.95):6.1f} s   "
            f"max {max(lags):6.1f} s   n={len(lags)}   interval {sync_interval(marketplace=marketplace).total_seconds():.0f} s"
        )
    lines.append(
        "    per cabinet p95: "
        + ", ".join(f"{name.split(' (')[0]} {value:.1f}" for value, name in per_cabinet)
    )
    return lines


def throughput_figures(
    *, accounts: list[MarketplaceAccount], started: datetime, finished: datetime
) -> list[str]:
    seconds = max((finished - started).total_seconds(), 1e-6)
    account_ids = [account.pk for account in accounts]
    window = {"inserted_at__gte": started, "inserted_at__lt": finished}
    inbound = Message.objects.filter(
        chat__account_id__in=account_ids, direction=Message.Direction.IN, **window
    ).count()
    outbound = Message.objects.filter(
        chat__account_id__in=account_ids, direction=Message.Direction.OUT, **window
    ).count()
    runs = SyncRun.objects.filter(
        account_id__in=account_ids, kind=SyncRun.Kind.SYNC, started_at__gte=started, started_at__lt=finished
    )
    outcomes = dict(runs.values_list("outcome").annotate(count=Count("id")))
    total_runs = sum(outcomes.values())
    lines = [
        f"  messages/s: {(inbound + outbound) / seconds:.2f} stored ({inbound} from buyers and marketplaces, "
        f"{outbound} replies) over {seconds:.0f} s",
        f"  syncs/s: {total_runs / seconds:.2f} ({total_runs} runs: "
        + ", ".join(f"{outcome or 'unfinished'} {count}" for outcome, count in sorted(outcomes.items()))
        + ")",
    ]
    lines += cabinets_per_worker(accounts=accounts, runs=runs.filter(outcome=SyncRun.Outcome.SUCCESS))
    return lines


def cabinets_per_worker(*, accounts: list[MarketplaceAccount], runs: Any) -> list[str]:
    """One worker process runs one task at a time: it keeps N cabinets fresh when N passes fit in one
    polling interval. Cost of a pass = wall time of a successful run (network waits included)."""
    durations = runs.values_list("account__marketplace", "started_at", "finished_at")
    costs: dict[str, list[float]] = {}
    for marketplace, begun, ended in durations:
        if ended is not None:
            costs.setdefault(marketplace, []).append((ended - begun).total_seconds())
    if not costs:
        return ["  cabinets per worker: no successful run measured"]
    lines = ["  cabinets one worker process keeps fresh at the default interval (interval / mean pass cost):"]
    shares = Counter(account.marketplace for account in accounts)
    busy_per_cabinet = 0.0
    for marketplace, values in sorted(costs.items()):
        mean = sum(values) / len(values)
        interval = sync_interval(marketplace=marketplace).total_seconds()
        lines.append(
            f"    {marketplace:14} pass mean {mean:6.3f} s (p95 {percentile(values, 0.95):.3f} s, n={len(values)}), "
            f"interval {interval:.0f} s -> {interval / mean:7.0f} cabinets"
        )
        busy_per_cabinet += shares[marketplace] / sum(shares.values()) * mean / interval
    lines.append(
        f"    this mix ({', '.join(f'{count} {name}' for name, count in sorted(shares.items()))}): one cabinet "
        f"occupies a worker {busy_per_cabinet:.4f} s per second -> 1 / {busy_per_cabinet:.4f} = "
        f"{1 / busy_per_cabinet:.0f} cabinets per worker process (no headroom for replies, faults or backlog)"
    )
    return lines


def window_seconds(started: datetime) -> timedelta:
    return timezone.now() - started
