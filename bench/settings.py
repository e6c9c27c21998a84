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
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 60
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
