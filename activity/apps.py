from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    """What the site records by itself (SPEC R6.1): log-ins, sessions, pages visited, and the
    server-side checks by partners the member allowed (24metrics)."""

    name = "activity"
    verbose_name = _("Activity")

    def ready(self):
        from . import signals  # noqa: F401  (log-in recording, partner checks)
