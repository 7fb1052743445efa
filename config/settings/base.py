"""Settings shared by every profile. Everything that differs per deployment comes from the
environment (django-environ); secrets only from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "channels",
    "apps.core",
    "apps.accounts",
    "apps.broker_accounts",
    "apps.strategies",
    "apps.orders",
    "apps.scheduling",
    "apps.marketdata",
    "apps.operations",
    "apps.monitoring",
    "apps.notifications",
    "apps.playground",
    "apps.dashboard",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestLogMiddleware",
    "apps.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/algotrade")}
# A psycopg connection pool per process: threads of a worker share warm connections, so no
# order waits ~15 ms for a fresh PostgreSQL backend. DB_POOL_MAX=0 turns it off.
DB_POOL_MAX = env.int("DB_POOL_MAX", default=10)
if DB_POOL_MAX:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": DB_POOL_MAX, "timeout": 10}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Pub/sub channels are server-wide; by default they carry the Redis database number (db3:...).
REDIS_CHANNEL_PREFIX = env.str("REDIS_CHANNEL_PREFIX", default="")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Stored in UTC; shown and interpreted (market times) in the exchange's zone.
TIME_ZONE = "Asia/Kolkata"
MARKET_TIMEZONE = "Asia/Kolkata"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- API --------------------------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.permissions.RolePolicy"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ACCESS_TOKEN_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "CHECK_USER_IS_ACTIVE": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Algotrade API",
    "DESCRIPTION": "Automated intraday strategies on Indian brokers: accounts, brokers, strategies, orders.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: nothing is fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)

# --- Broker credentials -------------------------------------------------------------------
# "kid:base64key,kid2:base64key" (32-byte AES-256 keys); the active key encrypts, every
# listed key decrypts. Rotate: add a new key first in the list, then `rotate_broker_keys`.
CREDENTIAL_KEYS = env("CREDENTIAL_KEYS", default="")
CREDENTIAL_ACTIVE_KEY = env("CREDENTIAL_ACTIVE_KEY", default="")

# --- Market ---------------------------------------------------------------------------------
# Off (local/paper): any hour and any day trades. On (production): weekends, exchange holidays
# and times outside MARKET_OPEN..MARKET_CLOSE are refused.
ENFORCE_MARKET_HOURS = env.bool("ENFORCE_MARKET_HOURS", default=False)
MARKET_OPEN = env("MARKET_OPEN", default="09:15:00")
MARKET_CLOSE = env("MARKET_CLOSE", default="15:30:00")
STRATEGY_MAX_QUANTITY = env.int("STRATEGY_MAX_QUANTITY", default=100_000)

# --- Execution engine ----------------------------------------------------------------------------
ALGO_ID = env("ALGO_ID", default="")  # exchange algo id sent with every order where the broker takes it
ORDER_MAX_ATTEMPTS = env.int("ORDER_MAX_ATTEMPTS", default=3)
ORDER_BATCH_SIZE = env.int("ORDER_BATCH_SIZE", default=100)
ORDER_IO_THREADS = env.int("ORDER_IO_THREADS", default=256)
ORDER_REQUEUE_AFTER_SECONDS = env.int("ORDER_REQUEUE_AFTER_SECONDS", default=5)
ORDER_CLAIM_LEASE_SECONDS = env.int("ORDER_CLAIM_LEASE_SECONDS", default=30)
# A request written just before its claim's lease ended may take this long to reach the broker
# (at least the adapters' HTTP timeouts, 7 s): the sweeper takes a claim over only after
# lease + this, so "absent at the broker" then means the old worker's send will never arrive.
ORDER_SEND_TIMEOUT_SECONDS = env.int("ORDER_SEND_TIMEOUT_SECONDS", default=10)
# Sends lost with a dead or stalled worker do not count as attempts; this caps them instead.
ORDER_MAX_LOST_SENDS = env.int("ORDER_MAX_LOST_SENDS", default=10)
ORDER_UNKNOWN_RECHECK_SECONDS = env.int("ORDER_UNKNOWN_RECHECK_SECONDS", default=2)
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=5.0)
SCHEDULER_CATCHUP_SECONDS = env.int("SCHEDULER_CATCHUP_SECONDS", default=60)

# --- Real brokers ---------------------------------------------------------------------------------
# Per-broker adapter options (apps.broker_accounts.services.adapter_options). API roots default to
# the brokers' real URLs; tests and demos point them at the simulators in brokers/simulators/.
BROKER_OPTIONS = {
    # The paper broker never reaches an exchange, so the per-client order limit is off unless
    # asked for (rehearsing the limit on paper: PAPER_RATE_LIMIT=1).
    "paper": {"rate_limit": env.bool("PAPER_RATE_LIMIT", default=False)},
    "zerodha": {
        "api_root": env("KITE_API_ROOT", default="https://api.kite.trade"),
        "login_url": env("KITE_LOGIN_URL", default="https://kite.zerodha.com/connect/login"),
        "ws_root": env("KITE_WS_ROOT", default="wss://ws.kite.trade"),
        "timeout": env.float("KITE_TIMEOUT", default=7.0),
    },
    "dhan": {
        "api_root": env("DHAN_API_ROOT", default="https://api.dhan.co/v2"),
        "scrip_master_url": env("DHAN_SCRIP_MASTER_URL", default="https://images.dhan.co/api-data/api-scrip-master.csv"),
        "timeout": env.float("DHAN_TIMEOUT", default=7.0),
    },
    "fyers": {
        "api_root": env("FYERS_API_ROOT", default="https://api-t1.fyers.in"),
        "timeout": env.float("FYERS_TIMEOUT", default=7.0),
    },
    "angelone": {
        "api_root": env("ANGELONE_API_ROOT", default="https://apiconnect.angelone.in"),
        "scrip_master_url": env(
            "ANGELONE_SCRIP_MASTER_URL",
            default="https://margincalculator.angelbroking.com/OpenAPI_File/files/OpenAPIScripMaster.json",
        ),
        "timeout": env.float("ANGELONE_TIMEOUT", default=7.0),
    },
}
# SEBI retail-algo rule: at most this many orders per second per client (broker account) and
# exchange. An order over the limit waits for its slot (apps.broker_accounts.ratelimit).
BROKER_ORDERS_PER_SECOND = env.int("BROKER_ORDERS_PER_SECOND", default=10)
# The window is one second plus this margin (the limiter already counts from the broker's reply,
# so network jitter needs none; a margin only covers a broker counting on a coarser clock).
BROKER_RATE_MARGIN_MS = env.int("BROKER_RATE_MARGIN_MS", default=0)
# An order that would wait longer than this for its slot is not sent now: it fails with a
# rate-limit error, which the engine resolves by tag like a broker's 429 (a wait past the claim
# lease would let the sweeper send the same order again).
BROKER_RATE_MAX_WAIT_SECONDS = env.float("BROKER_RATE_MAX_WAIT_SECONDS", default=15.0)
# Broker login redirect (Kite request_token, Fyers auth_code): where the broker sends the user
# back (register it in the broker's developer console); empty = this server's
# /api/broker/login/callback as seen by the request. The signed state expires after this long.
BROKER_LOGIN_CALLBACK_URL = env("BROKER_LOGIN_CALLBACK_URL", default="")
BROKER_LOGIN_STATE_MAX_AGE = env.int("BROKER_LOGIN_STATE_MAX_AGE", default=900)
# Base URL of the API as users reach it, for links in notifications (empty: relative links).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="")
# Pre-market readiness check (IST, each day; the check itself skips non-trading days).
READINESS_CHECK_HOUR = env.int("READINESS_CHECK_HOUR", default=8)
READINESS_CHECK_MINUTE = env.int("READINESS_CHECK_MINUTE", default=45)
BROKER_LOGIN_NOTIFY_INTERVAL_SECONDS = env.float("BROKER_LOGIN_NOTIFY_INTERVAL_SECONDS", default=5.0)
# MARKET_FEED=zerodha: the broker account whose Kite session feeds ticks (empty: the most
# recently logged-in active Zerodha account), and the exchange its symbols are looked up on.
KITE_FEED_ACCOUNT_ID = env.int("KITE_FEED_ACCOUNT_ID", default=0)
KITE_FEED_EXCHANGE = env("KITE_FEED_EXCHANGE", default="NSE")
KITE_FEED_REFRESH_SECONDS = env.float("KITE_FEED_REFRESH_SECONDS", default=15.0)  # re-read the session

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TIMEZONE = "Asia/Kolkata"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True
CELERY_TASK_ROUTES = {
    "orders.fire_leg": {"queue": "orders"},
    "orders.fire_legs": {"queue": "orders"},
    "orders.execute_intents": {"queue": "orders"},
    "orders.stop_loss": {"queue": "stoploss"},
    "orders.sweep": {"queue": "default"},
    "orders.reconcile": {"queue": "default"},
    "operations.kill_stop": {"queue": "default"},
    "operations.publish_kill_switches": {"queue": "default"},
    "monitoring.heartbeat": {"queue": "default"},
    "notifications.deliver": {"queue": "default"},
    "playground.run_backtest": {"queue": "default"},
    "broker_accounts.notify_login_needed": {"queue": "default"},
    "broker_accounts.readiness_check": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE = {
    "orders-sweep": {"task": "orders.sweep", "schedule": SWEEP_INTERVAL_SECONDS, "options": {"expires": 30}},
    "orders-reconcile": {
        "task": "orders.reconcile",
        "schedule": env.float("RECONCILE_INTERVAL_SECONDS", default=60.0),
        "options": {"expires": 60},
    },
    "monitoring-heartbeat": {"task": "monitoring.heartbeat", "schedule": 5.0, "options": {"expires": 5}},
    "operations-publish-kill-switches": {
        "task": "operations.publish_kill_switches",
        "schedule": 10.0,
        "options": {"expires": 10},
    },
    "broker-accounts-notify-login-needed": {
        "task": "broker_accounts.notify_login_needed",
        "schedule": BROKER_LOGIN_NOTIFY_INTERVAL_SECONDS,
        "options": {"expires": 30},
    },
    "broker-accounts-readiness-check": {
        "task": "broker_accounts.readiness_check",
        "schedule": crontab(hour=READINESS_CHECK_HOUR, minute=READINESS_CHECK_MINUTE),
        "options": {"queue": "default", "expires": 30 * 60},
    },
}

# --- Operations, monitoring, notifications, playground -------------------------------------------
# A kill switch stops up to this many strategies inside the request; beyond, a task does it
# (the Redis kill hash already blocks their orders either way).
KILL_INLINE_STOP_LIMIT = env.int("KILL_INLINE_STOP_LIMIT", default=500)
# /metrics (Prometheus): when set, scrapers must send "Authorization: Bearer <token>"; empty = open.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
HEARTBEAT_INTERVAL_SECONDS = env.float("HEARTBEAT_INTERVAL_SECONDS", default=5.0)
HEARTBEAT_TTL_SECONDS = env.int("HEARTBEAT_TTL_SECONDS", default=15)
# Email: console locally (tests use Django's locmem backend automatically); SMTP via env in production.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Algotrade <noreply@localhost>")
# Telegram Bot API root (tests point it at a local stub server); used only for users who set a bot.
TELEGRAM_API_BASE = env("TELEGRAM_API_BASE", default="https://api.telegram.org")
TELEGRAM_TIMEOUT_SECONDS = env.float("TELEGRAM_TIMEOUT_SECONDS", default=10.0)
# A backtest RUNNING this long is taken to have lost its worker and may be claimed again.
PLAYGROUND_STALE_SECONDS = env.int("PLAYGROUND_STALE_SECONDS", default=600)

# --- Market data -------------------------------------------------------------------------------
# The feed process sends tick batches to the listener's WebSocket; the token keeps others out.
LISTENER_HOST = env("LISTENER_HOST", default="127.0.0.1")
LISTENER_PORT = env.int("LISTENER_PORT", default=8001)
FEED_TOKEN = env("FEED_TOKEN", default="")
MARKET_FEED = env("MARKET_FEED", default="simulator")  # simulator | zerodha
SIM_TICKS_PER_SECOND = env.int("SIM_TICKS_PER_SECOND", default=200)

# --- Channels ---------------------------------------------------------------------------------
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}},
}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "apps.core.logging.SecretScrubFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["scrub"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
