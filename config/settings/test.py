import os

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY", default="test-only-secret-key-not-for-any-deployment-0123456789abcdef")
# Two fixed test keys: "t2" active, "t1" old, so rotation can be tested.
CREDENTIAL_KEYS = env(
    "CREDENTIAL_KEYS",
    default="t2:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=,t1:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
)
FEED_TOKEN = env("FEED_TOKEN", default="test-feed-token")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOG_FORMAT = "text"
LOGGING["handlers"]["console"]["formatter"] = "text"  # noqa: F405
LOG_LEVEL = env("LOG_LEVEL", default="WARNING")
LOGGING["root"]["level"] = LOG_LEVEL  # noqa: F405

# Each pytest-xdist worker gets its own Redis database, so runtime keys, locks and queues of
# parallel tests never meet. gw0 -> db 1, gw1 -> db 2, ...
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")
_db_index = int(_worker.removeprefix("gw")) + 2 if _worker != "gw-1" else 1
REDIS_URL = env("TEST_REDIS_BASE", default="redis://127.0.0.1:6379").rstrip("/") + f"/{_db_index}"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CELERY_BROKER_URL = REDIS_URL
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}},
}
