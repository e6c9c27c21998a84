import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from sandbox import SandboxServer, WorldOptions
from tests.browser.worker import QueueWorker

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGUMENTS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The live server, the queue worker thread and the test each need their own database connection. An
# in-memory SQLite test database is one connection shared by every thread (Django hands the test's
# connection to the live server), so transactions of the worker and of requests would interleave on
# it. A temporary file behaves like the production SQLite file (WAL, IMMEDIATE, busy timeout).
# This runs at collection, before pytest-django creates the test database.
_database = settings.DATABASES["default"]
if _database["ENGINE"] == "django.db.backends.sqlite3" and not _database.get("TEST", {}).get("NAME"):
    _directory = tempfile.mkdtemp(prefix="chatcenter-browser-")
    _database.setdefault("TEST", {})["NAME"] = f"{_directory}/test.sqlite3"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGUMENTS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # Playwright's string predicates (wait_for_function) run through eval, which the product's CSP rightly
    # forbids; the policy itself is exercised by test_content_security_policy.py without this bypass.
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="ru-RU", bypass_csp=True)
    context.set_default_timeout(8000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """The fake marketplaces on a local port; the product's base URLs point at them for the test."""
    options = WorldOptions(seed=3, chats=4, questions=2, cabinets_per_marketplace=1)
    server = SandboxServer(options=options).start()
    try:
        with override_settings(**server.urls):
            yield server
    finally:
        server.stop()


@pytest.fixture
def queue_worker(transactional_db, live_server) -> Iterator[QueueWorker]:
    """Runs queued tasks (reply delivery, syncs, read marks) while the browser works the inbox."""
    worker = QueueWorker().start()
    try:
        yield worker
    finally:
        worker.stop()
