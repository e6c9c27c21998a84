"""`make demo`: migrate SQLite, create a demo admin, start the marketplace sandbox, connect one demo
cabinet per marketplace, then run the web server and a django-q2 cluster against the sandbox.

Ctrl-C stops every child process cleanly.
"""

import argparse
import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_USER = "demo"
PASSWORD_FILE = ROOT / "var" / "demo-password.txt"
# A fixed seed keeps the sandbox's credentials identical across restarts, so connected cabinets stay valid.
SANDBOX_SEED = 2026
SANDBOX_BUYERS_INTERVAL = 20
SANDBOX_START_TIMEOUT = 60
URL_VARIABLES = (
    "WILDBERRIES_CHAT_API_URL",
    "WILDBERRIES_FEEDBACKS_API_URL",
    "OZON_API_URL",
    "YANDEX_MARKET_API_URL",
)
DEMO_CABINETS = {
    "wildberries": "Демо: Wildberries",
    "ozon": "Демо: Ozon",
    "yandex_market": "Демо: Яндекс Маркет",
}


def manage(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)


def demo_password() -> str:
    PASSWORD_FILE.parent.mkdir(exist_ok=True)
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.write_text(secrets.token_urlsafe(9))
        PASSWORD_FILE.chmod(0o600)
    return PASSWORD_FILE.read_text().strip()


def ensure_admin(env: dict[str, str], password: str) -> None:
    script = (
        "from django.contrib.auth.models import User\n"
        f"user, _ = User.objects.get_or_create(username={DEMO_USER!r}, defaults={{'is_staff': True, "
        "'is_superuser': True, 'first_name': 'Демо', 'last_name': 'Оператор'})\n"
        f"user.set_password({password!r}); user.is_staff = user.is_superuser = True; user.save()\n"
    )
    manage("shell", "-c", script, env=env)


