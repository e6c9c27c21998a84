"""Production settings never install the sandbox; development and an explicit switch do."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
PRINT_APPS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps([settings.INSTALLED_APPS, settings.SANDBOX_ALLOWED]))"
)


def installed(**variables: str) -> tuple[list[str], bool]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DJANGO_DEBUG", "SANDBOX_ENABLED", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="chatcenter.settings",
        DJANGO_SECRET_KEY="settings-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
        FERNET_KEYS="settings-test-fernet-key",
        **variables,
    )
    done = subprocess.run(
        [sys.executable, "-c", PRINT_APPS],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    apps, allowed = json.loads(done.stdout.strip().splitlines()[-1])
    return apps, allowed


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DJANGO_DEBUG": "0"}, (False, False)),
        ({"DJANGO_DEBUG": "0", "SANDBOX_ENABLED": "0"}, (False, False)),
        ({"DJANGO_DEBUG": "1"}, (True, True)),
        ({"DJANGO_DEBUG": "1", "SANDBOX_ENABLED": "0"}, (False, True)),
        # Installed on purpose in a non-debug process: run_sandbox still refuses without --force.
        ({"DJANGO_DEBUG": "0", "SANDBOX_ENABLED": "1"}, (True, False)),
    ],
)
def test_sandbox_app_installed_only_in_development_or_when_asked(variables, expected):
    apps, allowed = installed(**variables)
    assert ("sandbox" in apps, allowed) == expected
    assert apps.count("sandbox") == expected[0]


def test_test_settings_install_the_sandbox(settings):
    assert "sandbox" in settings.INSTALLED_APPS


@pytest.mark.django_db
def test_favicon_is_served_so_no_page_logs_a_404():
    from django.contrib.staticfiles import finders
    from django.test import Client

    client = Client()
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")
    assert finders.find("favicon.svg") is not None
    login = client.get("/login/")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login.content.decode()


LOG_LINES = (
    "import logging, django; django.setup(); "
    "logging.getLogger('django.request').error('Bad Gateway: /x/'); "
    "logging.getLogger('django.server').error('\"GET /x HTTP/1.1\" 502 1'); "
    "logging.getLogger('django.server').info('\"GET /y HTTP/1.1\" 200 1'); "
    "logging.getLogger('marketplaces.http').info('Ozon POST /v3/chat/list -> 200 in 5 ms'); "
    "logging.getLogger('django-q').info('Processed sync-1')"
)


def logged(**variables: str) -> list[str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LOG_", "Q_LOG")) and name != "DJANGO_SETTINGS_MODULE"
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="chatcenter.settings",
        DJANGO_SECRET_KEY="settings-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
        FERNET_KEYS="settings-test-fernet-key",
        DJANGO_DEBUG="1",
        **variables,
    )
    done = subprocess.run(
        [sys.executable, "-c", LOG_LINES],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # Drop the timestamp: "<date> <time> LEVEL logger message".
    return [line.split(" ", 2)[2] for line in done.stderr.splitlines()]


def test_each_event_is_logged_once_and_per_line_logging_can_be_switched_off():
    assert logged() == [
        "ERROR django.request Bad Gateway: /x/",
        'ERROR django.server "GET /x HTTP/1.1" 502 1',
        'INFO django.server "GET /y HTTP/1.1" 200 1',
        "INFO marketplaces.http Ozon POST /v3/chat/list -> 200 in 5 ms",
        "INFO django-q Processed sync-1",
    ]
    # What `make demo` sets for its children: a failed request is reported once, nothing per line.
    assert logged(LOG_HTTP_REQUESTS="0", LOG_MARKETPLACE_CALLS="0", Q_LOG_LEVEL="WARNING") == [
        "ERROR django.request Bad Gateway: /x/"
    ]
