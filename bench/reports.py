"""Reports endpoint and page over 100,000 chats / 1,000,000 messages for a 90-day range (issue 12).

Turns are built once from the generated messages (timed: the bookkeeping the ingest now does), then
`GET /api/chat/reports/response-times` is timed for each group_by, and the /reports/ page once per round.
"""

import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.datagen import inbox_generate
from bench.measure import percentile, summary, time_calls
from inbox.models import Chat
from service.deadlines import chat_deadlines_refresh
from service.models import ResponseTurn

TARGET_P95_MS = 300.0
GROUPS = ["day", "marketplace", "account", "agent"]


def run(*, chats: int, requests: int) -> bool:
    agent = inbox_generate(chats=chats, messages_per_chat=10)
    chat_ids = list(Chat.objects.filter(account__members=agent).values_list("pk", flat=True))
    if not ResponseTurn.objects.filter(chat_id__in=chat_ids[:1]).exists():
        started = time.perf_counter()
        for index in range(0, len(chat_ids), 5000):
            chat_deadlines_refresh(chat_ids=chat_ids[index : index + 5000])
        elapsed = time.perf_counter() - started
        print(
            f"  turns built for {len(chat_ids):,} chats in {elapsed:.1f} s ({len(chat_ids) / elapsed:,.0f} chats/s)"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"  {ResponseTurn.objects.count():,} turns")
    client = Client()
    client.force_login(agent)
    today = timezone.localdate()
    params = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
    ok = True
    for group_by in GROUPS:
        samples = time_calls(
            lambda _index, group_by=group_by: client.get(
                "/api/chat/reports/response-times", {**params, "group_by": group_by}
            ),
            count=requests,
            warmup=2,
        )
        passed = percentile(samples, 0.95) < TARGET_P95_MS
        ok = ok and passed
        print(
            f"  API group_by={group_by:<12} {summary(samples)}  {'OK' if passed else 'OVER'} (< {TARGET_P95_MS:.0f} ms)"
        )
    samples = time_calls(
        lambda _index: client.get("/reports/", params), count=max(3, requests // 4), warmup=1
    )
    print(f"  /reports/ page          {summary(samples)}")
    return ok
