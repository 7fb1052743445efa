import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_ready.connect
def _warm_order_threads(**kwargs: object) -> None:
    from apps.orders.engine import warm_io_pool

    warm_io_pool()
