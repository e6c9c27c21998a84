"""Variables set but left empty (`VAR=` in .env or a unit file) take their documented default."""

import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings


def _setting_values(environment: dict[str, str], names: list[str]) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print('|'.join(str(getattr(settings, name)) for name in {names!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        # Everything production settings require, as a fresh clone has no .env.
        env={"DJANGO_SETTINGS_MODULE": "chatcenter.settings", "DJANGO_SECRET_KEY": "x" * 50}
        | {"FERNET_KEYS": Fernet.generate_key().decode(), "PATH": "/usr/bin"}
        | environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-600:]
    return result.stdout.strip().split("|")


def test_an_empty_email_url_means_the_console():
    [backend] = _setting_values({"EMAIL_URL": ""}, ["EMAIL_BACKEND"])
    assert backend == "django.core.mail.backends.console.EmailBackend"


def test_an_empty_llm_timeout_takes_the_default():
    [timeout] = _setting_values({"LLM_TIMEOUT_SECONDS": ""}, ["LLM_TIMEOUT_SECONDS"])
    assert float(timeout) == 20.0


def test_media_root_has_one_default():
    [media_root] = _setting_values({}, ["MEDIA_ROOT"])
    assert media_root == str(settings.BASE_DIR / "var" / "media")
