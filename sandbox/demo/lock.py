"""One demo per checkout: an advisory lock held for the demo's lifetime, with where it runs.

The lock is released by the kernel when the process dies, so a crash never leaves a stale "running" state.
"""

import fcntl
import json
import os
import socket
from pathlib import Path
from typing import IO, Any


class DemoAlreadyRunning(Exception):
    def __init__(self, details: dict[str, Any]) -> None:
        super().__init__(details)
        self.details = details


class DemoLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self, *, url: str) -> None:
        """Take the lock and record `url` and our pid; raise DemoAlreadyRunning without touching it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                details = json.loads(handle.read() or "{}")
            except ValueError:
                details = {}
            handle.close()
            raise DemoAlreadyRunning(details) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "url": url}))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is None:
            return
        self._file.seek(0)
        self._file.truncate()
        self._file.close()
        self._file = None


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False
