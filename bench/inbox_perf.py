"""Inbox server time with 100,000 chats / 1,000,000 messages, then 20 concurrent clients on gunicorn."""

import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.datagen import inbox_generate, server_wait
from bench.measure import percentile, summary, time_calls
from inbox.models import Chat

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 100.0


def server_time(*, chats: int, messages_per_chat: int, requests: int) -> dict[str, list[float]]:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    agent = inbox_generate(chats=chats, messages_per_chat=messages_per_chat)
    # The steady state: PostgreSQL's autovacuum vacuums and analyses new tables (index-only scans need
    # the visibility map); our hourly task analyses SQLite.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"  data: {Chat.objects.filter(account__members=agent).count():,} chats ready in {time.perf_counter() - started:.0f} s"
    )
    client = Client()
    client.force_login(agent)
    # Only the generated inbox: other benchmarks leave chats of accounts the agent is not a member of.
    chat_ids = list(
        Chat.objects.filter(account__members=agent).order_by("?").values_list("pk", flat=True)[:requests]
    )
    randomizer = random.Random(3)

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    results = {
        "inbox page": time_calls(lambda i: get("/inbox/"), count=requests),
        "chat pane": time_calls(
            lambda i: get(f"/inbox/chats/{chat_ids[i % len(chat_ids)]}/"), count=requests
        ),
        "chats API": time_calls(lambda i: get("/api/chat/chats"), count=requests),
        "chats API, Ozon tab": time_calls(lambda i: get("/api/chat/chats?marketplace=ozon"), count=requests),
    }
    # Message text comes from the text index (PostgreSQL full-text search, SQLite FTS5); bench/search.py
    # measures it on varied texts.
    searches = ["доставка", "Размер M", "возврат", "упаковкой"]
    search = time_calls(
        lambda i: get(f"/inbox/?q={searches[i % len(searches)]}"), count=max(4, requests // 10)
    )
    randomizer.shuffle(chat_ids)
    for name, samples in results.items():
        verdict = "ok" if percentile(samples, 0.95) < TARGET_P95_MS else "ABOVE TARGET"
        print(f"  {name:22} {summary(samples)}   target p95 < {TARGET_P95_MS:.0f} ms: {verdict}")
    print(f"  {'search by text':22} {summary(search)}   (no target; shown for the record)")
    return results


def load_test(*, clients: int, seconds: float, port: int = 8765) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "chatcenter.wsgi",
            "-w",
            "3",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        server_wait(base=base, attempts=100)
        openers = [login_opener(base) for _ in range(clients)]
        chat_ids = list(
            Chat.objects.filter(account__members__username="bench-agent").values_list("pk", flat=True)[:500]
        )
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def worker(index: int) -> None:
            opener = openers[index]
            turn = 0
            while time.monotonic() < deadline:
                turn += 1
                paths = [
                    "/inbox/",
                    f"/inbox/chats/{chat_ids[(index * 31 + turn) % len(chat_ids)]}/",
                    "/api/chat/chats",
                ]
                path = paths[turn % 3]
                started = time.perf_counter()
                try:
                    with opener.open(f"{base}{path}", timeout=30) as response:
                        response.read()
                        ok = response.status == 200
                except OSError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors[0] += 1

        threads = [threading.Thread(target=worker, args=(index,)) for index in range(clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        duration = time.perf_counter() - began
        print(
            f"  {clients} concurrent clients, {duration:.0f} s: {len(latencies) / duration:.1f} requests/s, "
            f"p95 {percentile(latencies, 0.95):.0f} ms, errors {errors[0]} of {len(latencies)}"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def login_opener(
    base: str,
    username: str = "bench-agent",
    password: str = "bench-password-123",  # noqa: S107 (bench user)
) -> urllib.request.OpenerDirector:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login/") as response:
        response.read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(f"{base}/login/", data=body, headers={"Referer": f"{base}/login/"})
    with opener.open(request) as response:
        response.read()
    return opener
