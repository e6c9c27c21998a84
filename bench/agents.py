"""Many agents on one small server: each opens the inbox, polls the list (every 5 s) and its open chat
(every 3 s) as the page does, opens another chat every 30 s and replies every 2 minutes, against
gunicorn on the benchmark database. Prints p95 per kind of request and the error count.

The simulated agents run as threads in this process, on the same two cores as the server: the
figures are pessimistic for the server, and say so.
"""

import html
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from http.cookiejar import CookieJar
from pathlib import Path

from bench.datagen import inbox_generate
from bench.inbox_perf import login_opener
from bench.measure import percentile
from inbox.models import Chat

ROOT = Path(__file__).resolve().parent.parent
LIST_POLL_SECONDS = 5.0
CHAT_POLL_SECONDS = 3.0
OPEN_CHAT_SECONDS = 30.0
REPLY_SECONDS = 120.0
POLL_TARGET_MS = 200.0
PAGE_TARGET_MS = 300.0
HTMX = {"HX-Request": "true"}
LIST_POLL = re.compile(r'id="chat-list-region"[^>]*?hx-get="([^"]+)"', re.S)
CHAT_POLL = re.compile(r'id="chat-live"[^>]*?hx-get="([^"]+)"', re.S)


class Agent:
    def __init__(self, *, base: str, chat_ids: list[int], seed: int, record) -> None:
        self.base = base
        self.chat_ids = chat_ids
        self.random = random.Random(seed)
        self.record = record
        self.opener = login_opener(base)
        self.list_poll = "/inbox/"
        self.chat_poll = ""
        self.chat_id = 0

    def _get(self, kind: str, path: str, headers: dict[str, str] | None = None) -> str:
        request = urllib.request.Request(f"{self.base}{path}", headers=headers or {})
        started = time.perf_counter()
        status, body = 0, ""
        try:
            with self.opener.open(request, timeout=30) as response:
                status, body = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        self.record(kind, (time.perf_counter() - started) * 1000, status)
        return body

    def open_inbox(self) -> None:
        body = self._get("page load", "/inbox/")
        found = LIST_POLL.search(body)
        if found:
            self.list_poll = html.unescape(found.group(1))

    def open_chat(self) -> None:
        self.chat_id = self.random.choice(self.chat_ids)
        body = self._get("open chat", f"/inbox/chats/{self.chat_id}/", {**HTMX, "HX-Target": "chat-pane"})
        found = CHAT_POLL.search(body)
        self.chat_poll = html.unescape(found.group(1)) if found else ""

    def poll(self) -> None:
        # As htmx does: a changed list comes back with the next poll's URL (and its new signature).
        body = self._get("poll list", self.list_poll, {**HTMX, "HX-Target": "chat-list-region"})
        found = LIST_POLL.search(body)
        if found:
            self.list_poll = html.unescape(found.group(1))

    def poll_chat(self) -> None:
        if self.chat_poll:
            body = self._get("poll chat", self.chat_poll, {**HTMX, "HX-Target": "chat-live"})
            found = CHAT_POLL.search(body)
            if found:
                self.chat_poll = html.unescape(found.group(1))

    def reply(self) -> None:
        jar: CookieJar = next(
            handler.cookiejar for handler in self.opener.handlers if hasattr(handler, "cookiejar")
        )
        token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        body = urllib.parse.urlencode(
            {
                "text": "Здравствуйте! Заказ уже в пути, статус доставки виден в карточке заказа.",
                "idempotency_key": str(uuid.uuid4()),
                "csrfmiddlewaretoken": token,
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.base}/inbox/chats/{self.chat_id}/reply/",
            data=body,
            headers={**HTMX, "Referer": f"{self.base}/inbox/", "X-CSRFToken": token},
        )
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        self.record("reply", (time.perf_counter() - started) * 1000, status)


def run(*, agents: int, seconds: float, chats: int, port: int = 8799) -> bool:
    inbox_generate(chats=chats, messages_per_chat=10)
    # Replies go to Wildberries chats: no reply window can refuse them.
    chat_ids = list(
        Chat.objects.filter(account__members__username="bench-agent", account__marketplace="wildberries")
        .order_by("-last_message_at")
        .values_list("pk", flat=True)[:300]
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "chatcenter.wsgi",
            "-k",
            "gthread",
            "-w",
            "3",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
    )
    samples: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()

    def record(kind: str, milliseconds: float, status: int) -> None:
        with lock:
            samples[kind].append(milliseconds)
            statuses[kind][status] += 1

    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        people = [Agent(base=base, chat_ids=chat_ids, seed=index, record=record) for index in range(agents)]
        deadline = time.monotonic() + seconds

        def live(agent: Agent) -> None:
            time.sleep(agent.random.uniform(0, LIST_POLL_SECONDS))
            agent.open_inbox()
            agent.open_chat()
            now = time.monotonic()
            due = {
                "poll": now + LIST_POLL_SECONDS,
                "poll_chat": now + CHAT_POLL_SECONDS,
                "open_chat": now + OPEN_CHAT_SECONDS,
                "reply": now + agent.random.uniform(10, REPLY_SECONDS),
            }
            every = {
                "poll": LIST_POLL_SECONDS,
                "poll_chat": CHAT_POLL_SECONDS,
                "open_chat": OPEN_CHAT_SECONDS,
                "reply": REPLY_SECONDS,
            }
            while True:
                action = min(due, key=due.get)
                wait = due[action] - time.monotonic()
                if due[action] > deadline:
                    return
                if wait > 0:
                    time.sleep(wait)
                getattr(agent, action)()
                due[action] += every[action]

        threads = [threading.Thread(target=live, args=(agent,), daemon=True) for agent in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
    finally:
        server.terminate()
        server.wait(timeout=20)
    met = True
    print(
        f"  {agents} simulated agents for {seconds:.0f} s on gunicorn (3 workers x 4 threads), {chats} chats:"
    )
    for kind in ("page load", "open chat", "poll list", "poll chat", "reply"):
        values = samples.get(kind, [])
        if not values:
            continue
        target = POLL_TARGET_MS if kind.startswith("poll") else PAGE_TARGET_MS
        p95 = percentile(values, 0.95)
        errors = sum(count for status, count in statuses[kind].items() if status == 0 or status >= 500)
        met = met and p95 < target and errors == 0
        print(
            f"    {kind:10} n={len(values):5}  median {percentile(values, 0.5):6.0f} ms  p95 {p95:6.0f} ms"
            f"  (target < {target:.0f} ms: {'met' if p95 < target else 'NOT met'})  errors {errors}"
            f"  statuses {dict(statuses[kind])}"
        )
    return met
