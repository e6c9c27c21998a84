"""Benchmark settings: test settings on a dedicated database (SQLite file or BENCH_DATABASE_URL)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdefghijkl")
os.environ.setdefault("DJANGO_DEBUG", "0")

import environ

from tests.settings import *  # noqa: F403
from tests.settings import BASE_DIR

DEBUG = False
DATABASES = {
    "default": environ.Env().db_url_config(
        os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'bench.sqlite3'}")
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": SQLITE_INIT_COMMAND,  # noqa: F405
    }
DATABASES["default"]["CONN_MAX_AGE"] = 60
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# Subprocesses started by benchmarks (web server, worker) point at the sandbox through the environment.
for _variable in (
    "WILDBERRIES_CHAT_API_URL",
    "WILDBERRIES_FEEDBACKS_API_URL",
    "OZON_API_URL",
    "YANDEX_MARKET_API_URL",
):
    if os.environ.get(_variable):
        globals()[_variable] = os.environ[_variable]
SYNC_INTERVAL_SECONDS = int(os.environ.get("SYNC_INTERVAL_SECONDS", "60"))
Q_CLUSTER = {**Q_CLUSTER, "sync": False, "workers": 2, "log_level": "WARNING"}  # noqa: F405
