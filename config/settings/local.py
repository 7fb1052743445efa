"""Self-hosted profile (`make run`): paper broker, simulated market, any hour."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=True)
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405

if not SECRET_KEY:  # noqa: F405
    # A per-checkout random key kept beside the local data, so sessions survive restarts
    # without anyone committing a secret.
    from apps.core.localkeys import local_secret

    SECRET_KEY = local_secret(BASE_DIR / ".data" / "secret_key", nbytes=50)

if not CREDENTIAL_KEYS:  # noqa: F405
    from apps.core.localkeys import local_credential_keys

    CREDENTIAL_KEYS = local_credential_keys(BASE_DIR / ".data" / "credential_keys")

if not FEED_TOKEN:  # noqa: F405
    from apps.core.localkeys import local_secret

    FEED_TOKEN = local_secret(BASE_DIR / ".data" / "feed_token", nbytes=24)
