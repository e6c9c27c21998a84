"""Sessions come from the cache only when the cache is shared by every process (Redis)."""

import subprocess
import sys

from django.conf import settings


def _engine(redis_url: str) -> str:
    code = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_ENGINE)"
    environment = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": redis_url,
        "PATH": "/usr/bin",
    }
    environment["DJANGO_SECRET_KEY"] = "x" * 50
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )
    return result.stdout.strip()


def test_sessions_are_cached_only_with_a_shared_cache():
    assert _engine("redis://127.0.0.1:6379/9") == "django.contrib.sessions.backends.cached_db"
    assert _engine("") == "django.contrib.sessions.backends.db"
