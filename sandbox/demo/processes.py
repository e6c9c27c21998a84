"""The demo's child processes: each in its own process group, stopped with exactly one SIGTERM.

Ctrl-C in the terminal reaches only the demo (the children are not in the terminal's foreground group),
so no child sees the signal twice and nothing is left behind.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT_SECONDS = 15


@dataclass
class Child:
    label: str
    process: subprocess.Popen


class Children:
    def __init__(self, *, root: Path, environment: dict[str, str]) -> None:
        self.root = root
        self.environment = environment
        self.children: list[Child] = []

    def start(self, label: str, *arguments: str, quiet_stdout: bool = False) -> Child:
        process = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "manage.py", *arguments],
            cwd=self.root,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if quiet_stdout else None,
            process_group=0,
        )
        child = Child(label=label, process=process)
        self.children.append(child)
        return child

    def exited(self) -> Child | None:
        return next((child for child in self.children if child.process.poll() is not None), None)

    def stop(self) -> None:
        """SIGTERM once to each live child (newest first) and wait; then SIGKILL whatever is left of its
        process group (a worker that hangs, or helpers it forked), so nothing outlives the demo."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()


def port_wait(port: int, *, timeout: float, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


class StopRequested(Exception):
    """Raised in the main thread by the first SIGINT/SIGTERM/SIGHUP; later ones are ignored."""


def stop_signals_install() -> None:
    def request_stop(signum: int, frame: object) -> None:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_IGN)
        raise StopRequested

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, request_stop)
