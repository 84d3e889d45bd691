"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
application = get_wsgi_application()

from accord.operations.memory import freeze_after_startup  # noqa: E402

freeze_after_startup()
