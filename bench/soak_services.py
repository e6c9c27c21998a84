"""Throw-away services for the soak benchmark: its own PostgreSQL cluster and Redis server (so
restarting them harms nobody), product processes in their own sessions, and finding the process that
holds a TCP connection (to kill the worker that is in the middle of a request).

Loopback only. Nothing here imports Django: the database must exist before Django starts.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_BIN = Path(os.environ.get("BENCH_SOAK_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresCluster:
    """initdb into a temporary directory; its own port; stop, start and restart at will."""

    def __init__(self, *, port: int, workdir: Path) -> None:
        self.port = port
        self.directory = workdir / "postgres"
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/soak"

    def _ctl(self, *arguments: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c max_connections=200"
        command = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w"]
        subprocess.run(
            _as_postgres_user([*command, *arguments, "-o", options]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def create(self) -> None:
        self.directory.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres")
        subprocess.run(
            _as_postgres_user(
                [
                    str(POSTGRES_BIN / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        self.start()
        subprocess.run(
            [
                str(POSTGRES_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "soak",
            ],
            check=True,
            timeout=60,
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self, *, down_seconds: float) -> None:
        """`pg_ctl stop -m fast` (every connection is cut), a pause, start again."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._ctl("stop", "-m", "immediate")


class RedisServer:
    """A memory-only redis-server: a restart loses every queued task, as a crash would."""

    def __init__(self, *, port: int, workdir: Path) -> None:
        self.port = port
        self.directory = workdir / "redis"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        for _attempt in range(100):
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, *, down_seconds: float) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


class Processes:
    """Product processes (`manage.py ...`, gunicorn), each in its own session, logs in the work dir."""

    def __init__(self, *, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, arguments: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process
        process = subprocess.Popen(
            [sys.executable, *arguments],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 20
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=10)


def process_children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        children = parents.get(pending.pop(), [])
        found += children
        pending += children
    return found


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def socket_owner(*, local_port: int, candidates: list[int]) -> int | None:
    """Which of `candidates` holds the TCP socket whose local port is `local_port` (loopback)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(fields[9])
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for pid in candidates:
        try:
            for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(descriptor) in wanted:
                    return pid
        except OSError:
            continue
    return None


def http_json(url: str, body: Any = None, *, method: str | None = None, timeout: float = 60) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"} if data else {}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def workdir_create() -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="chatcenter-soak-"))
    workdir.chmod(0o755)  # the postgres user (when we are root) reaches its data directory through it
    return workdir
