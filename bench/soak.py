"""Soak: several workers, many cabinets, faults — nothing lost, nothing twice (issue 15).

Its own PostgreSQL cluster and Redis server (restarted during the run: they belong to no one else), the
sandbox (`manage.py run_sandbox`) with live buyers, three `manage.py qcluster` processes on the Redis
broker, `manage.py dispatcher` and gunicorn (push receivers, REST API). A driver sends replies through
`POST /api/chat/chats/{id}/send` at a steady rate while the sandbox injects 5xx, timeouts after the
request took effect, truncated answers and 429/420 storms. During the run one worker is killed (-9)
in the middle of a sync and one in the middle of a send, Redis and PostgreSQL are restarted once each.
Then buyers and faults stop, the product drains, and the database is compared with the sandbox's truth.

BENCH_SOAK_SECONDS sets the loaded time (default 600, --quick 120 with fewer cabinets).
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.soak_services import (
    ROOT,
    PostgresCluster,
    Processes,
    RedisServer,
    http_json,
    process_children,
    socket_owner,
    workdir_create,
)

QCLUSTERS = 3
WEB_PORT = int(os.environ.get("BENCH_SOAK_WEB_PORT", "58766"))
# Per marketplace request. Every fault of a send is one the product must settle exactly once; every
# fault of a sync read that its retries do not absorb fails the pass (backoff), so the lag grows with them.
BASE_FAULTS = {
    "latency_ms": 20,
    "error_share": 0.02,
    "timeout_share": 0.01,
    "timeout_seconds": 2,
    "timeout_phase": "after",
    "rate_limit_share": 0.005,
    "truncate_share": 0.005,
}
STORM_FAULTS = {"rate_limit_share": 0.6}
STORM_SECONDS = 20
# While hunting for a worker in the middle of a request, requests take longer (a wider window).
HUNT_FAULTS = {"latency_ms": 400}
HUNT_SECONDS = 90
SERVICE_DOWN_SECONDS = 3
# The product's own recovery timers (lease 300 s, stuck `sending` 5 min + a sweep a minute) bound this.
DRAIN_LIMIT_SECONDS = 720
IMPORT_LIMIT_SECONDS = 1500
YANDEX_MARKET_OPERATIONS = (
    "getChats",
    "getChat",
    "getChatHistory",
    "getChatMessage",
    "sendMessageToChat",
    "sendFileToChat",
    "createChat",
)
RELAXED_LIMITS = {
    "wildberries_chat_burst": 100_000,
    "wildberries_chat_interval": 0.0001,
    "ozon_per_second": 100_000,
    "yandex_market_parallel": 100,
    "yandex_market_hourly": dict.fromkeys(YANDEX_MARKET_OPERATIONS, 10_000_000),
}


@dataclass
class Plan:
    cabinets_per_marketplace: int
    chats: int
    seconds: int
    buyers_interval: float = 0.25
    reply_interval: float = 1.0


@dataclass
class Events:
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        line = f"  [{time.monotonic() - self.started:7.1f} s] {text}"
        self.lines.append(line)
        print(line, flush=True)


def main(*, quick: bool) -> int:
    plan = Plan(
        cabinets_per_marketplace=int(os.environ.get("BENCH_SOAK_CABINETS", 3 if quick else 10)),
        chats=int(os.environ.get("BENCH_SOAK_CHATS", 300 if quick else 1000)),
        seconds=int(os.environ.get("BENCH_SOAK_SECONDS", 120 if quick else 600)),
    )
    # A stop request (SIGTERM) unwinds like Ctrl-C, so the services below are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    workdir = workdir_create()
    postgres = PostgresCluster(port=int(os.environ.get("BENCH_SOAK_POSTGRES_PORT", "55432")), workdir=workdir)
    redis = RedisServer(port=int(os.environ.get("BENCH_SOAK_REDIS_PORT", "56379")), workdir=workdir)
    sandbox: subprocess.Popen | None = None
    processes: Processes | None = None
    result = 1
    try:
        postgres.create()
        redis.start()
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "BENCH_DATABASE_URL": postgres.url,
                "REDIS_URL": redis.url,
                # 0: every marketplace polls at its own default interval (MarketplaceSpec).
                "SYNC_INTERVAL_SECONDS": "0",
                "Q_WORKERS": "2",
            }
        )
        sandbox, urls = sandbox_start(plan=plan, workdir=workdir)
        os.environ.update(urls)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        processes = Processes(workdir=workdir, env=dict(os.environ))
        from bench.soak_run import Soak

        result = Soak(
            plan=plan,
            postgres=postgres,
            redis=redis,
            processes=processes,
            control=urls["SANDBOX_CONTROL_URL"],
        ).run()
    finally:
        if processes is not None:
            processes.stop_all()
        if sandbox is not None:
            sandbox.terminate()
            try:
                sandbox.wait(timeout=20)
            except subprocess.TimeoutExpired:
                sandbox.kill()
        redis.stop()
        postgres.destroy()
        if result == 0:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"  logs kept in {workdir}")
    return result


def sandbox_start(*, plan: Plan, workdir: Any) -> tuple[subprocess.Popen, dict[str, str]]:
    """`manage.py run_sandbox` seeds its world in memory (no HTTP) and prints its URLs."""
    command = [
        sys.executable,
        "manage.py",
        "run_sandbox",
        "--force",
        "--seed",
        "15",
        "--cabinets",
        str(plan.cabinets_per_marketplace),
        "--chats",
        str(plan.chats),
        "--questions",
        "0",
    ]
    log = open(workdir / "sandbox.log", "ab")  # noqa: SIM115 - kept open for the process
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    urls: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        line = line.strip()
        if line == "READY":
            return process, urls
        name, separator, value = line.partition("=")
        if separator and name.isupper():
            urls[name] = value
    raise RuntimeError("run_sandbox exited before READY")


class ReplyDriver(threading.Thread):
    """Replies through the REST API at a steady rate; each retried with its idempotency key until the
    API answers (the web server and the database restart during the run)."""

    def __init__(self, *, base_url: str, token: str, chat_ids: list[int], interval: float) -> None:
        super().__init__(name="soak-replies", daemon=True)
        self.base_url = base_url
        self.token = token
        self.chat_ids = chat_ids
        self.interval = interval
        self.random = random.Random(15)
        self.stopping = threading.Event()
        self.sent: list[dict[str, Any]] = []

    def run(self) -> None:
        number = 0
        next_at = time.monotonic()
        while not self.stopping.is_set():
            number += 1
            self.sent.append(self.send_one(number=number))
            next_at += self.interval
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def send_one(self, *, number: int) -> dict[str, Any]:
        key = str(uuid.uuid4())
        chat_id = self.random.choice(self.chat_ids)
        text = f"Здравствуйте! Спасибо за обращение, уже проверяем ваш заказ. Ответ {number}-{key[:8]}"
        record: dict[str, Any] = {"key": key, "chat_id": chat_id, "text": text, "outcome": "error"}
        request = urllib.request.Request(
            f"{self.base_url}/api/chat/chats/{chat_id}/send",
            data=json.dumps({"text": text}).encode(),
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        for _attempt in range(60):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    record["outcome"] = "created" if response.status in (200, 201, 202) else "error"
                    return record
            except urllib.error.HTTPError as error:
                if error.code == 400:
                    record["outcome"] = "refused"
                    record["detail"] = error.read()[:300].decode(errors="replace")
                    return record
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        return record


def signal_kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def descendants(processes: list[subprocess.Popen]) -> dict[int, int]:
    """{pid of a descendant: pid of its qcluster}."""
    return {child: process.pid for process in processes for child in process_children(process.pid)}


def in_flight_owner(
    *, control: str, processes: list[subprocess.Popen], wanted: Any
) -> tuple[dict[str, Any], int] | None:
    requests = http_json(f"{control}/in-flight", timeout=10)["requests"]
    candidates = descendants(processes)
    for request in requests:
        if not wanted(request):
            continue
        owner = socket_owner(local_port=request["client_port"], candidates=list(candidates))
        if owner is not None:
            return request, owner
    return None
