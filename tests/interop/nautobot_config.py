# mypy: disable-error-code="import-not-found"
"""Nautobot settings for the interop tests' throwaway server (read by the Nautobot venv's python, never by
netops). Everything comes from the environment the test sets; everything listens on 127.x.

The schema is created from the models (``migrate --run-syncdb`` with every app's migrations disabled), not by
running Nautobot's ~470 migrations: eight minutes on the 2-core CI machine against seconds. The data some of
those migrations would have written is created by ``nautobot_load.py`` (only what the loaded region needs).
"""

import os

from nautobot.core.settings import *  # noqa: F403
from nautobot.core.settings import CACHES, INSTALLED_APPS
from nautobot.core.settings_funcs import is_truthy

SECRET_KEY = os.environ["NAUTOBOT_SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DEBUG = False
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["NAUTOBOT_DB_NAME"],
        "USER": os.environ["NAUTOBOT_DB_USER"],
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": os.environ["NAUTOBOT_DB_PORT"],
        "CONN_MAX_AGE": 300,
    }
}
_REDIS = f"redis://127.0.0.1:{os.environ['NAUTOBOT_REDIS_PORT']}"
CACHES["default"]["LOCATION"] = f"{_REDIS}/1"
CELERY_BROKER_URL = f"{_REDIS}/0"
METRICS_ENABLED = False
if is_truthy(os.environ.get("NETOPS_NAUTOBOT_SYNCDB", "1")):
    MIGRATION_MODULES = {app.rsplit(".", 1)[-1]: None for app in INSTALLED_APPS} | {"constance": None}
