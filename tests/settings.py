"""Test settings: the production module with fixed, non-secret test keys and fast hashing."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghijklmnop")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("FERNET_KEYS", "test-fernet-key-one")
os.environ.setdefault("SYNC_INTERVAL_SECONDS", "60")

from chatcenter.settings import *  # noqa: F403
from chatcenter.settings import DATABASES, INSTALLED_APPS, Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Never reach a real marketplace from a test.
WILDBERRIES_CHAT_API_URL = "https://buyer-chat-api.wildberries.ru"
WILDBERRIES_FEEDBACKS_API_URL = "https://feedbacks-api.wildberries.ru"
OZON_API_URL = "https://api-seller.ozon.ru"
YANDEX_MARKET_API_URL = "https://api.partner.market.yandex.ru"
SANDBOX_ALLOWED = True
# Stored attachments land in a throw-away folder, never in the checkout's media/.
MEDIA_ROOT = tempfile.mkdtemp(prefix="chatcenter-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
# The end-to-end tests and benchmarks need the sandbox whatever DJANGO_DEBUG the shell has.
if "sandbox" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "sandbox"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_SQLITE_NAME", "")}

Q_CLUSTER = {**Q_CLUSTER, "sync": False}