class Sandbox:
    """`manage.py run_sandbox` as a child process; parses its NAME=URL and CABINET lines."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [
                PYTHON,
                "manage.py",
                "run_sandbox",
                "--port",
                "0",
                "--seed",
                str(SANDBOX_SEED),
                "--buyers-interval",
                str(SANDBOX_BUYERS_INTERVAL),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.urls: dict[str, str] = {}
        self.control_url = ""
        self.cabinets: dict[str, dict[str, str]] = {}
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + SANDBOX_START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError("the sandbox did not start in time") from None
            if line is None:
                raise RuntimeError("the sandbox exited during start-up (see the error above)")
            if line == "READY":
                break
            if line.startswith("CABINET "):
                _, marketplace, credentials = line.split(" ", 2)
                # The first cabinet of each marketplace is the ordinary, fully capable one.
                self.cabinets.setdefault(marketplace, json.loads(credentials))
            elif "=" in line:
                name, value = line.split("=", 1)
                if name in URL_VARIABLES:
                    self.urls[name] = value
                elif name == "SANDBOX_CONTROL_URL":
                    self.control_url = value

    def _pump(self, lines: "queue.Queue[str | None]") -> None:
        # Keep reading so the child never blocks on a full pipe; start-up lines go to the parser.
        assert self.process.stdout is not None
        for line in self.process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def control(self, path: str, body: dict) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own child process on 127.0.0.1
            self.control_url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310
            pass


def connected_names(env: dict[str, str]) -> set[tuple[str, str]]:
    script = (
        "import json\nfrom accounts.models import MarketplaceAccount\n"
        "print(json.dumps(list(MarketplaceAccount.objects.values_list('marketplace', 'name'))))\n"
    )
    output = manage("shell", "-c", script, env=env, capture_output=True, text=True).stdout
    return {(marketplace, name) for marketplace, name in json.loads(output.strip().splitlines()[-1])}


def connect_cabinets(env: dict[str, str], sandbox: Sandbox) -> list[str]:
    """Connect one demo cabinet per marketplace unless it already is; returns notes for the banner."""
    notes = []
    existing = connected_names(env)
    for marketplace, name in DEMO_CABINETS.items():
        if (marketplace, name) in existing:
            notes.append(f"{name}: already connected")
            continue
        credentials = json.dumps(sandbox.cabinets[marketplace])
        command = [
            PYTHON,
            "manage.py",
            "add_account",
            "--marketplace",
            marketplace,
            "--name",
            name,
            "--member",
            DEMO_USER,
        ]
        checked = subprocess.run(
            command, cwd=ROOT, env=env, input=credentials, capture_output=True, text=True
        )
        if checked.returncode == 0:
            notes.append(f"{name}: connected (credentials checked against the sandbox)")
            continue
        unchecked = subprocess.run(
            [*command, "--no-check"], cwd=ROOT, env=env, input=credentials, capture_output=True, text=True
        )
        if unchecked.returncode == 0:
            reason = (checked.stderr or checked.stdout).strip().splitlines()[-1:] or ["unknown error"]
            notes.append(f"{name}: connected WITHOUT a credentials check ({reason[0]})")
        else:
            notes.append(f"{name}: could not be connected: {(unchecked.stderr or unchecked.stdout).strip()}")
    return notes


def setup_schedules(env: dict[str, str]) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", "setup_schedules"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode == 0:
        return "schedules: set up"
    return "schedules: setup_schedules is not available yet; the worker runs whatever schedules exist"


def wait_for_port(port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def connect_pushes(env: dict[str, str], sandbox: Sandbox, port: int) -> list[str]:
    """Point the sandbox's Ozon and Yandex Market pushes at the demo accounts' webhook URLs (if routed)."""
    script = (
        "import json\nfrom django.urls import NoReverseMatch, reverse\n"
        "from accounts.admin import PUSH_ROUTES\nfrom accounts.models import MarketplaceAccount\n"
        f"names = {list(DEMO_CABINETS.values())!r}\nfound = {{}}\n"
        "for account in MarketplaceAccount.objects.filter(name__in=names, marketplace__in=PUSH_ROUTES):\n"
        "    try:\n"
        "        found[account.marketplace] = reverse(PUSH_ROUTES[account.marketplace], "
        "kwargs={'secret': account.webhook_secret})\n"
        "    except NoReverseMatch:\n"
        "        pass\n"
        "print(json.dumps(found))\n"
    )
    try:
        output = manage("shell", "-c", script, env=env, capture_output=True, text=True).stdout
        paths = json.loads(output.strip().splitlines()[-1])
    except (subprocess.CalledProcessError, ValueError, IndexError):
        return ["pushes: webhook routes are not available; polling only"]
    notes = []
    for marketplace, path in paths.items():
        try:
            sandbox.control("/push", {"marketplace": marketplace, "url": f"http://127.0.0.1:{port}{path}"})
            notes.append(f"pushes: {marketplace} → {path}")
        except OSError as error:
            notes.append(f"pushes: {marketplace} not configured ({error})")
    return notes


def stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chatcenter.settings", "PYTHONUNBUFFERED": "1"}

    manage("migrate", "--no-input", env=env, stdout=subprocess.DEVNULL)
    password = demo_password()
    ensure_admin(env, password)

    try:
        sandbox = Sandbox(env)
    except RuntimeError as error:
        print(f"Could not start the marketplace sandbox: {error}", file=sys.stderr)
        return 1
    # Web and worker talk to the sandbox only through the four base-URL variables.
    env = {**env, **sandbox.urls}
    children = [sandbox.process]
    try:
        notes = connect_cabinets(env, sandbox)
        notes.append(setup_schedules(env))
        worker = subprocess.Popen([PYTHON, "manage.py", "qcluster"], cwd=ROOT, env=env)
        web = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{options.port}"], cwd=ROOT, env=env
        )
        # Stop order: web and worker first, the sandbox they talk to last.
        children = [web, worker, sandbox.process]
        if wait_for_port(options.port):
            notes.extend(connect_pushes(env, sandbox, options.port))
        print(
            f"\nChat Center is running: http://127.0.0.1:{options.port}/\n"
            f"  login: {DEMO_USER}\n  password: {password}\n"
            f"  admin: http://127.0.0.1:{options.port}/admin/\n"
            f"  marketplace sandbox: {sandbox.control_url}/state (simulated buyers write every "
            f"~{SANDBOX_BUYERS_INTERVAL} s)\n"
            + "".join(f"  {note}\n" for note in notes)
            + "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop(children)
    return 0


if __name__ == "__main__":
    sys.exit(main())
