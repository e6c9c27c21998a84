"""Chat Center settings: every value comes from the environment (or the local `.env`)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Process environment wins over the file: read_env only fills variables that are not already set.
environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Newest key first; older keys only decrypt. Never derived from SECRET_KEY (rotating one must not
# destroy the other).
FERNET_KEYS = env.list("FERNET_KEYS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_q",
    "accounts",
    "marketplaces",
    "inbox",
    "assist",
    "notify",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "access",
    "audit",
    "privacy",
    "service",
]
# The fake marketplaces (`sandbox/`) are test equipment: installed only for development (DEBUG) or when
# SANDBOX_ENABLED says so, never by production settings.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=DEBUG)
if SANDBOX_ENABLED:
    INSTALLED_APPS.append("sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "access.middleware.SessionTimeoutMiddleware",
    "access.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a login while the user name or the address is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "chatcenter.urls"
WSGI_APPLICATION = "chatcenter.wsgi.application"
ASGI_APPLICATION = "chatcenter.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
SQLITE_INIT_COMMAND = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; IMMEDIATE takes the write lock at BEGIN so
    # concurrent writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    # SQLite's default page cache is 2 MB; at a million messages the indexes no longer fit and every
    # insert and list page reads them back from the OS (ingest measured 23k -> 38k messages/s with 64 MB).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": SQLITE_INIT_COMMAND,
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Persistent connections on both: a fresh SQLite connection re-reads the schema and starts with a cold page
# cache, which halved the throughput of the inbox's polls (89 -> 187 requests/s for a 204 poll on gunicorn).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user name, or from
# one address, logging in is locked for LOGIN_LOCKOUT_MINUTES; a success resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a proxy the client address comes from X-Forwarded-For (set DJANGO_BEHIND_PROXY=1).
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if env.bool("DJANGO_BEHIND_PROXY", False) else ["REMOTE_ADDR"]
)

# Sessions: an absolute lifetime and an idle timeout (access.middleware.SessionTimeoutMiddleware).
SESSION_ABSOLUTE_LIFETIME_SECONDS = env.int("SESSION_LIFETIME_SECONDS", default=12 * 3600)
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=2 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME_SECONDS
# Optional TOTP two-factor for staff (django-otp); with this set, superusers must enrol before anything else.
REQUIRE_2FA_FOR_ADMINS = env.bool("REQUIRE_2FA_FOR_ADMINS", default=False)
OTP_TOTP_ISSUER = "Chat Center"

# 152-FZ retention: chats closed longer than this many days lose buyer names, texts and files (empty: off).
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:index"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Stored attachments (files fetched once from the marketplaces): local disk under MEDIA_ROOT by default,
# S3-compatible object storage when ATTACHMENTS_S3_BUCKET is set. Served only through our own view.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "media/"
ATTACHMENTS_S3_BUCKET = env.str("ATTACHMENTS_S3_BUCKET", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if ATTACHMENTS_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": env.str("ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATTACHMENTS_S3_REGION", default="") or None,
            "access_key": env.str("ATTACHMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("ATTACHMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("ATTACHMENTS_S3_PREFIX", default="chatcenter"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

REDIS_URL = env.str("REDIS_URL", default="")
# Unset: each marketplace's own polling interval (MarketplaceSpec.sync_interval_seconds); set: for all.
SYNC_INTERVAL_SECONDS = env.int("SYNC_INTERVAL_SECONDS", default=None)
# "raw": ingest's bulk writes as prepared SQL (inbox/services/bulk.py); "orm": plain bulk_create/bulk_update.
BULK_WRITES = env.str("BULK_WRITES", default="raw")

WILDBERRIES_CHAT_API_URL = env.str(
    "WILDBERRIES_CHAT_API_URL", default="https://buyer-chat-api.wildberries.ru"
)
WILDBERRIES_FEEDBACKS_API_URL = env.str(
    "WILDBERRIES_FEEDBACKS_API_URL", default="https://feedbacks-api.wildberries.ru"
)
OZON_API_URL = env.str("OZON_API_URL", default="https://api-seller.ozon.ru")
YANDEX_MARKET_API_URL = env.str("YANDEX_MARKET_API_URL", default="https://api.partner.market.yandex.ru")

# Public base URL of this installation, used to show full push URLs to paste into marketplace cabinets.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000")
# Optional source-IP allow-list for push receivers (comma-separated CIDRs); empty means off.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])

# AI drafts and classification (DESIGN.md §16): an OpenAI-compatible chat-completions endpoint; empty
# LLM_API_URL = off (the offline models are used). Set but empty, the timeout takes its default.
LLM_API_URL = env.str("LLM_API_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_TIMEOUT_SECONDS = float(env.str("LLM_TIMEOUT_SECONDS", default="") or 20.0)

# Telegram bot (DESIGN.md §15): empty token = Telegram off; a webhook secret switches from long polling
# (getUpdates in the background work) to the webhook at PUBLIC_BASE_URL/hooks/telegram/.
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_API_URL = env.str("TELEGRAM_API_URL", default="https://api.telegram.org")
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
# Email: django-environ's EMAIL_URL form (smtp://user:password@host:587/?tls=True, consolemail://,
# filemail:///path); empty means the console backend.
EMAIL_CONFIG = environ.Env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(EMAIL_CONFIG.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(EMAIL_CONFIG.get("EMAIL_USE_SSL"))
EMAIL_FILE_PATH = EMAIL_CONFIG.get("EMAIL_FILE_PATH") or str(BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chat Center <chat-center@localhost>")

# The sandbox is test equipment; run_sandbox refuses to start unless DEBUG is on or it is forced.
# Even when installed, run_sandbox (and the demo) refuse to start unless DEBUG is on or --force is given.
SANDBOX_ALLOWED = DEBUG

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Every poll reads the session: from the shared cache, not the database. Only with a shared cache: a
    # per-process one would keep a logged-out session alive in the other processes.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_CLUSTER = {
    "name": "chatcenter",
    "workers": env.int("Q_WORKERS", default=2),
    # A task may run at most `timeout` seconds; the broker re-delivers after `retry`, which must be longer.
    "timeout": 240,
    "retry": 300,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "label": "Django Q",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.VerifiedSessionAuthentication",
        "access.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chat Center API",
    "DESCRIPTION": "Buyer chats from Wildberries, Ozon and Yandex Market in one inbox.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every page (django-csp): scripts and styles only from our own static files,
# no inline code, no framing. Images may be data: URIs (the two-factor QR code, the unread favicon).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_PROXY", False) else None
)
X_FRAME_OPTIONS = "DENY"

# Per-request and per-call INFO lines can be switched off (the demo does) so INFO keeps what a person reads.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) would print every django.* line a second time.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        # urllib3 logs request lines at DEBUG, and the Telegram Bot API carries the bot token in the path.
        "urllib3": {"level": "WARNING"},
        # One line per request of the development server (runserver). Off, failed requests are still
        # reported once, by django.request.
        "django.server": {
            "level": "INFO" if env.bool("LOG_HTTP_REQUESTS", default=True) else "CRITICAL",
            "propagate": True,
        },
        # One line per marketplace API call; failures are logged by the sync and reply code regardless.
        "marketplaces.http": {
            "level": "INFO" if env.bool("LOG_MARKETPLACE_CALLS", default=True) else "WARNING"
        },
        # django-q2 writes INFO lines per task and per schedule tick. (Its own `log_level` option only
        # applies when no root handler exists, which is never the case here.)
        "django-q": {"level": env.str("Q_LOG_LEVEL", default="INFO")},
    },
}
