"""`manage.py demo`: one per checkout, chats before the URL, Ctrl-C leaves nothing behind."""

import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command, get_commands

from sandbox.demo.lock import DemoAlreadyRunning, DemoLock
from sandbox.demo.setup import demo_user_ensure
from sandbox.generator import WorldOptions, world_create
from sandbox.management.commands.demo import SANDBOX_SEED
from sandbox.world import World
from tests.sandbox.spec_schemas import REPOSITORY_ROOT


def free_port_pair() -> int:
    """A port p with p and p + 1 free (the demo's web server and sandbox)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two adjacent free ports")


def test_lock_refuses_a_second_holder_and_says_where_the_first_runs(tmp_path: Path):
    first = DemoLock(tmp_path / "demo.lock")
    first.acquire(url="http://127.0.0.1:18280/")
    try:
        with pytest.raises(DemoAlreadyRunning) as refused:
            DemoLock(tmp_path / "demo.lock").acquire(url="http://127.0.0.1:9999/")
        assert refused.value.details == {"pid": os.getpid(), "url": "http://127.0.0.1:18280/"}
    finally:
        first.release()
    second = DemoLock(tmp_path / "demo.lock")
    second.acquire(url="http://127.0.0.1:9999/")
    second.release()


@pytest.mark.django_db
def test_second_demo_touches_nothing(tmp_path: Path):
    (tmp_path / "demo-password.txt").write_text("kept-password")
    running = DemoLock(tmp_path / "demo.lock")
    running.acquire(url="http://127.0.0.1:18280/")
    try:
        with pytest.raises(CommandError, match=r"already running at http://127\.0\.0\.1:18280/ \(pid \d+\)"):
            call_command("demo", port=free_port_pair(), state_dir=str(tmp_path))
    finally:
        running.release()
    assert not get_user_model().objects.filter(username="demo").exists()
    assert (tmp_path / "demo-password.txt").read_text() == "kept-password"


@pytest.mark.django_db
def test_demo_refuses_a_busy_port_before_touching_anything(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"Port {port} is already in use"):
            call_command("demo", port=port, state_dir=str(tmp_path))
    assert not get_user_model().objects.filter(username="demo").exists()
    assert not (tmp_path / "demo-password.txt").exists()


@pytest.mark.django_db
def test_demo_user_password_set_only_when_it_differs():
    user = demo_user_ensure(password="first-password")
    hashed = user.password
    assert demo_user_ensure(password="first-password").password == hashed
    changed = demo_user_ensure(password="second-password")
    assert changed.password != hashed and changed.check_password("second-password")
    assert (changed.is_staff, changed.is_superuser) == (True, True)


def _check_the_running_product(*, port: int, password: str) -> None:
    """As a new user would: log in, see chats, open a photo, find push URLs on the demo's own address."""
    base = f"http://127.0.0.1:{port}"
    with requests.Session() as browser:
        login = browser.get(f"{base}/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        inbox = browser.post(
            f"{base}/login/",
            data={"username": "demo", "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/login/"},
            timeout=10,
        )
        assert (inbox.status_code, inbox.url) == (200, f"{base}/inbox/")
        # A Wildberries photo that passed moderation: the product fetches it from the sandbox.
        seeded = world_create(WorldOptions(seed=SANDBOX_SEED), world=World(seed=SANDBOX_SEED))
        cabinet = seeded.cabinet_find(marketplace="wildberries", reference=0)
        ready_photos = {
            attachment.attachment_id
            for message in cabinet.events
            for attachment in message.attachments
            if attachment.is_image and attachment.moderation == "ready"
        }
        found = None
        for page in browser.get(
            f"{base}/api/chat/chats", params={"marketplace": "wildberries"}, timeout=10
        ).json()["results"]:
            messages = browser.get(f"{base}/api/chat/chats/{page['id']}/messages", timeout=10).json()[
                "results"
            ]
            for message in messages:
                for index, attachment in enumerate(message["attachments"]):
                    if attachment.get("remote_id") in ready_photos:
                        found = (page["id"], message["id"], index)
        assert found is not None
        chat_id, message_id, index = found
        photo = browser.get(
            f"{base}/inbox/chats/{chat_id}/messages/{message_id}/attachments/{index}/", timeout=10
        )
        assert photo.status_code == 200
        assert photo.content.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))
        accounts = browser.get(f"{base}/api/chat/accounts", timeout=10).json()
        accounts = accounts["results"] if isinstance(accounts, dict) else accounts
        ozon = next(account for account in accounts if account["marketplace"] == "ozon")
        change = browser.get(f"{base}/admin/accounts/marketplaceaccount/{ozon['id']}/change/", timeout=10)
        assert f"{base}/hooks/ozon/" in change.text


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.e2e
def test_demo_shows_chats_at_once_refuses_a_second_run_and_stops_cleanly_on_ctrl_c(tmp_path: Path):
    port = free_port_pair()
    database = tmp_path / "demo.sqlite3"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatcenter.settings",
        "DJANGO_DEBUG": "1",
        "DJANGO_SECRET_KEY": "demo-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "FERNET_KEYS": "demo-test-fernet-key",
        "DATABASE_URL": f"sqlite:///{database}",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "manage.py", "demo", "--port", str(port), "--state-dir", str(tmp_path)]
    demo = subprocess.Popen(
        command,
        cwd=REPOSITORY_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    children: list[int] = []
    try:
        output = []
        deadline = time.monotonic() + 120
        while not any(line.startswith("Press Ctrl-C") for line in output):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "".join(output) + demo.stderr.read()
            output.append(line)
        children = _children_of(demo.pid)
        # The moment the URL is printed, every demo cabinet already has its seeded chats.
        with sqlite3.connect(database) as connection:
            counts = dict(
                connection.execute(
                    "SELECT a.marketplace, COUNT(c.id) FROM accounts_marketplaceaccount a "
                    "LEFT JOIN inbox_chat c ON c.account_id = a.id GROUP BY a.marketplace"
                ).fetchall()
            )
        seeded = world_create(WorldOptions(seed=SANDBOX_SEED), world=World(seed=SANDBOX_SEED))
        for marketplace in ("ozon", "yandex_market"):
            cabinet = seeded.cabinet_find(marketplace=marketplace, reference=0)
            # Support chats are not buyer chats; the product leaves them out.
            buyer_chats = [chat for chat in cabinet.chats.values() if chat.chat_type != "SELLER_SUPPORT"]
            assert counts[marketplace] >= len(buyer_chats) > 0
        assert counts["wildberries"] > 0
        assert f"Chat Center is running: http://127.0.0.1:{port}/\n" in output
        # The worker and the web server, and the dispatcher wherever the project has that command.
        assert len(children) == 2 + ("dispatcher" in get_commands())

        _check_the_running_product(port=port, password=(tmp_path / "demo-password.txt").read_text().strip())

        second = subprocess.run(
            [sys.executable, "manage.py", "demo", "--port", str(port + 2), "--state-dir", str(tmp_path)],
            cwd=REPOSITORY_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert f"A demo is already running at http://127.0.0.1:{port}/ (pid {demo.pid})" in second.stderr

        # Ctrl-C: the terminal signals its foreground process group, which is the demo's own.
        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(timeout=40) == 0
        errors = demo.stderr.read()
        assert "Traceback" not in errors, errors
        remaining = []
        while (line := lines.get(timeout=5)) is not None:
            remaining.append(line)
        assert remaining == ["Stopping…\n", "Demo stopped.\n"]
        assert [pid for pid in children if _group_alive(pid)] == []
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        for pid in children:
            if _group_alive(pid):
                os.killpg(pid, signal.SIGKILL)
