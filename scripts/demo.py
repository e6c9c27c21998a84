"""`make demo`: migrate SQLite, create a demo admin, then run the web server and a django-q2 cluster.

Ctrl-C stops every child process cleanly.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_USER = "demo"
PASSWORD_FILE = ROOT / "var" / "demo-password.txt"


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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chatcenter.settings", "PYTHONUNBUFFERED": "1"}

    manage("migrate", "--no-input", env=env, stdout=subprocess.DEVNULL)
    password = demo_password()
    ensure_admin(env, password)

    children = [
        subprocess.Popen([PYTHON, "manage.py", "qcluster"], cwd=ROOT, env=env),
        subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{options.port}"], cwd=ROOT, env=env
        ),
    ]
    print(
        f"\nChat Center is running: http://127.0.0.1:{options.port}/\n"
        f"  login: {DEMO_USER}\n  password: {password}\n"
        f"  admin: http://127.0.0.1:{options.port}/admin/\nPress Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
